// Output formats and sizes: PNG at any dpi with the same layout, SVG and PDF from the same drawing,
// byte-identical files for the same figure, and errors (not traps) for bad sizes and formats.
import Engine
import Foundation
import PNG
import Testing

@testable import Plot

/// A figure with text, a heatmap (a raster inside SVG and PDF), lines and a legend.
func mixedFigure() throws -> Figure {
  let ext = Extent(square: 3)
  let e = try ringEnergyGrid(40, ext)
  let steps = (0..<50).map(Double.init)
  return Figure(
    panels: [
      Panel(
        title: "E_α(z) + ‖z‖²/(2σ₀²)", xLabel: "z₁", yLabel: "z₂",
        layers: [.heatmap(try HeatmapLayer(values: e, extent: ext, colormap: .magma, smooth: true))], grid: false,
        colorBarLabel: "U(z)"),
      Panel(
        title: "MMD² vs step", xLabel: "step", yLabel: "MMD²",
        layers: [.line(try LineSeries(name: "z⁺/z⁻", x: steps, y: steps.map { exp(-$0 / 10) }))]),
    ], columns: 2, title: "σ, μ, ∇, ‖·‖")
}

@Test func sameFigureSameBytesInEveryFormat() throws {
  let fig = try mixedFigure()
  for format in FigureFormat.allCases {
    let a = try fig.encode(format: format).bytes
    let b = try fig.encode(format: format).bytes
    #expect(!a.isEmpty && a == b, "\(format) output differs between two renders")
  }
  // And through files.
  let dir = try temporaryDirectory("fig-same")
  defer { removeDirectory(dir) }
  for ext in ["png", "svg", "pdf"] {
    let p1 = try fig.save(to: "\(dir)/a.\(ext)").path
    let p2 = try fig.save(to: "\(dir)/b.\(ext)").path
    #expect(try Data(contentsOf: URL(fileURLWithPath: p1)) == Data(contentsOf: URL(fileURLWithPath: p2)))
  }
}

@Test func dpiScalesPixelsNotLayout() throws {
  let fig = try mixedFigure()
  let lo = try fig.render(dpi: 100)
  let hi = try fig.render(dpi: 200)
  #expect(lo.plotAreas == hi.plotAreas)
  let a = try lo.canvas.image()
  let b = try hi.canvas.image()
  #expect(b.width == 2 * a.width && b.height == 2 * a.height)
  // The title is in the same place: ink in the band at 100 dpi and in the doubled band at 200.
  let band = Int(fig.layoutSize().band)
  #expect(inked(a, x: 0..<a.width, y: 4..<band) > 50 && inked(b, x: 0..<b.width, y: 8..<2 * band) > 200)
  // A plot-area pixel has the same colour at both resolutions (a flat part of the line panel).
  let r = lo.plotAreas[1]
  #expect(near(color(a, Int(r.midX), Int(r.minY) + 4), color(b, Int(2 * r.midX), Int(2 * r.minY) + 8), 3))
}

@Test func titleTextIsDrawnWithTheFont() throws {
  // A title of symbols the old ASCII font lacked draws ink centred in the title band.
  let pts = try Tensor(shape: [2, 2], scalars: [0, 0, 1, 1])
  let fig = try Figure.scatter(pts, title: "σ α β ε μ ∇ ‖ ² ⁺ ⁻")
  let out = try fig.render()
  let img = try out.canvas.image()
  let top = Int(out.plotAreas[0].minY)
  let ink = inked(img, x: 0..<img.width, y: 4..<top - 2)
  #expect(ink > 100)
  #expect(inked(img, x: 0..<img.width / 4, y: 4..<top - 2) < ink / 10, "title not centred")
}

@Test func svgAndPDFAreValid() throws {
  let dir = try temporaryDirectory("fig-vector")
  defer { removeDirectory(dir) }
  let fig = try mixedFigure()
  let svg = try fig.save(to: dir + "/f.svg")
  try checkSVG(svg.path, width: svg.width, height: svg.height)
  let pdf = try fig.save(to: dir + "/f.pdf")
  try checkPDF(pdf.path, width: pdf.width, height: pdf.height)
  // 100 layout units per inch: an 840-unit-wide figure is 8.4 inches, 605 points.
  #expect(svg.width == Int((Double(2 * fig.panelWidth) * 0.72).rounded(.up)))
  // The SVG names its elements lebm1, lebm2, … (not process-wide counters).
  let text = try String(contentsOfFile: svg.path, encoding: .utf8)
  #expect(text.contains("id=\"lebm1\"") && !text.contains("id=\"image"))
}

@Test func sizesAndFormatsAreCheckedNotTrapped() throws {
  let pts = try Tensor(shape: [2, 2], scalars: [0, 0, 1, 1])
  var fig = try Figure.scatter(pts)
  #expect(plotError { _ = try fig.render(dpi: 0) } == "figure: dpi must be between 10 and 1200, got 0.0")
  #expect(plotError { _ = try fig.render(dpi: .nan) } != nil)
  let wide = try Figure.scatter(pts, width: 2000, height: 400)
  let wideError = plotError { _ = try wide.render(dpi: 1200) }
  #expect(wideError?.contains("too large") == true, "\(wideError ?? "no error")")
  #expect(plotError { try fig.resize(width: 1e9, height: 100) }?.contains("size must be between") == true)
  #expect(plotError { try fig.resize(width: .infinity, height: 100) } != nil)
  try fig.resize(width: 640, height: 480)
  #expect(fig.panelWidth == 640 && fig.panelHeight == 480)
  fig.fontSize = 0
  #expect(plotError { _ = try fig.render() } == "figure: font size must be between 4 and 72 points, got 0.0")
  fig.fontSize = 9
  #expect(plotError { _ = try fig.save(to: "/tmp/x.gif") }?.contains("must end in .png, .svg or .pdf") == true)
  let big = Figure(panels: Array(repeating: fig.panels[0], count: 40), columns: 40, panelWidth: 8000, panelHeight: 100)
  #expect(plotError { _ = try big.render() }?.contains("too large") == true)
}

@Test func movingAverageKnownAnswers() {
  #expect(exponentialMovingAverage([1, 1, 1], weight: 0.5) == [1, 1, 1])  // debiased: no pull towards 0
  let s = exponentialMovingAverage([0, 2], weight: 0.5)
  #expect(s[0] == 0 && abs(s[1] - 4.0 / 3) < 1e-12)  // (0.5·0 + 0.5·2)/(1 − 0.25)
  let n = exponentialMovingAverage([1, .nan, 3], weight: 0)
  #expect(n[0] == 1 && n[1].isNaN && n[2] == 3)
  #expect(automaticSmoothing(count: 200) == 0 && abs(automaticSmoothing(count: 6000) - (1 - 2 / 61.0)) < 1e-12)
}

@Test func logXBandAndLegendPlacement() throws {
  // On a log x axis 10 lies halfway between 1 and 100.
  let s = try LineSeries(x: [1, 10, 100], y: [0, 1, 2], color: .red, lineWidth: 3)
  let fig = try Figure.lines([s], logX: true, xLimits: 1...100, yLimits: 0...2)
  let out = try fig.render()
  let a = out.plotAreas[0]
  #expect(near(out.canvas.color(x: Int(a.midX), y: Int(a.midY)), .red, 40))
  // A band fills between its edges with its colour at its alpha, and nothing outside.
  let band = try BandLayer(x: [0, 1], lower: [0.25, 0.25], upper: [0.75, 0.75], color: .blue, alpha: 0.5)
  let b = try Figure(Panel(layers: [.band(band)], xLimits: 0...1, yLimits: 0...1, grid: false)).render()
  let r = b.plotAreas[0]
  let mix = Color(143, 187, 218)  // 0x1F77B4 at half over white
  #expect(near(b.canvas.color(x: Int(r.midX), y: Int(r.midY)), mix, 2))
  #expect(b.canvas.color(x: Int(r.midX), y: Int(r.minY) + 3) == .white)
  // Legend bottom left: ink near the bottom-left corner of the plot area, none at the top right.
  let named = try LineSeries(name: "a long legend label", x: [0, 1], y: [5, 5], color: .black)
  let l = try Figure.lines([named], yLimits: 0...10, legend: .bottomLeft).render()
  let none = try Figure.lines([named], yLimits: 0...10, legend: nil).render()
  let la = l.plotAreas[0]
  let img = try l.canvas.image()
  let plain = try none.canvas.image()
  let bottomLeft = (x: Int(la.minX) + 8..<Int(la.minX) + 100, y: Int(la.maxY) - 20..<Int(la.maxY) - 8)
  let topRight = (x: Int(la.maxX) - 100..<Int(la.maxX) - 4, y: Int(la.minY) + 4..<Int(la.minY) + 20)
  #expect(inked(img, x: bottomLeft.x, y: bottomLeft.y) > inked(plain, x: bottomLeft.x, y: bottomLeft.y) + 30)
  #expect(inked(img, x: topRight.x, y: topRight.y) == inked(plain, x: topRight.x, y: topRight.y))
  #expect(throws: PlotError.self) { _ = try BandLayer(x: [0, 1], lower: [0], upper: [1, 2]) }
}

@Test func dataVsSamplesTitlesLabelsAndUnsharedAxes() throws {
  let d = try Tensor(shape: [2, 2], scalars: [0, 0, 1, 1])
  let s = try Tensor(shape: [2, 2], scalars: [10, 10, 20, 20])
  let fig = try Figure.dataVsSamples(
    data: d, samples: s, titles: ("short-run", "persistent"), labels: ("z₁", "z₂"), sharedAxes: false)
  #expect(fig.panels.map(\.title) == ["short-run", "persistent"] && fig.panels[0].xLabel == "z₁")
  #expect(fig.panels[0].xLimits == nil)
  let shared = try Figure.dataVsSamples(data: d, samples: s)
  #expect(shared.panels[0].xLimits == shared.panels[1].xLimits && shared.panels[0].xLimits != nil)
}

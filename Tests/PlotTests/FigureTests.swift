// Figures: each kind is rendered, written, decoded, and checked for size, colours at known pixels,
// and text where the layout puts it.
import Engine
import Foundation
import PNG
import Testing

@testable import Plot

/// The pixel centre at fractions (tx, ty) of a plot area (ty = 0 at the bottom).
func at(_ r: Rect, _ tx: Double, _ ty: Double) -> (Int, Int) {
  (Int(r.minX + tx * r.width), Int(r.maxY - ty * r.height))
}

@Test func scatterFigure() throws {
  let dir = try temporaryDirectory("fig-scatter")
  defer { removeDirectory(dir) }
  let pts = try Tensor(shape: [1, 2], scalars: [0, 0])
  let fig = try Figure.scatter(pts, title: "Samples", coloring: .single(.red), size: 20, alpha: 1)
  let area = try fig.render().plotAreas[0]
  let (r, img) = try roundTrip(fig, dir, "scatter.png")
  #expect(r.width == 480 && r.height == 400 && img.width == 480 && img.height == 400)
  #expect(r.warnings.isEmpty)
  // A single point sits in the middle of the plot area.
  #expect(color(img, Int(area.midX), Int(area.midY)) == .red)
  #expect(color(img, Int(area.minX) + 3, Int(area.minY) + 3) == .white)
  // The title is drawn in the band above the plot area, the y label left of the tick labels.
  #expect(inked(img, x: 150..<330, y: 8..<24) > 40)
  #expect(inked(img, x: 0..<8, y: 0..<400) == 0)
  #expect(inked(img, x: 8..<16, y: Int(area.midY) - 6..<Int(area.midY) + 6) > 3)
  // Tick labels under the frame.
  #expect(inked(img, x: Int(area.minX)..<Int(area.maxX), y: Int(area.maxY) + 8..<Int(area.maxY) + 16) > 20)
}

@Test func scatterGroupsAndValues() throws {
  // (0, 0) lands top left and (1, -1) bottom right, away from the legend in the top right.
  let pts = try Tensor(shape: [2, 2], scalars: [0, 0, 1, -1])
  let g = try Figure.scatter(pts, coloring: .groups([0, 3], names: ["a", "b"]), size: 12, alpha: 1).render()
  let a = g.plotAreas[0]
  let p0 = at(a, 0.05 / 1.1, 1.05 / 1.1)
  let p1 = at(a, 1.05 / 1.1, 0.05 / 1.1)
  #expect(near(g.canvas.color(x: p0.0, y: p0.1), Palette.color(0)))
  #expect(near(g.canvas.color(x: p1.0, y: p1.1), Palette.color(3)))
  // The legend names both groups in the top right.
  let gi = try g.canvas.image()
  #expect(inked(gi, x: Int(a.maxX) - 50..<Int(a.maxX) - 6, y: Int(a.minY) + 6..<Int(a.minY) + 30) > 20)
  let v = try Figure.scatter(pts, coloring: .values([0, 1], colormap: .magma), size: 12, alpha: 1).render()
  let b = v.plotAreas[0]
  let q0 = at(b, 0.05 / 1.1, 1.05 / 1.1)
  let q1 = at(b, 1.05 / 1.1, 0.05 / 1.1)
  #expect(near(v.canvas.color(x: q0.0, y: q0.1), Colormap.magma.color(at: 0)))
  #expect(near(v.canvas.color(x: q1.0, y: q1.1), Colormap.magma.color(at: 1)))
  // The colour bar's top is the scale's top colour.
  #expect(near(v.canvas.color(x: Int(b.maxX) + 16, y: Int(b.minY) + 1), Colormap.magma.color(at: 1), 6))
}

@Test func lineChartFigure() throws {
  let dir = try temporaryDirectory("fig-lines")
  defer { removeDirectory(dir) }
  let s = try LineSeries(name: "flat", x: [0, 1], y: [1, 1], color: .blue, lineWidth: 3)
  let fig = try Figure.lines([s], title: "Loss", xLabel: "step", yLabel: "loss")
  let area = try fig.render().plotAreas[0]
  let (r, img) = try roundTrip(fig, dir, "lines.png")
  #expect(r.width == 520 && r.height == 380)
  #expect(color(img, Int(area.midX), Int(area.midY)) == .blue)
  // The legend (top right of the plot area) has a swatch and text.
  let legend = inked(
    img, x: Int(area.maxX) - 60..<Int(area.maxX) - 6, y: Int(area.minY) + 6..<Int(area.minY) + 22)
  #expect(legend > 20)
  // x label under the tick labels.
  #expect(
    inked(img, x: Int(area.midX) - 12..<Int(area.midX) + 12, y: Int(area.maxY) + 22..<Int(area.maxY) + 38) > 5
  )
}

@Test func logYLineChart() throws {
  let s = try LineSeries(x: [0, 1, 2], y: [1, 10, 100], color: .red)
  let out = try Figure.lines([s], logY: true).render()
  let a = out.plotAreas[0]
  // On a log axis 10 lies halfway between 1 and 100.
  #expect((-1...1).contains { dy in near(out.canvas.color(x: Int(a.midX), y: Int(a.midY) + dy), .red, 40) })
}

@Test func heatmapFigure() throws {
  let dir = try temporaryDirectory("fig-heatmap")
  defer { removeDirectory(dir) }
  let v = try Tensor(shape: [2, 2], scalars: [0, 1, 2, 3])
  let fig = try Figure.heatmap(v, extent: Extent(xMin: 0, xMax: 2, yMin: 0, yMax: 2), title: "grid")
  let area = try fig.render().plotAreas[0]
  let (_, img) = try roundTrip(fig, dir, "heatmap.png")
  func cell(_ tx: Double, _ ty: Double) -> Color {
    let p = at(area, tx, ty)
    return color(img, p.0, p.1)
  }
  #expect(cell(0.25, 0.25) == Colormap.viridis.color(at: 0))  // row 0 (bottom), column 0
  #expect(cell(0.75, 0.25) == Colormap.viridis.color(at: 1.0 / 3))
  #expect(cell(0.25, 0.75) == Colormap.viridis.color(at: 2.0 / 3))
  #expect(cell(0.75, 0.75) == Colormap.viridis.color(at: 1))
  // Colour bar beside the plot: top is the high end, bottom the low end, with tick labels.
  #expect(near(color(img, Int(area.maxX) + 16, Int(area.minY) + 1), Colormap.viridis.color(at: 1), 4))
  #expect(near(color(img, Int(area.maxX) + 16, Int(area.maxY) - 2), Colormap.viridis.color(at: 0), 4))
  #expect(inked(img, x: Int(area.maxX) + 26..<Int(area.maxX) + 50, y: Int(area.minY)..<Int(area.maxY)) > 30)
}

@Test func heatmapOriginUpper() throws {
  let v = try Tensor(shape: [2, 1], scalars: [0, 1])
  let out = try Figure.heatmap(v, colormap: .gray, origin: .upper).render()
  let a = out.plotAreas[0]
  #expect(out.canvas.color(x: Int(a.midX), y: Int(a.minY) + 3) == .black)  // row 0 at the top
  #expect(out.canvas.color(x: Int(a.midX), y: Int(a.maxY) - 3) == .white)
}

@Test func histogramFigure() throws {
  let dir = try temporaryDirectory("fig-hist")
  defer { removeDirectory(dir) }
  let v = try Tensor(shape: [4], scalars: [0.1, 0.2, 0.3, 0.4])
  let layer = try HistogramLayer(values: v, bins: 2, range: 0...1, alpha: 0.6)
  let fig = Figure(Panel(title: "h", layers: [.histogram(layer)], grid: false))
  let area = try fig.render().plotAreas[0]
  let (_, img) = try roundTrip(fig, dir, "hist.png")
  let c = Palette.color(0)
  func mix(_ x: UInt8) -> UInt8 { UInt8((Double(x) * 0.6 + 255 * 0.4).rounded()) }
  let p = at(area, 0.2, 0.3)
  #expect(near(color(img, p.0, p.1), Color(mix(c.r), mix(c.g), mix(c.b)), 2))
  let q = at(area, 0.7, 0.3)
  #expect(color(img, q.0, q.1) == .white)
}

@Test func imageGridFigure() throws {
  let dir = try temporaryDirectory("fig-grid")
  defer { removeDirectory(dir) }
  let imgs = try Tensor(shape: [2, 1, 2, 2], scalars: [1, 1, 1, 1, 0, 0, 0, 0])
  let fig = try Figure.imageGrid(imgs, columns: 2, padding: 1, scale: 4)
  let (r, img) = try roundTrip(fig, dir, "grid.png")
  // Raster 7×4 (two 2×2 images, 1 pixel of padding), zoom 4, 8 pixels of margin.
  #expect(r.width == 7 * 4 + 16 && r.height == 4 * 4 + 16)
  #expect(color(img, 8, 8) == .black)  // padding
  #expect(color(img, 8 + 4, 8 + 4) == .white)  // image 0 (value 1)
  #expect(color(img, 8 + 16, 8 + 4) == .black)  // image 1 (value 0)
  #expect(color(img, 7, 7) == .white)  // figure background
  // RGB in [-1, 1]: (1, -1, -1) is pure red.
  let rgb = try Tensor(shape: [1, 3, 1, 1], scalars: [1, -1, -1])
  let (_, one) = try roundTrip(try Figure.imageGrid(rgb, padding: 0, scale: 4, title: "T"), dir, "rgb.png")
  #expect(color(one, one.width / 2, one.height - 10) == Color(255, 0, 0))
  #expect(inked(one, x: 0..<one.width, y: 8..<24) > 5)
}

@Test func energyLandscapeFigure() throws {
  let ext = Extent(square: 3)
  let e = try ringEnergyGrid(60, ext)
  for show in [LandscapeQuantity.density, .energy] {
    let out = try Figure.energyLandscape(energy: e, extent: ext, show: show).render()
    let a = out.plotAreas[0]
    #expect(out.canvas.width == 500 && out.canvas.height == 420)
    let mode = at(a, 5.0 / 6, 0.5)
    let centre = at(a, 0.5, 0.5)
    let m = out.canvas.color(x: mode.0, y: mode.1)
    let c = out.canvas.color(x: centre.0, y: centre.1)
    if show == .density {
      #expect(Int(m.g) > Int(c.g) + 100, "the mode at (2, 0) is brighter than the centre")
    } else {
      #expect(Int(m.r) + Int(m.g) < Int(c.r) + Int(c.g), "energy is low at the mode")
    }
  }
}

@Test func langevinChainsFigure() throws {
  let ext = Extent(square: 2)
  let e = try ringEnergyGrid(20, ext)
  let chains = try Tensor(shape: [1, 3, 2], scalars: [-1, -1, 0, 0.5, 1, 1])
  let out = try Figure.langevinChains(energy: e, extent: ext, chains: chains).render()
  let a = out.plotAreas[0]
  let end = at(a, 0.75, 0.75)
  let start = at(a, 0.25, 0.25)
  #expect(out.canvas.color(x: end.0, y: end.1) == .red)
  #expect(out.canvas.color(x: start.0, y: start.1) == .white)
  #expect(out.warnings.isEmpty)
}

@Test func dataVsSamplesShareLimits() throws {
  let d = try Tensor(shape: [2, 2], scalars: [0, 0, 1, 1])
  let s = try Tensor(shape: [1, 2], scalars: [0, 0])
  let out = try Figure.dataVsSamples(data: d, samples: s, size: 8, alpha: 1).render()
  #expect(out.plotAreas.count == 2 && out.plotAreas[0].width == out.plotAreas[1].width)
  let t = 0.05 / 1.1
  let p = at(out.plotAreas[0], t, t)
  let q = at(out.plotAreas[1], t, t)
  #expect(near(out.canvas.color(x: p.0, y: p.1), Palette.color(0)))
  #expect(near(out.canvas.color(x: q.0, y: q.1), Palette.color(1)))
}

@Test func priorPosteriorFigure() throws {
  let prior = try Tensor.randn([200, 3])
  let post = try Tensor.randn([100, 3])
  let out = try Figure.priorPosterior(prior: prior, posterior: post, columns: 2).render()
  #expect(out.canvas.width == 600 && out.canvas.height == 440 && out.plotAreas.count == 3)
  #expect(out.warnings.isEmpty)
  let many = try Figure.priorPosterior(
    prior: try Tensor.randn([50, 20]), posterior: try Tensor.randn([50, 20]))
  let w = try many.render().warnings
  #expect(w == ["prior vs posterior: showing the first 16 of 20 dimensions"])
}

@Test func trainingStatsFigure() throws {
  let dir = try temporaryDirectory("fig-stats")
  defer { removeDirectory(dir) }
  let stats = [
    TrainingStat(name: "loss_e", values: [3, 2, 1.5, 1.2]),
    TrainingStat(name: "loss_g", steps: [0, 10, 20], values: [100, 10, 1], logY: true),
  ]
  let fig = try Figure.trainingStats(stats, title: "stats")
  let band = Int(fig.layoutSize().band)
  let (r, img) = try roundTrip(fig, dir, "stats.png")
  #expect(r.width == 640 && r.height == 220 + band && band > 20 && band < 50)
  #expect(inked(img, x: 250..<390, y: 8..<band - 8) > 20)  // figure title
  #expect(inked(img, x: 100..<220, y: band + 8..<band + 24) > 20)  // first panel title
}

@Test func multiPanelFigure() throws {
  let pts = try Tensor(shape: [3, 2], scalars: [0, 0, 1, 2, 2, 1])
  let panels = try (0..<5).map { k in
    Panel(title: "p\(k)", xLabel: "x", yLabel: "y", layers: [.scatter(try ScatterLayer(points: pts))])
  }
  let fig = Figure(panels: panels, columns: 3, panelWidth: 200, panelHeight: 150, title: "five")
  let out = try fig.render()
  #expect(out.canvas.width == 600 && out.canvas.height == 300 + Int(fig.layoutSize().band) && out.plotAreas.count == 5)
  #expect(out.plotAreas[4].minX > 200 && out.plotAreas[4].minY > 180)
}

@Test func outputIsDeterministic() throws {
  let dir = try temporaryDirectory("fig-det")
  defer { removeDirectory(dir) }
  let (ring, groups) = try ringSamples(300, seed: 5)
  let fig = try Figure.scatter(ring, title: "same", coloring: .groups(groups))
  let a = try fig.save(to: dir + "/a.png")
  let b = try fig.save(to: dir + "/b.png")
  let da = try Data(contentsOf: URL(fileURLWithPath: a.path))
  let db = try Data(contentsOf: URL(fileURLWithPath: b.path))
  #expect(da == db && !da.isEmpty)
  #expect(try fig.encode().bytes == Array(da))
}

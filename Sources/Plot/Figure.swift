// Figure: panels (subplots) laid out on a grid, each with a title, axis labels, automatic 1-2-5 ticks,
// layers clipped to the plot area, an optional legend and colour bar; rendering and saving as PNG,
// SVG or PDF (by the file's extension). Sizes are layout units: pixels at 100 dpi.
import Glibc
import PNG
import Support

/// One drawable layer of a panel.
public enum PlotLayer: Sendable {
  /// Points as markers.
  case scatter(ScatterLayer)
  /// A polyline (a line-chart series, or a chain drawn over a heatmap).
  case line(LineSeries)
  /// Values on a regular 2-D grid, coloured by a colormap.
  case heatmap(HeatmapLayer)
  /// A histogram drawn as translucent bars with an outline.
  case histogram(HistogramLayer)
  /// A raster (an image grid) drawn to fill the panel, without axes.
  case image(ImageLayer)
  /// A translucent region between two curves (mean ± std).
  case band(BandLayer)

  var drawing: any LayerDrawing {
    switch self {
    case .scatter(let l): l
    case .line(let l): l
    case .heatmap(let l): l
    case .histogram(let l): l
    case .image(let l): l
    case .band(let l): l
    }
  }
}

/// Where a panel's legend sits inside its plot area: a corner, or `best`, the corner where it
/// hides the fewest data points and line samples (``LegendPlacement``).
public enum LegendPosition: String, Sendable, CaseIterable {
  case best = "best"
  case topRight = "top right", topLeft = "top left", bottomRight = "bottom right", bottomLeft = "bottom left"
}

/// One subplot: its layers, labels, limits and axis options.
public struct Panel: Sendable {
  /// Drawn above the plot area in the title size (empty for none).
  public var title: String
  /// Drawn under the x tick labels (empty for none).
  public var xLabel: String
  /// Drawn left of the y tick labels, reading upwards (empty for none).
  public var yLabel: String
  /// The layers, drawn in order (first at the bottom).
  public var layers: [PlotLayer]
  /// The x range shown; `nil` fits the data (with a 5% margin for points and lines).
  public var xLimits: ClosedRange<Double>?
  /// The y range shown; `nil` fits the data.
  public var yLimits: ClosedRange<Double>?
  /// A logarithmic y axis (values ≤ 0 are skipped with a warning).
  public var logY: Bool
  /// A logarithmic x axis (values ≤ 0 are skipped with a warning).
  public var logX: Bool = false
  /// Light grid lines at the ticks.
  public var grid: Bool
  /// Whether to draw the frame, ticks and tick labels (off for image grids).
  public var axes: Bool
  /// Whether to draw a legend when some layer has a name.
  public var legend: Bool
  /// Where the legend goes (by default the corner where it hides the least data).
  public var legendPosition: LegendPosition
  /// The label beside the colour bar (shown when a heatmap or value-coloured scatter is present).
  public var colorBarLabel: String

  /// A panel; every option has a default.
  public init(
    title: String = "", xLabel: String = "", yLabel: String = "", layers: [PlotLayer] = [],
    xLimits: ClosedRange<Double>? = nil, yLimits: ClosedRange<Double>? = nil, logY: Bool = false,
    grid: Bool = true, axes: Bool = true, legend: Bool = true, legendPosition: LegendPosition = .best,
    colorBarLabel: String = ""
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.layers = layers
    self.xLimits = xLimits
    self.yLimits = yLimits
    self.logY = logY
    self.grid = grid
    self.axes = axes
    self.legend = legend
    self.legendPosition = legendPosition
    self.colorBarLabel = colorBarLabel
  }
}

/// What ``Figure/save(to:)`` wrote.
public struct FigureResult: Sendable, Equatable {
  /// The file written: path, format, size and length, as hosts receive it.
  public let output: FigureOutput
  /// Data that was skipped (NaN points, values ≤ 0 on a log axis, …), one line each.
  public let warnings: [String]

  /// The file written.
  public var path: String { output.path }
  /// Image width in pixels (PNG) or points (SVG, PDF).
  public var width: Int { output.width }
  /// Image height in pixels (PNG) or points (SVG, PDF).
  public var height: Int { output.height }
}

/// A rendered figure, before encoding.
public struct RenderedFigure {
  /// The drawing.
  public let canvas: Canvas
  /// Data that was skipped while drawing, one line each.
  public let warnings: [String]
  /// Each panel's plot area (inside the frame) in layout units, in panel order.
  public let plotAreas: [Rect]
}

/// A figure: panels on a grid of `columns`, each `panelWidth`×`panelHeight` layout units (pixels at
/// 100 dpi), under an optional title.
///
/// Rendering is deterministic: the same figure gives byte-identical PNG, SVG and PDF files.
public struct Figure: Sendable {
  /// The panels, filled row by row.
  public var panels: [Panel]
  /// Panels per row.
  public var columns: Int
  /// Width of each panel's cell in layout units.
  public var panelWidth: Int
  /// Height of each panel's cell in layout units.
  public var panelHeight: Int
  /// Drawn across the top, a little larger than the panel titles (empty for none).
  public var title: String
  /// The base font size in points (axis labels, legends; tick labels are 0.9 of it, panel titles 1.2).
  public var fontSize: Double = 9
  /// The background colour.
  public var background: Color
  /// Extra warnings reported with the drawing's own (e.g. "showing 16 of 32 dimensions").
  public var notes: [String] = []

  /// A figure; `columns` defaults to all panels in one row (at most 4 per row).
  public init(
    panels: [Panel], columns: Int? = nil, panelWidth: Int = 420, panelHeight: Int = 320, title: String = "",
    background: Color = .white
  ) {
    self.panels = panels
    self.columns = columns ?? Swift.min(Swift.max(panels.count, 1), 4)
    self.panelWidth = panelWidth
    self.panelHeight = panelHeight
    self.title = title
    self.background = background
  }

  /// A figure with a single panel.
  public init(_ panel: Panel, width: Int = 480, height: Int = 360) {
    self.init(panels: [panel], columns: 1, panelWidth: width, panelHeight: height)
  }

  /// The base text size in layout units (`fontSize` points at 100 units per inch).
  var textUnit: Double { fontSize * 100 / 72 }

  /// The whole figure's size in layout units, with the title band.
  func layoutSize(_ canvasForMetrics: Canvas? = nil) -> (cols: Int, rows: Int, band: Double) {
    let cols = Swift.max(1, Swift.min(columns, panels.count))
    let rows = (panels.count + cols - 1) / cols
    let band = title.isEmpty ? 0 : (textUnit * 1.35 * 1.17 + 2 * PanelRenderer.pad).rounded(.up)
    return (cols, rows, band)
  }

  /// Sets the panel sizes so that the whole figure is `width`×`height` layout units.
  /// - Throws: ``PlotError`` when the size is not finite or leaves panels under 32 units.
  public mutating func resize(width: Double, height: Double) throws {
    guard width.isFinite, height.isFinite, width >= 32, height >= 32, width <= 16384, height <= 16384 else {
      throw PlotError(
        "figure", "size must be between 32 and 16384 units (0.32 to 163.84 inches), got \(width)x\(height)")
    }
    let (cols, rows, band) = layoutSize()
    panelWidth = Int((width / Double(cols)).rounded(.down))
    panelHeight = Int(((height - band) / Double(rows)).rounded(.down))
    guard panelWidth >= 32, panelHeight >= 32 else {
      throw PlotError("figure", "size \(width)x\(height) leaves panels under 32 units; make it larger")
    }
  }

  /// Draws the figure on a canvas for `format`, at `dpi` for PNG (100: one pixel per layout unit).
  /// - Throws: ``PlotError`` for an empty figure, bad sizes, a dpi outside 10…1200, or bad panel limits.
  public func render(format: FigureFormat = .png, dpi: Double = 100) throws -> RenderedFigure {
    guard !panels.isEmpty else { throw PlotError("figure", "needs at least one panel") }
    guard columns >= 1 else { throw PlotError("figure", "columns must be at least 1, got \(columns)") }
    guard panelWidth >= 32, panelHeight >= 32, panelWidth <= 8192, panelHeight <= 8192 else {
      throw PlotError(
        "figure", "panel size must be between 32 and 8192 pixels, got \(panelWidth)x\(panelHeight)")
    }
    guard dpi.isFinite, dpi >= 10, dpi <= 1200 else {
      throw PlotError("figure", "dpi must be between 10 and 1200, got \(dpi)")
    }
    guard fontSize.isFinite, fontSize >= 4, fontSize <= 72 else {
      throw PlotError("figure", "font size must be between 4 and 72 points, got \(fontSize)")
    }
    let (cols, rows, band) = layoutSize()
    let w = cols * panelWidth
    let h = rows * panelHeight + Int(band)
    guard w <= 16384, h <= 16384 else {
      throw PlotError("figure", "\(w)x\(h) pixels at 100 dpi is too large (at most 16384 a side)")
    }
    var canvas = try Canvas(width: w, height: h, background: background, scale: dpi / 100, format: format)
    canvas.fontSize = textUnit
    if !title.isEmpty {
      let size = textUnit * 1.35
      let t = fit(title, width: Double(canvas.width) - 16, size: size, bold: false, on: canvas)
      canvas.text(t, at: Point(Double(canvas.width) / 2, PanelRenderer.pad), size: size, horizontal: .center)
    }
    var warnings = notes
    var areas: [Rect] = []
    for (i, panel) in panels.enumerated() {
      let cell = Rect(
        x: Double(i % cols * panelWidth), y: band + Double(i / cols * panelHeight),
        width: Double(panelWidth), height: Double(panelHeight))
      areas.append(try PanelRenderer(panel: panel, cell: cell).draw(on: &canvas, warnings: &warnings))
    }
    return RenderedFigure(canvas: canvas, warnings: warnings, plotAreas: areas)
  }

  /// Renders the figure and writes it to `path` as PNG, SVG or PDF, chosen by the extension; `dpi`
  /// sets a PNG's pixels per inch (100: one pixel per layout unit; 200: twice the pixels, same layout).
  /// - Throws: ``PlotError`` for bad figure input, an unknown extension, or naming `path` when it
  ///   cannot be written.
  public func save(to path: String, dpi: Double = 100) throws -> FigureResult {
    let format = try FigureFormat.of(path: path)
    let r = try render(format: format, dpi: dpi)
    // Every format is encoded in memory and written through Support (which refuses what is not a
    // regular file), never by libpng or cairo opening the path.
    let bytes = try r.canvas.encoded()
    do throws(FileError) { try writeFile(path, bytes) } catch {
      throw PlotError("figure", "cannot write '\(path)': \(error.problem)")
    }
    let output = FigureOutput(
      path: path, format: format, width: r.canvas.outputWidth, height: r.canvas.outputHeight, bytes: bytes.count)
    return FigureResult(output: output, warnings: r.warnings)
  }

  /// Renders the figure and returns the file's bytes in `format` (PNG by default).
  public func encode(format: FigureFormat = .png, dpi: Double = 100) throws -> (bytes: [UInt8], warnings: [String]) {
    let r = try render(format: format, dpi: dpi)
    return (try r.canvas.encoded(), r.warnings)
  }
}

// MARK: - Layers: the internal drawing protocol

/// A mapping from one data axis to pixels.
struct AxisScale {
  var lo: Double
  var hi: Double
  var log: Bool

  /// Position in [0, 1] across the axis; `nil` when the value cannot be shown (≤ 0 on a log axis, NaN).
  func fraction(_ v: Double) -> Double? {
    guard v.isFinite else { return nil }
    if log {
      guard v > 0 else { return nil }
      return (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
    }
    return (v - lo) / (hi - lo)
  }

  /// The data value at fraction `t`.
  func value(_ t: Double) -> Double {
    log ? pow10Real(log10(lo) + t * (log10(hi) - log10(lo))) : lo + t * (hi - lo)
  }
}

/// The plot area of a panel and its two axes.
struct PlotFrame {
  let rect: Rect
  let x: AxisScale
  let y: AxisScale

  /// Which coordinates a log axis rejects when ≤ 0, for warnings: "y", "x" or "x or y".
  var logAxes: String { x.log && y.log ? "x or y" : (x.log ? "x" : "y") }

  /// The position of a data point in layout units, or `nil` when it cannot be shown.
  func point(_ px: Double, _ py: Double) -> Point? {
    guard let tx = x.fraction(px), let ty = y.fraction(py) else { return nil }
    return Point(rect.minX + tx * rect.width, rect.maxY - ty * rect.height)
  }
}

/// A legend row.
struct LegendEntry {
  enum Swatch {
    case line(Double)
    case marker(Marker)
    case patch
  }
  let label: String
  let color: Color
  let swatch: Swatch
}

/// A colour bar request from a layer.
struct ColorBarSpec {
  let colormap: Colormap
  let lo: Double
  let hi: Double
}

/// What every layer can do; `color` is the panel's automatic colour for layers without their own.
protocol LayerDrawing: Sendable {
  /// The data's x and y extents (finite values only; positive values only on a log axis).
  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?)
  /// Whether the axis limits should get a 5% margin around this layer's data.
  var padsLimits: Bool { get }
  /// Whether the layer takes an automatic palette colour.
  var usesAutoColor: Bool { get }
  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String])
  func legend(autoColor: Color) -> [LegendEntry]
  var colorBar: ColorBarSpec? { get }
  /// Points in layout units where the layer draws data (markers, samples along lines, bars), for
  /// placing the legend where it hides the least (``LegendPlacement``).
  func coverage(frame: PlotFrame) -> [Point]
}

extension LayerDrawing {
  var padsLimits: Bool { true }
  var usesAutoColor: Bool { false }
  func legend(autoColor: Color) -> [LegendEntry] { [] }
  var colorBar: ColorBarSpec? { nil }
  func coverage(frame: PlotFrame) -> [Point] { [] }
}

// MARK: - Panel rendering

/// Lays out and draws one panel inside its cell; text sizes come from the canvas's base size.
struct PanelRenderer {
  let panel: Panel
  let cell: Rect
  static let pad = 8.0

  var name: String { panel.title.isEmpty ? "panel" : "panel '\(panel.title)'" }

  /// Draws the panel and returns its plot area.
  /// The text sizes and heights a panel's layout is made of.
  struct Metrics {
    let unit, tickSize, titleSize, tickH, labelH, titleH: Double
  }

  /// The colour each drawing gets when it asks for the next automatic one.
  static func autoColors(_ drawings: [any LayerDrawing]) -> [Color] {
    var colors: [Color] = []
    var k = 0
    for d in drawings {
      colors.append(Palette.color(k))
      if d.usesAutoColor { k += 1 }
    }
    return colors
  }

  func draw(on canvas: inout Canvas, warnings: inout [String]) throws -> Rect {
    let drawings = panel.layers.map(\.drawing)
    let colors = PanelRenderer.autoColors(drawings)
    let pad = PanelRenderer.pad, unit = canvas.fontSize
    let titleSize = unit * 1.2
    let m = Metrics(
      unit: unit, tickSize: unit * 0.9, titleSize: titleSize, tickH: canvas.textSize("0", size: unit * 0.9).height,
      labelH: canvas.textSize("x", size: unit).height,
      titleH: panel.title.isEmpty ? pad : pad + canvas.textSize("T", size: titleSize).height + 6)
    guard panel.axes else {
      let rect = Rect(
        x: cell.minX + pad, y: cell.minY + m.titleH, width: cell.width - 2 * pad, height: cell.height - m.titleH - pad)
      drawTitle(on: &canvas, center: rect.midX, size: titleSize)
      let unitAxis = AxisScale(lo: 0, hi: 1, log: false)
      drawData(drawings, colors, frame: PlotFrame(rect: rect, x: unitAxis, y: unitAxis), on: &canvas, warnings: &warnings)
      return rect
    }
    let (xs, ys) = try limits(drawings)
    // Ticks first: their labels decide the margins.
    let yTarget = Swift.max(2, Swift.min(8, Int(cell.height / (m.tickH * 4))))
    let xTarget = Swift.max(2, Swift.min(8, Int(cell.width / (m.tickH * 6.5))))
    let yTicks = ys.log ? Ticks.log(ys.lo, ys.hi) : Ticks.linear(ys.lo, ys.hi, target: yTarget)
    let xTicks = xs.log ? Ticks.log(xs.lo, xs.hi) : Ticks.linear(xs.lo, xs.hi, target: xTarget)
    let yLabels = Ticks.labels(yTicks, log: ys.log).map(typesetMinus)
    let xLabels = Ticks.labels(xTicks, log: xs.log).map(typesetMinus)
    let bar = drawings.compactMap(\.colorBar).first
    let barTicks = bar.map { Ticks.linear($0.lo, $0.hi, target: yTarget) } ?? []
    let barLabels = Ticks.labels(barTicks).map(typesetMinus)
    let rect = plotRect(m, yTickW: yLabels.map { canvas.textSize($0, size: m.tickSize).width }.max() ?? 0,
                        barW: bar == nil ? 0 : colorBarWidth(barLabels, m, on: canvas))
    let frame = PlotFrame(rect: rect, x: xs, y: ys)
    drawTitle(on: &canvas, center: rect.midX, size: titleSize)
    // Grid lines under the data.
    if panel.grid {
      for t in xTicks { if let p = frame.point(t, ys.lo) { canvas.fill(vline(p.x, rect), color: .gridGray) } }
      for t in yTicks { if let p = frame.point(xs.lo, t) { canvas.fill(hline(p.y, rect), color: .gridGray) } }
    }
    var w: [String] = []
    drawData(drawings, colors, frame: frame, on: &canvas, warnings: &w)
    warnings += w.map { panel.title.isEmpty ? $0 : "\($0) (panel '\(panel.title)')" }
    drawAxes(frame, x: (xTicks, xLabels), y: (yTicks, yLabels), m, on: &canvas)
    if panel.legend {
      let entries = zip(drawings, colors).flatMap { $0.legend(autoColor: $1) }
      if !entries.isEmpty { drawLegend(entries, in: frame, covering: drawings, on: &canvas) }
    }
    if let bar { drawColorBar(bar, ticks: barTicks, labels: barLabels, beside: rect, on: &canvas) }
    return rect
  }

  /// The colour bar's width beside the plot: the bar, its ticks and labels, and its title.
  func colorBarWidth(_ labels: [String], _ m: Metrics, on canvas: Canvas) -> Double {
    var w = 10 + 12 + 6 + (labels.map { canvas.textSize($0, size: m.tickSize).width }.max() ?? 0)
    if !panel.colorBarLabel.isEmpty { w += 6 + m.labelH }
    return w
  }

  /// The plot area in the cell: the margins leave room for the title, the axis labels, the tick
  /// labels (`yTickW` the widest) with their 4-unit ticks, and the colour bar (`barW`).
  func plotRect(_ m: Metrics, yTickW: Double, barW: Double) -> Rect {
    let pad = PanelRenderer.pad
    let left = pad + (panel.yLabel.isEmpty ? 0 : m.labelH + 6) + yTickW + 3 + 4
    let bottom = pad + (panel.xLabel.isEmpty ? 0 : m.labelH + 3) + m.tickH + 3 + 4
    let right = pad + 10 + barW
    return Rect(
      x: (cell.minX + left).rounded(), y: (cell.minY + m.titleH).rounded(),
      width: Swift.max(8, (cell.width - left - right).rounded()),
      height: Swift.max(8, (cell.height - m.titleH - bottom).rounded()))
  }

  /// The drawings, clipped to the frame's plot area.
  func drawData(_ drawings: [any LayerDrawing], _ colors: [Color], frame: PlotFrame, on canvas: inout Canvas, warnings: inout [String]) {
    canvas.clip = frame.rect
    for (d, c) in zip(drawings, colors) { d.draw(on: &canvas, frame: frame, autoColor: c, warnings: &warnings) }
    canvas.clip = Rect(x: 0, y: 0, width: Double(canvas.width), height: Double(canvas.height))
  }

  /// The frame around the plot area, the ticks with their labels, and the axis labels.
  func drawAxes(
    _ frame: PlotFrame, x: (ticks: [Double], labels: [String]), y: (ticks: [Double], labels: [String]), _ m: Metrics,
    on canvas: inout Canvas
  ) {
    let rect = frame.rect
    canvas.stroke(
      Rect(x: rect.minX - 1, y: rect.minY - 1, width: rect.width + 2, height: rect.height + 2), color: .ink)
    for (t, label) in zip(x.ticks, x.labels) {
      guard let p = frame.point(t, frame.y.lo) else { continue }
      let px = p.x.rounded(.down)
      canvas.fill(Rect(x: px, y: rect.maxY + 1, width: 1, height: 4), color: .ink)
      canvas.text(label, at: Point(px + 0.5, rect.maxY + 1 + 4 + 2), size: m.tickSize, horizontal: .center)
    }
    for (t, label) in zip(y.ticks, y.labels) {
      guard let p = frame.point(frame.x.lo, t) else { continue }
      let py = Swift.min(p.y.rounded(.down), rect.maxY - 1)
      canvas.fill(Rect(x: rect.minX - 5, y: py, width: 4, height: 1), color: .ink)
      canvas.text(
        label, at: Point(rect.minX - 5 - 3, py + 0.5), size: m.tickSize, horizontal: .end, vertical: .center)
    }
    if !panel.xLabel.isEmpty {
      let t = fit(panel.xLabel, width: rect.width, size: m.unit, on: canvas)
      canvas.text(t, at: Point(rect.midX, rect.maxY + 1 + 4 + 2 + m.tickH + 3), size: m.unit, horizontal: .center)
    }
    if !panel.yLabel.isEmpty {
      let t = fit(panel.yLabel, width: rect.height, size: m.unit, on: canvas)
      canvas.text(t, at: Point(cell.minX + PanelRenderer.pad, rect.midY), size: m.unit, vertical: .center, rotated: true)
    }
  }

  func drawTitle(on canvas: inout Canvas, center: Double, size: Double) {
    guard !panel.title.isEmpty else { return }
    let t = fit(panel.title, width: cell.width - 2 * PanelRenderer.pad, size: size, on: canvas)
    let half = canvas.textSize(t, size: size).width / 2
    // Keep the title inside the cell even when the plot area is off-centre.
    let cx = Swift.min(
      Swift.max(center, cell.minX + PanelRenderer.pad + half), cell.maxX - PanelRenderer.pad - half)
    canvas.text(t, at: Point(cx, cell.minY + PanelRenderer.pad), size: size, horizontal: .center)
  }

  func vline(_ x: Double, _ r: Rect) -> Rect {
    Rect(x: x.rounded(.down), y: r.minY, width: 1, height: r.height)
  }
  func hline(_ y: Double, _ r: Rect) -> Rect {
    Rect(x: r.minX, y: Swift.min(y.rounded(.down), r.maxY - 1), width: r.width, height: 1)
  }

  /// The axis ranges: the panel's limits, or the layers' data extents (with margins where asked).
  func limits(_ drawings: [any LayerDrawing]) throws -> (AxisScale, AxisScale) {
    for (lim, axis) in [(panel.xLimits, "x"), (panel.yLimits, "y")] {
      if let lim, !(lim.lowerBound.isFinite && lim.upperBound.isFinite && lim.lowerBound < lim.upperBound) {
        throw PlotError(name, "\(axis) limits must be finite with lower < upper, got \(lim)")
      }
    }
    if panel.logY, let l = panel.yLimits, l.lowerBound <= 0 {
      throw PlotError(name, "y limits on a log axis must be positive, got \(l)")
    }
    if panel.logX, let l = panel.xLimits, l.lowerBound <= 0 {
      throw PlotError(name, "x limits on a log axis must be positive, got \(l)")
    }
    // Points and lines get a margin, unless a heatmap or histogram fixes that axis's extent.
    var x: (Double, Double)?
    var y: (Double, Double)?
    var xPad = true
    var yPad = true
    for d in drawings {
      let b = d.bounds(logX: panel.logX, logY: panel.logY)
      if let bx = b.x {
        x = (Swift.min(x?.0 ?? bx.lowerBound, bx.lowerBound), Swift.max(x?.1 ?? bx.upperBound, bx.upperBound))
        xPad = xPad && d.padsLimits
      }
      if let by = b.y {
        y = (Swift.min(y?.0 ?? by.lowerBound, by.lowerBound), Swift.max(y?.1 ?? by.upperBound, by.upperBound))
        yPad = yPad && d.padsLimits
      }
    }
    func finish(_ r: (Double, Double)?, _ padded: Bool, log: Bool) -> (Double, Double) {
      guard var (lo, hi) = r else { return log ? (1, 10) : (0, 1) }
      if log {
        lo = log10(lo)
        hi = log10(hi)
      }
      if hi - lo < 1e-12 * Swift.max(1, Swift.abs(lo)) {
        let d = Swift.max(Swift.abs(lo) * 0.1, 0.5)
        lo -= d
        hi += d
      } else if padded {
        let m = (hi - lo) * 0.05
        lo -= m
        hi += m
      }
      return log ? (pow10Real(lo), pow10Real(hi)) : (lo, hi)
    }
    let fx = panel.xLimits.map { ($0.lowerBound, $0.upperBound) } ?? finish(x, xPad, log: panel.logX)
    let fy = panel.yLimits.map { ($0.lowerBound, $0.upperBound) } ?? finish(y, yPad, log: panel.logY)
    return (AxisScale(lo: fx.0, hi: fx.1, log: panel.logX), AxisScale(lo: fy.0, hi: fy.1, log: panel.logY))
  }

  func drawLegend(
    _ entries: [LegendEntry], in frame: PlotFrame, covering drawings: [any LayerDrawing], on canvas: inout Canvas
  ) {
    let rect = frame.rect
    let size = canvas.fontSize * 0.9
    let rowH = canvas.textSize("x", size: size).height + 2
    // A label wider than the plot area is cut to it (with `…`).
    let labels = entries.map { fit($0.label, width: Swift.max(8, rect.width - 53), size: size, on: canvas) }
    let textW = labels.map { canvas.textSize($0, size: size).width }.max() ?? 0
    let w = (6 + 18 + 5 + textW + 6).rounded(.up)
    let h = Double(entries.count) * rowH + 6
    var position = panel.legendPosition
    if position == .best {
      let points = drawings.flatMap { $0.coverage(frame: frame) }
      position = LegendPlacement.best(width: w, height: h, in: rect, points: points)
    }
    let box = LegendPlacement.box(position, width: w, height: h, in: rect)
    canvas.fill(box, color: Color.white.opacity(0.85))
    canvas.stroke(box, color: Color(hex: 0xBBBBBB))
    for (i, e) in entries.enumerated() {
      let cy = box.minY + 3 + Double(i) * rowH + rowH / 2
      let sx = box.minX + 6
      switch e.swatch {
      case .line(let width):
        canvas.line(
          from: Point(sx, cy), to: Point(sx + 18, cy), color: e.color, lineWidth: Swift.max(width, 1.5))
      case .marker(let m):
        canvas.marker(m, at: Point(sx + 9, cy), size: 7, color: e.color)
        // A near-white marker (chain starts) gets an outline so it shows on the white legend box.
        if Int(e.color.r) + Int(e.color.g) + Int(e.color.b) > 3 * 230 {
          canvas.strokeCircle(center: Point(sx + 9, cy), radius: 4, color: .ink, lineWidth: 0.8)
        }
      case .patch:
        canvas.fill(Rect(x: sx + 2, y: cy - 4, width: 14, height: 8), color: e.color)
      }
      canvas.text(labels[i], at: Point(sx + 18 + 5, cy), size: size, vertical: .center)
    }
  }

  func drawColorBar(
    _ bar: ColorBarSpec, ticks: [Double], labels: [String], beside rect: Rect, on canvas: inout Canvas
  ) {
    let size = canvas.fontSize * 0.9
    let r = Rect(x: rect.maxX + 10, y: rect.minY, width: 12, height: rect.height)
    let span = bar.hi - bar.lo
    // The scale as a 1×256 raster, top = high end, smoothly stretched over the bar.
    var rgba: [UInt8] = []
    for row in 0..<256 {
      let c = bar.colormap.color(at: 1 - (Double(row) + 0.5) / 256)
      rgba += [c.r, c.g, c.b, c.a]
    }
    canvas.image(rgba: rgba, width: 1, height: 256, in: r, smooth: true)
    canvas.stroke(Rect(x: r.minX - 1, y: r.minY - 1, width: r.width + 2, height: r.height + 2), color: .ink)
    var labelRight = r.maxX + 1
    for (v, label) in zip(ticks, labels) {
      let t = span > 0 ? (v - bar.lo) / span : 0.5
      let y = Swift.min((r.maxY - t * r.height).rounded(.down), r.maxY - 1)
      canvas.fill(Rect(x: r.maxX + 1, y: y, width: 3, height: 1), color: .ink)
      canvas.text(label, at: Point(r.maxX + 1 + 3 + 2, y + 0.5), size: size, vertical: .center)
      labelRight = Swift.max(labelRight, r.maxX + 6 + canvas.textSize(label, size: size).width)
    }
    if !panel.colorBarLabel.isEmpty {
      let (t, y) = colorBarLabel(beside: r, on: canvas)
      canvas.text(t, at: Point(labelRight + 6, y), size: canvas.fontSize, vertical: .center, rotated: true)
    }
  }

  /// The colour bar's label as drawn beside the bar `bar` and the height of its centre: it may run
  /// from the bar's top (under the title) down to the cell's bottom padding, past the bar's end
  /// into the margin of the x tick labels, so a short panel (a row of `plot_panels`) keeps the
  /// label whole; centred on the bar where it fits, else moved up or down to stay in that room,
  /// and cut with `…` only when it is longer than the room.
  func colorBarLabel(beside bar: Rect, on canvas: Canvas) -> (text: String, centerY: Double) {
    let top = bar.minY, bottom = cell.maxY - PanelRenderer.pad
    let t = fit(panel.colorBarLabel, width: bottom - top, size: canvas.fontSize, on: canvas)
    let half = canvas.textSize(t, size: canvas.fontSize).width / 2
    let y = Swift.min(Swift.max(bar.midY, top + half), bottom - half)
    return (t, y)
  }
}

/// `text` cut (with `…`) so that it is at most `width` layout units wide at `size`. The cut is
/// found by doubling, then halving, the number of characters kept, so a text of any length costs a
/// few measurements of about what fits (never one per character).
func fit(_ text: String, width: Double, size: Double, bold: Bool = false, on canvas: Canvas) -> String {
  func fits(_ s: String) -> Bool { canvas.textSize(s, size: size, bold: bold).width <= width }
  // Long texts are measured a piece at a time: the first piece too wide ends the search.
  let chars = Array(text.prefix(Canvas.longestText + 1))
  if chars.count <= Canvas.longestText, fits(text) { return text }
  // A cut inside `$…$` closes the math, so what is kept still draws as math.
  func cut(_ n: Int) -> String { MathText.closingOpenMath(String(chars[..<n])) + "…" }
  // The largest n with cut(n) fitting: fits(0) or nothing, and cut(hi) does not fit.
  var lo = 0, hi = 1
  while hi < chars.count, fits(cut(hi)) {
    lo = hi
    hi = Swift.min(2 * hi, chars.count)
  }
  if hi == chars.count, fits(cut(hi)) { lo = hi }
  while hi - lo > 1 {
    let mid = (lo + hi) / 2
    if fits(cut(mid)) { lo = mid } else { hi = mid }
  }
  return lo == 0 && !fits(cut(0)) ? "" : cut(lo)
}

/// A tick label with its hyphens set as minus signs (−2, 1e−3), as in typeset mathematics.
func typesetMinus(_ label: String) -> String { String(label.map { $0 == "-" ? "−" : $0 }) }

/// 10^x for any real x.
func pow10Real(_ x: Double) -> Double { pow(10, x) }

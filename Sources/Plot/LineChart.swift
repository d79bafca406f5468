// LineChart: series as anti-aliased polylines, with a legend and an optional log y axis.
import Engine

/// One line: y values over x (or over 0, 1, 2, … when no x is given).
public struct LineSeries: Sendable {
  /// Legend label (empty: not in the legend).
  public let name: String
  /// x coordinates.
  public let x: [Double]
  /// y coordinates, as many as `x`.
  public let y: [Double]
  /// The line colour; `nil` takes the panel's next palette colour.
  public let color: Color?
  /// Line width in pixels.
  public let lineWidth: Double
  /// Line opacity, 0…1.
  public let alpha: Double
  /// A marker drawn at every point, or `nil`.
  public let marker: Marker?

  /// A series.
  /// - Throws: ``PlotError`` ("line: …") when `y` is empty, counts differ, or width or alpha is out of
  ///   range. NaN or infinite points are not an error: the line breaks there, with a warning.
  public init(
    name: String = "", x: [Double]? = nil, y: [Double], color: Color? = nil, lineWidth: Double = 1.5,
    alpha: Double = 1, marker: Marker? = nil
  ) throws {
    let label = name.isEmpty ? "line" : "line '\(name)'"
    guard !y.isEmpty else { throw PlotError(label, "y values are empty") }
    let xs = x ?? y.indices.map(Double.init)
    guard xs.count == y.count else { throw PlotError(label, "x has \(xs.count) values but y has \(y.count)") }
    guard lineWidth.isFinite, lineWidth > 0, lineWidth <= 100 else {
      throw PlotError(label, "line width must be in (0, 100] pixels, got \(lineWidth)")
    }
    guard alpha.isFinite, alpha >= 0, alpha <= 1 else {
      throw PlotError(label, "alpha must be in [0, 1], got \(alpha)")
    }
    self.name = name
    self.x = xs
    self.y = y
    self.color = color
    self.lineWidth = lineWidth
    self.alpha = alpha
    self.marker = marker
  }

  /// A series from a `[T, 2]` tensor of (x, y) rows, e.g. one Langevin chain.
  public init(
    name: String = "", points: Tensor, color: Color? = nil, lineWidth: Double = 1.5, alpha: Double = 1,
    marker: Marker? = nil
  ) throws {
    let (x, y) = try pairs(points, figure: name.isEmpty ? "line" : "line '\(name)'", what: "points")
    try self.init(name: name, x: x, y: y, color: color, lineWidth: lineWidth, alpha: alpha, marker: marker)
  }
}

extension LineSeries: LayerDrawing {
  var usesAutoColor: Bool { color == nil }

  func bounds(logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    let ok = x.indices.filter { x[$0].isFinite && y[$0].isFinite && (!logY || y[$0] > 0) }
    return (finiteRange(ok.map { x[$0] }), finiteRange(ok.map { y[$0] }))
  }

  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String]) {
    let c = (color ?? autoColor).opacity(alpha)
    var runs: [[Point]] = [[]]
    var bad = 0
    var nonPositive = 0
    for i in x.indices {
      guard x[i].isFinite, y[i].isFinite else {
        bad += 1
        if !runs[runs.count - 1].isEmpty { runs.append([]) }
        continue
      }
      guard let p = frame.point(x[i], y[i]) else {
        nonPositive += 1
        if !runs[runs.count - 1].isEmpty { runs.append([]) }
        continue
      }
      runs[runs.count - 1].append(p)
    }
    canvas.strokePaths(runs.filter { !$0.isEmpty }, color: c, lineWidth: lineWidth)
    if let marker {
      for run in runs { for p in run { canvas.marker(marker, at: p, size: lineWidth * 2 + 3, color: c) } }
    }
    let label = name.isEmpty ? "line" : "line '\(name)'"
    if bad > 0 {
      warnings.append("\(label): skipped \(bad) of \(x.count) points with NaN or infinite values")
    }
    if nonPositive > 0 {
      warnings.append("\(label): skipped \(nonPositive) of \(x.count) points with y <= 0 on a log axis")
    }
  }

  func legend(autoColor: Color) -> [LegendEntry] {
    name.isEmpty
      ? [] : [LegendEntry(label: name, color: (color ?? autoColor).opacity(alpha), swatch: .line(lineWidth))]
  }
}

extension Figure {
  /// A line chart of several series in one panel, with a legend for the named ones.
  /// - Parameter logY: a logarithmic y axis (points with y ≤ 0 are skipped with a warning).
  /// - Throws: ``PlotError`` when `series` is empty.
  public static func lines(
    _ series: [LineSeries], title: String = "", xLabel: String = "x", yLabel: String = "y",
    logY: Bool = false,
    width: Int = 520, height: Int = 380
  ) throws -> Figure {
    guard !series.isEmpty else { throw PlotError("line chart", "needs at least one series") }
    return Figure(
      Panel(title: title, xLabel: xLabel, yLabel: yLabel, layers: series.map { .line($0) }, logY: logY),
      width: width, height: height)
  }
}

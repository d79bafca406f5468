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

  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    let ok = x.indices.filter { x[$0].isFinite && y[$0].isFinite && (!logX || x[$0] > 0) && (!logY || y[$0] > 0) }
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
      warnings.append("\(label): skipped \(nonPositive) of \(x.count) points with \(frame.logAxes) <= 0 on a log axis")
    }
  }

  func legend(autoColor: Color) -> [LegendEntry] {
    name.isEmpty
      ? [] : [LegendEntry(label: name, color: (color ?? autoColor).opacity(alpha), swatch: .line(lineWidth))]
  }
}

/// The exponential moving average of `values` with weight `weight` in [0, 1) on the past, debiased
/// at the start (as TensorBoard smooths): s_t = (w·m_{t−1} + (1−w)·y_t) / (1 − w^t). NaN and infinite
/// values are passed through without entering the average.
public func exponentialMovingAverage(_ values: [Double], weight: Double) -> [Double] {
  let w = Swift.min(Swift.max(weight.isFinite ? weight : 0, 0), 0.9999)
  var m = 0.0
  var debias = 1.0
  return values.map { y in
    guard y.isFinite else { return y }
    m = w * m + (1 - w) * y
    debias *= w
    return m / (1 - debias)
  }
}

/// The smoothing weight `plot_stats` uses for a run of `count` steps: none up to 200 steps, then an
/// average over about count/100 steps (weight 1 − 2/(span + 1)).
public func automaticSmoothing(count: Int) -> Double {
  guard count > 200 else { return 0 }
  let span = Double(count) / 100
  return 1 - 2 / (span + 1)
}

extension Figure {
  /// A line chart of several series in one panel, with a legend for the named ones.
  /// - Parameters:
  ///   - bands: translucent regions drawn under the lines (mean ± std).
  ///   - logX, logY: logarithmic axes (points with a value ≤ 0 there are skipped with a warning).
  ///   - xLimits, yLimits: the ranges shown (the data's, with a margin, when `nil`).
  ///   - legend: where the legend goes, or `nil` for none.
  /// - Throws: ``PlotError`` when `series` is empty.
  public static func lines(
    _ series: [LineSeries], bands: [BandLayer] = [], title: String = "", xLabel: String = "x",
    yLabel: String = "y", logX: Bool = false, logY: Bool = false, xLimits: ClosedRange<Double>? = nil,
    yLimits: ClosedRange<Double>? = nil, legend: LegendPosition? = .best,
    width: Int = 520, height: Int = 380
  ) throws -> Figure {
    guard !series.isEmpty else { throw PlotError("line chart", "needs at least one series") }
    var panel = Panel(
      title: title, xLabel: xLabel, yLabel: yLabel, layers: bands.map { .band($0) } + series.map { .line($0) },
      xLimits: xLimits, yLimits: yLimits, logY: logY, legend: legend != nil,
      legendPosition: legend ?? .best)
    panel.logX = logX
    return Figure(panel, width: width, height: height)
  }
}

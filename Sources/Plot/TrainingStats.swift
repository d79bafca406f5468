// TrainingStats: the training statistics figure (`plot_stats`): one small line panel per
// statistic, smoothed with an exponential moving average (said once, in the figure's title), on
// log or robust axes where asked.
import Glibc

/// One training statistic over steps, for ``Figure/trainingStats(_:columns:title:smoothing:robust:)``.
public struct TrainingStat: Sendable {
  /// The panel title, e.g. `$L_G$ generator loss` (``MathText`` math allowed).
  public var name: String
  /// The step of each value; `nil` for 0, 1, 2, ….
  public var steps: [Double]?
  /// The values.
  public var values: [Double]
  /// A logarithmic y axis.
  public var logY: Bool

  /// A statistic.
  public init(name: String, steps: [Double]? = nil, values: [Double], logY: Bool = false) {
    self.name = name
    self.steps = steps
    self.values = values
    self.logY = logY
  }
}

extension Figure {
  /// Training statistics, one small line panel each (like a `stat.png` grid).
  /// - Parameters:
  ///   - smoothing: the exponential-moving-average weight in [0, 1) for the drawn curve, the raw
  ///     values faint behind it; `nil` chooses by length (``automaticSmoothing(count:)``: none up
  ///     to 200 steps), 0 draws the raw values only. The weight is said once, after `title` (or
  ///     under each panel when the statistics got different weights).
  ///   - robust: each panel's y range from ``robustLimits(_:log:)`` of its raw values, so a few
  ///     extreme steps (the spike of the first steps) do not set the scale.
  /// - Throws: ``PlotError`` when `stats` is empty, a statistic has no values or mismatched steps, or
  ///   `smoothing` is outside [0, 1).
  public static func trainingStats(
    _ stats: [TrainingStat], columns: Int = 3, title: String = "", smoothing: Double? = nil, robust: Bool = false
  ) throws -> Figure {
    guard !stats.isEmpty else { throw PlotError("training stats", "needs at least one statistic") }
    if let w = smoothing, !(w.isFinite && w >= 0 && w < 1) {
      throw PlotError("training stats", "smoothing must be in [0, 1), got \(w)")
    }
    let weights = stats.map { smoothing ?? automaticSmoothing(count: $0.values.count) }
    let shared = Set(weights).count == 1
    let panels = try zip(stats, weights).enumerated().map { k, sw in
      let (s, w) = sw
      let c = Palette.color(k)
      var layers: [PlotLayer] = []
      if w > 0 {
        layers.append(.line(try LineSeries(x: s.steps, y: s.values, color: c, lineWidth: 1, alpha: 0.25)))
        layers.append(
          .line(try LineSeries(x: s.steps, y: exponentialMovingAverage(s.values, weight: w), color: c)))
      } else {
        layers.append(.line(try LineSeries(x: s.steps, y: s.values, color: c)))
      }
      return Panel(
        title: s.name, xLabel: shared || w == 0 ? "step" : "step (\(smoothingNote(w)))", layers: layers,
        yLimits: robust ? robustLimits(s.values, log: s.logY) : nil, logY: s.logY, legend: false)
    }
    var heading = title
    if shared, let w = weights.first, w > 0 {
      heading = title.isEmpty ? smoothingNote(w) : "\(title) · \(smoothingNote(w))"
    }
    return Figure(
      panels: panels, columns: Swift.max(1, Swift.min(columns, stats.count)), panelWidth: 320,
      panelHeight: 220, title: heading)
  }

  /// "EMA 0.99, raw values faint": how the curves of the statistics figure were smoothed.
  static func smoothingNote(_ w: Double) -> String {
    "EMA \((w * 1000).rounded() / 1000), raw values faint"
  }
}

/// The percentiles a robust y range spans, by nearest rank inwards (with 100 values or fewer,
/// exactly the lowest and the highest value are left out).
public let robustPercentiles = (low: 0.01, high: 0.99)

/// A y range that a few extreme values do not set: from the 1st to the 99th percentile of the
/// finite `values` (positive ones on a `log` axis), by nearest rank inwards, widened by 5% of
/// its span on each side (in decades on a log axis). `nil` (the data's own range) when fewer than
/// three values are usable or the percentiles are equal.
public func robustLimits(_ values: [Double], log: Bool) -> ClosedRange<Double>? {
  var v = values.filter { $0.isFinite && (!log || $0 > 0) }
  guard v.count >= 3 else { return nil }
  v.sort()
  let n = Double(v.count - 1)
  let lo = v[Int((robustPercentiles.low * n).rounded(.up))]
  let hi = v[Int((robustPercentiles.high * n).rounded(.down))]
  guard hi > lo else { return nil }
  if log {
    let (a, b) = (log10(lo), log10(hi))
    let m = (b - a) * 0.05
    return pow10Real(a - m)...pow10Real(b + m)
  }
  let m = (hi - lo) * 0.05
  return (lo - m)...(hi + m)
}

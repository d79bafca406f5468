// Histogram: counts (or densities) of values in equal bins, drawn as translucent bars with an outline
// so that several histograms can overlay.
import Engine

/// A histogram of values.
public struct HistogramLayer: Sendable {
  /// The values; NaN and infinite ones are skipped when drawn, with a warning.
  public let values: [Double]
  /// Number of equal-width bins.
  public let bins: Int
  /// The binned range (the finite values' min…max when `nil`); values outside are not counted.
  public let range: ClosedRange<Double>?
  /// Bar colour; `nil` takes the panel's next palette colour.
  public let color: Color?
  /// Bar fill opacity, 0…1 (the outline is opaque).
  public let alpha: Double
  /// Show densities (the bars' area sums to 1) instead of counts.
  public let density: Bool
  /// Legend label (empty for none).
  public let name: String

  /// A histogram layer.
  /// - Throws: ``PlotError`` ("histogram: …") when `values` is empty, `bins` is not in 1…10000, or the
  ///   range or alpha is invalid.
  public init(
    values: [Double], bins: Int = 30, range: ClosedRange<Double>? = nil, color: Color? = nil,
    alpha: Double = 0.5,
    density: Bool = false, name: String = ""
  ) throws {
    guard !values.isEmpty else { throw PlotError("histogram", "values are empty") }
    guard (1...10000).contains(bins) else {
      throw PlotError("histogram", "bins must be in 1...10000, got \(bins)")
    }
    if let r = range, !(r.lowerBound.isFinite && r.upperBound.isFinite && r.lowerBound < r.upperBound) {
      throw PlotError("histogram", "range must be finite with lower < upper, got \(r)")
    }
    guard alpha.isFinite, alpha >= 0, alpha <= 1 else {
      throw PlotError("histogram", "alpha must be in [0, 1], got \(alpha)")
    }
    self.values = values
    self.bins = bins
    self.range = range
    self.color = color
    self.alpha = alpha
    self.density = density
    self.name = name
  }

  /// A histogram of every value of a tensor (any shape).
  public init(
    values: Tensor, bins: Int = 30, range: ClosedRange<Double>? = nil, color: Color? = nil,
    alpha: Double = 0.5,
    density: Bool = false, name: String = ""
  ) throws {
    guard values.count > 0 else {
      throw PlotError("histogram", "values are empty (shape \(formatShape(values.shape)))")
    }
    try self.init(
      values: values.scalars.map(Double.init), bins: bins, range: range, color: color, alpha: alpha,
      density: density, name: name)
  }

  /// The binned range actually used.
  public var binRange: ClosedRange<Double> {
    if let range { return range }
    guard let r = finiteRange(values) else { return 0...1 }
    return r.lowerBound < r.upperBound ? r : (r.lowerBound - 0.5)...(r.upperBound + 0.5)
  }

  /// The height of each bin: a count, or a density when ``density`` is set.
  public var heights: [Double] {
    let r = binRange
    let w = (r.upperBound - r.lowerBound) / Double(bins)
    var counts = [Double](repeating: 0, count: bins)
    var n = 0.0
    for v in values where v.isFinite && v >= r.lowerBound && v <= r.upperBound {
      counts[Swift.min(Int((v - r.lowerBound) / w), bins - 1)] += 1
      n += 1
    }
    return density && n > 0 ? counts.map { $0 / (n * w) } : counts
  }
}

extension HistogramLayer: LayerDrawing {
  var padsLimits: Bool { false }
  var usesAutoColor: Bool { color == nil }

  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    let h = heights
    let top = (h.max() ?? 1) * 1.05
    if logY {
      guard let lo = finiteRange(h, positive: true) else { return (binRange, nil) }
      return (binRange, (lo.lowerBound * 0.8)...(lo.upperBound * 1.25))
    }
    return (binRange, 0...(top > 0 ? top : 1))
  }

  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String]) {
    let c = color ?? autoColor
    let r = binRange
    let h = heights
    let w = (r.upperBound - r.lowerBound) / Double(bins)
    let baseY = frame.y.log ? frame.rect.maxY : (frame.point(r.lowerBound, 0)?.y ?? frame.rect.maxY)
    var outline: [Point] = []
    for (k, v) in h.enumerated() {
      let x0 = r.lowerBound + Double(k) * w
      let x1 = x0 + w
      guard let a = frame.point(x0, 1), let b = frame.point(x1, 1) else { continue }
      let top = v > 0 ? (frame.point(x0, v)?.y ?? baseY) : baseY
      if v > 0 {
        canvas.fill(Rect(x: a.x, y: top, width: b.x - a.x, height: baseY - top), color: c.opacity(alpha))
      }
      outline.append(Point(a.x, top))
      outline.append(Point(b.x, top))
    }
    if let f = outline.first, let l = outline.last {
      canvas.polyline([Point(f.x, baseY)] + outline + [Point(l.x, baseY)], color: c, lineWidth: 1)
    }
    let bad = values.filter { !$0.isFinite }.count
    let label = name.isEmpty ? "histogram" : "histogram '\(name)'"
    if bad > 0 { warnings.append("\(label): skipped \(bad) of \(values.count) NaN or infinite values") }
  }

  func legend(autoColor: Color) -> [LegendEntry] {
    let c = color ?? autoColor
    return name.isEmpty
      ? [] : [LegendEntry(label: name, color: c.opacity(Swift.max(alpha, 0.6)), swatch: .patch)]
  }
}

extension Figure {
  /// A histogram of every value of a tensor.
  /// - Parameter density: show densities (area 1) instead of counts.
  /// - Throws: ``PlotError`` when `values` is empty or `bins` is out of range.
  public static func histogram(
    _ values: Tensor, bins: Int = 30, range: ClosedRange<Double>? = nil, density: Bool = false,
    title: String = "",
    xLabel: String = "value", yLabel: String? = nil, logY: Bool = false, width: Int = 480, height: Int = 360
  ) throws -> Figure {
    let layer = try HistogramLayer(values: values, bins: bins, range: range, alpha: 0.6, density: density)
    return Figure(
      Panel(
        title: title, xLabel: xLabel, yLabel: yLabel ?? (density ? "density" : "count"),
        layers: [.histogram(layer)], logY: logY),
      width: width, height: height)
  }
}

// Band: a translucent region between a lower and an upper curve over x, e.g. mean ± std of runs.
import Engine

/// The region between `lower` and `upper` over `x`, filled translucent.
public struct BandLayer: Sendable {
  /// x coordinates.
  public let x: [Double]
  /// The lower edge, as many values as `x`.
  public let lower: [Double]
  /// The upper edge, as many values as `x`.
  public let upper: [Double]
  /// The fill colour; `nil` takes the panel's next palette colour.
  public let color: Color?
  /// Fill opacity, 0…1.
  public let alpha: Double
  /// Legend label (empty: not in the legend).
  public let name: String

  /// A band.
  /// - Throws: ``PlotError`` ("band: …") when the counts differ, there are none, or alpha is out of
  ///   range. Points where any value is NaN or infinite split the band, with a warning when drawn.
  public init(
    x: [Double], lower: [Double], upper: [Double], color: Color? = nil, alpha: Double = 0.2, name: String = ""
  ) throws {
    guard !x.isEmpty else { throw PlotError("band", "x values are empty") }
    guard lower.count == x.count, upper.count == x.count else {
      throw PlotError("band", "x has \(x.count) values but lower has \(lower.count) and upper \(upper.count)")
    }
    guard alpha.isFinite, alpha >= 0, alpha <= 1 else {
      throw PlotError("band", "alpha must be in [0, 1], got \(alpha)")
    }
    self.x = x
    self.lower = lower
    self.upper = upper
    self.color = color
    self.alpha = alpha
    self.name = name
  }

  /// The band mean ± `k`·std of several runs: `runs[r][i]` is run r's value at `x[i]`.
  /// - Throws: ``PlotError`` when there are no runs or they differ in length from `x`.
  public static func meanStd(x: [Double]? = nil, runs: [[Double]], k: Double = 1, color: Color? = nil)
    throws -> (mean: [Double], band: BandLayer)
  {
    guard let n = runs.first?.count, n > 0 else { throw PlotError("band", "needs at least one run with values") }
    guard runs.allSatisfy({ $0.count == n }) else { throw PlotError("band", "runs must all have \(n) values") }
    var mean = [Double](repeating: 0, count: n)
    var sd = [Double](repeating: 0, count: n)
    for i in 0..<n {
      let v = runs.map { $0[i] }
      let m = v.reduce(0, +) / Double(v.count)
      mean[i] = m
      sd[i] = (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
    }
    let xs = x ?? (0..<n).map(Double.init)
    let band = try BandLayer(
      x: xs, lower: zip(mean, sd).map { $0 - k * $1 }, upper: zip(mean, sd).map { $0 + k * $1 }, color: color)
    return (mean, band)
  }
}

extension BandLayer: LayerDrawing {
  var usesAutoColor: Bool { color == nil }

  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    let ok = x.indices.filter {
      x[$0].isFinite && lower[$0].isFinite && upper[$0].isFinite && (!logX || x[$0] > 0)
        && (!logY || lower[$0] > 0)
    }
    return (finiteRange(ok.map { x[$0] }), finiteRange(ok.flatMap { [lower[$0], upper[$0]] }))
  }

  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String]) {
    let c = (color ?? autoColor).opacity(alpha)
    var top: [Point] = []
    var bottom: [Point] = []
    var skipped = 0
    func flush() {
      if top.count >= 2 { canvas.fillPolygon(top + bottom.reversed(), color: c) }
      top = []
      bottom = []
    }
    for i in x.indices {
      guard let a = frame.point(x[i], upper[i]), let b = frame.point(x[i], lower[i]) else {
        skipped += 1
        flush()
        continue
      }
      top.append(a)
      bottom.append(b)
    }
    flush()
    if skipped > 0 {
      let label = name.isEmpty ? "band" : "band '\(name)'"
      warnings.append("\(label): skipped \(skipped) of \(x.count) points that cannot be shown")
    }
  }

  func legend(autoColor: Color) -> [LegendEntry] {
    let c = (color ?? autoColor).opacity(Swift.max(alpha, 0.4))
    return name.isEmpty ? [] : [LegendEntry(label: name, color: c, swatch: .patch)]
  }
}

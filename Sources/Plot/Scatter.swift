// Scatter: points as markers, in one colour, coloured by a value through a colormap, or by group.
import Engine

/// How scatter points get their colours.
public enum PointColoring: Sendable {
  /// One colour for every point; `nil` takes the panel's next palette colour.
  case single(Color?)
  /// A value per point mapped through `colormap` over `range` (the values' min…max when `nil`);
  /// the panel shows a colour bar.
  case values([Double], colormap: Colormap = .viridis, range: ClosedRange<Double>? = nil)
  /// A group index per point, each group a ``Palette`` colour; `names[g]` labels group `g` in the legend.
  case groups([Int], names: [String] = [])
}

/// Points drawn as markers.
public struct ScatterLayer: Sendable {
  /// x coordinates.
  public let x: [Double]
  /// y coordinates, as many as `x`.
  public let y: [Double]
  /// How points are coloured.
  public let coloring: PointColoring
  /// Marker diameter in pixels.
  public let size: Double
  /// Marker opacity, 0…1.
  public let alpha: Double
  /// Marker shape.
  public let marker: Marker
  /// Legend label for a single-colour layer (empty for none).
  public let name: String

  /// A layer of points.
  /// - Throws: ``PlotError`` ("scatter: …") when counts differ, or size or alpha is out of range.
  ///   NaN or infinite points are not an error: they are skipped when drawn, with a warning.
  public init(
    x: [Double], y: [Double], coloring: PointColoring = .single(nil), size: Double = 4, alpha: Double = 0.8,
    marker: Marker = .circle, name: String = ""
  ) throws {
    guard x.count == y.count else {
      throw PlotError("scatter", "x has \(x.count) values but y has \(y.count)")
    }
    guard size.isFinite, size > 0, size <= 200 else {
      throw PlotError("scatter", "marker size must be in (0, 200] pixels, got \(size)")
    }
    guard alpha.isFinite, alpha >= 0, alpha <= 1 else {
      throw PlotError("scatter", "alpha must be in [0, 1], got \(alpha)")
    }
    switch coloring {
    case .values(let v, _, let range):
      guard v.count == x.count else {
        throw PlotError("scatter", "\(v.count) colour values for \(x.count) points")
      }
      if let r = range, !(r.lowerBound.isFinite && r.upperBound.isFinite) {
        throw PlotError("scatter", "colour range must be finite, got \(r)")
      }
    case .groups(let g, _):
      guard g.count == x.count else {
        throw PlotError("scatter", "\(g.count) group indices for \(x.count) points")
      }
    case .single: break
    }
    self.x = x
    self.y = y
    self.coloring = coloring
    self.size = size
    self.alpha = alpha
    self.marker = marker
    self.name = name
  }

  /// A layer from an `[N, 2]` tensor of (x, y) rows.
  /// - Throws: ``PlotError`` when `points` is not `[N, 2]` with N ≥ 1, or as the other initializer.
  public init(
    points: Tensor, coloring: PointColoring = .single(nil), size: Double = 4, alpha: Double = 0.8,
    marker: Marker = .circle, name: String = ""
  ) throws {
    let (x, y) = try pairs(points, figure: "scatter", what: "points")
    try self.init(x: x, y: y, coloring: coloring, size: size, alpha: alpha, marker: marker, name: name)
  }
}

/// The columns of an `[N, 2]` tensor, checked.
func pairs(_ t: Tensor, figure: String, what: String) throws -> ([Double], [Double]) {
  guard t.rank == 2, t.shape[1] == 2 else {
    throw PlotError(figure, "\(what) must have shape [N, 2], got \(formatShape(t.shape))")
  }
  guard t.shape[0] > 0 else { throw PlotError(figure, "\(what) are empty (shape \(formatShape(t.shape)))") }
  let s = t.scalars
  return (
    stride(from: 0, to: s.count, by: 2).map { Double(s[$0]) },
    stride(from: 1, to: s.count, by: 2).map { Double(s[$0]) }
  )
}

/// Min and max of the finite values (and positive ones when `positive`), or `nil`.
func finiteRange<S: Sequence<Double>>(_ values: S, positive: Bool = false) -> ClosedRange<Double>? {
  var lo = Double.infinity
  var hi = -Double.infinity
  for v in values where v.isFinite && (!positive || v > 0) {
    lo = Swift.min(lo, v)
    hi = Swift.max(hi, v)
  }
  return lo <= hi ? lo...hi : nil
}

extension ScatterLayer: LayerDrawing {
  var usesAutoColor: Bool {
    if case .single(nil) = coloring { return true }
    return false
  }

  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    let ok = x.indices.filter { x[$0].isFinite && y[$0].isFinite && (!logX || x[$0] > 0) && (!logY || y[$0] > 0) }
    return (finiteRange(ok.map { x[$0] }), finiteRange(ok.map { y[$0] }))
  }

  var valueRange: ClosedRange<Double> {
    guard case .values(let v, _, let range) = coloring else { return 0...1 }
    return range ?? finiteRange(v) ?? 0...1
  }

  var colorBar: ColorBarSpec? {
    guard case .values(_, let map, _) = coloring else { return nil }
    return ColorBarSpec(colormap: map, lo: valueRange.lowerBound, hi: valueRange.upperBound)
  }

  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String]) {
    var bad = 0
    var nonPositive = 0
    let vr = valueRange
    for i in x.indices {
      var c: Color
      switch coloring {
      case .single(let col): c = col ?? autoColor
      case .groups(let g, _): c = Palette.color(g[i])
      case .values(let v, let map, _):
        guard v[i].isFinite else {
          bad += 1
          continue
        }
        let span = vr.upperBound - vr.lowerBound
        c = map.color(at: span > 0 ? (v[i] - vr.lowerBound) / span : 0.5)
      }
      guard x[i].isFinite, y[i].isFinite else {
        bad += 1
        continue
      }
      guard let p = frame.point(x[i], y[i]) else {
        nonPositive += 1
        continue
      }
      c = c.opacity(alpha)
      canvas.marker(marker, at: p, size: size, color: c)
    }
    let label = name.isEmpty ? "scatter" : "scatter '\(name)'"
    if bad > 0 {
      warnings.append("\(label): skipped \(bad) of \(x.count) points with NaN or infinite values")
    }
    if nonPositive > 0 {
      warnings.append("\(label): skipped \(nonPositive) of \(x.count) points with \(frame.logAxes) <= 0 on a log axis")
    }
  }

  func legend(autoColor: Color) -> [LegendEntry] {
    switch coloring {
    case .single(let c):
      return name.isEmpty ? [] : [LegendEntry(label: name, color: c ?? autoColor, swatch: .marker(marker))]
    case .groups(let g, let names):
      return Set(g).sorted().map { k in
        LegendEntry(
          label: k >= 0 && k < names.count ? names[k] : "group \(k)", color: Palette.color(k),
          swatch: .marker(marker))
      }
    case .values: return []
    }
  }
}

extension Figure {
  /// A scatter plot of an `[N, 2]` tensor of (x, y) points.
  ///
  /// Colour points by a value with `.values(v, colormap: .viridis)` (adds a colour bar) or by group
  /// with `.groups(g, names: [...])` (adds a legend). NaN or infinite points are skipped and reported in
  /// the result's warnings.
  /// - Throws: ``PlotError`` when `points` is not `[N, 2]` with N ≥ 1 or an option is out of range.
  public static func scatter(
    _ points: Tensor, title: String = "", xLabel: String = "x", yLabel: String = "y",
    coloring: PointColoring = .single(nil), size: Double = 4, alpha: Double = 0.8, marker: Marker = .circle,
    colorBarLabel: String = "", width: Int = 480, height: Int = 400
  ) throws -> Figure {
    let layer = try ScatterLayer(points: points, coloring: coloring, size: size, alpha: alpha, marker: marker)
    return Figure(
      Panel(
        title: title, xLabel: xLabel, yLabel: yLabel, layers: [.scatter(layer)],
        colorBarLabel: colorBarLabel),
      width: width, height: height)
  }
}

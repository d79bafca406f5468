// Heatmap: values on a regular 2-D grid over a rectangle of the plane, coloured through a colormap,
// with a colour bar. Used for densities and energy landscapes.
import Engine

/// The rectangle of the plane a grid covers.
public struct Extent: Sendable, Equatable {
  public var xMin: Double
  public var xMax: Double
  public var yMin: Double
  public var yMax: Double

  /// The rectangle `[xMin, xMax] × [yMin, yMax]`.
  public init(xMin: Double, xMax: Double, yMin: Double, yMax: Double) {
    self.xMin = xMin
    self.xMax = xMax
    self.yMin = yMin
    self.yMax = yMax
  }

  /// The square `[-r, r] × [-r, r]`.
  public init(square r: Double) { self.init(xMin: -r, xMax: r, yMin: -r, yMax: r) }

  func check(_ figure: String) throws {
    guard [xMin, xMax, yMin, yMax].allSatisfy(\.isFinite), xMin < xMax, yMin < yMax else {
      throw PlotError(figure, "extent must be finite with xMin < xMax and yMin < yMax, got \(self)")
    }
  }

  /// The centres of a `rows`×`columns` split of the extent as a `[rows * columns, 2]` tensor of (x, y),
  /// in the row-major order of a heatmap with ``GridOrigin/lower``: row 0 is the bottom (y near `yMin`).
  /// Evaluate an energy on these points and reshape to `[rows, columns]` for ``HeatmapLayer``.
  public func cellCenters(rows: Int, columns: Int) throws -> Tensor {
    try check("extent")
    guard rows >= 1, columns >= 1 else {
      throw PlotError("extent", "grid size must be at least 1x1, got \(rows)x\(columns)")
    }
    var s: [Float] = []
    s.reserveCapacity(rows * columns * 2)
    for i in 0..<rows {
      for j in 0..<columns {
        s.append(Float(xMin + (Double(j) + 0.5) * (xMax - xMin) / Double(columns)))
        s.append(Float(yMin + (Double(i) + 0.5) * (yMax - yMin) / Double(rows)))
      }
    }
    return try Tensor(shape: [rows * columns, 2], scalars: s)
  }
}

/// Which grid row is drawn at the bottom.
public enum GridOrigin: Sendable {
  /// Row 0 at the bottom (y = `yMin`), as for a function evaluated on a grid.
  case lower
  /// Row 0 at the top, as for an image.
  case upper
}

/// A grid of values drawn as coloured cells: value `[i, j]` fills the cell at column `j`, row `i` of a
/// `rows`×`columns` split of `extent`.
public struct HeatmapLayer: Sendable {
  /// Grid rows.
  public let rows: Int
  /// Grid columns.
  public let columns: Int
  /// `rows * columns` values, row-major.
  public let values: [Double]
  /// The rectangle the grid covers.
  public let extent: Extent
  /// The colour scale.
  public let colormap: Colormap
  /// The values mapped to the two ends of the colour scale (the data's min…max when `nil`).
  public let range: ClosedRange<Double>?
  /// Which row is at the bottom.
  public let origin: GridOrigin
  /// Bilinear interpolation between cell centres instead of flat cells.
  public let smooth: Bool

  /// A heatmap of a `[H, W]` tensor over `extent`.
  /// - Throws: ``PlotError`` ("heatmap: …") when `values` is not rank 2, is empty, has NaN or infinite
  ///   entries, or the extent or range is not finite and increasing.
  public init(
    values: Tensor, extent: Extent, colormap: Colormap = .viridis, range: ClosedRange<Double>? = nil,
    origin: GridOrigin = .lower, smooth: Bool = false
  ) throws {
    guard values.rank == 2 else {
      throw PlotError("heatmap", "values must have shape [H, W], got \(formatShape(values.shape))")
    }
    guard values.count > 0 else {
      throw PlotError("heatmap", "values are empty (shape \(formatShape(values.shape)))")
    }
    let s = values.scalars
    let bad = s.filter { !$0.isFinite }.count
    guard bad == 0 else {
      throw PlotError("heatmap", "values contain \(bad) NaN or infinite entries (of \(s.count))")
    }
    try extent.check("heatmap")
    if let r = range, !(r.lowerBound.isFinite && r.upperBound.isFinite) {
      throw PlotError("heatmap", "colour range must be finite, got \(r)")
    }
    rows = values.shape[0]
    columns = values.shape[1]
    self.values = s.map(Double.init)
    self.extent = extent
    self.colormap = colormap
    self.range = range
    self.origin = origin
    self.smooth = smooth
  }

  /// The range the colour scale spans.
  public var colorRange: ClosedRange<Double> { range ?? finiteRange(values) ?? 0...1 }

  /// The value at (x, y) in data units, or `nil` outside the extent.
  func value(atX x: Double, y: Double) -> Double? {
    guard x >= extent.xMin, x <= extent.xMax, y >= extent.yMin, y <= extent.yMax else { return nil }
    var u = (x - extent.xMin) / (extent.xMax - extent.xMin) * Double(columns)
    var v = (y - extent.yMin) / (extent.yMax - extent.yMin) * Double(rows)
    if origin == .upper { v = Double(rows) - v }
    func at(_ i: Int, _ j: Int) -> Double { values[i * columns + j] }
    if !smooth {
      let j = Swift.min(Int(u), columns - 1)
      let i = Swift.min(Int(v), rows - 1)
      return at(Swift.max(i, 0), Swift.max(j, 0))
    }
    u = Swift.min(Swift.max(u - 0.5, 0), Double(columns - 1))
    v = Swift.min(Swift.max(v - 0.5, 0), Double(rows - 1))
    let j0 = Swift.min(Int(u), Swift.max(columns - 2, 0))
    let i0 = Swift.min(Int(v), Swift.max(rows - 2, 0))
    let j1 = Swift.min(j0 + 1, columns - 1)
    let i1 = Swift.min(i0 + 1, rows - 1)
    let fu = u - Double(j0)
    let fv = v - Double(i0)
    let top = at(i0, j0) * (1 - fu) + at(i0, j1) * fu
    let bottom = at(i1, j0) * (1 - fu) + at(i1, j1) * fu
    return top * (1 - fv) + bottom * fv
  }
}

extension HeatmapLayer: LayerDrawing {
  var padsLimits: Bool { false }

  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) {
    (
      logX && extent.xMin <= 0 ? nil : extent.xMin...extent.xMax,
      logY && extent.yMin <= 0 ? nil : extent.yMin...extent.yMax
    )
  }

  var colorBar: ColorBarSpec? {
    ColorBarSpec(colormap: colormap, lo: colorRange.lowerBound, hi: colorRange.upperBound)
  }

  /// The grid's colours as an RGBA raster, top row first.
  func raster() -> [UInt8] {
    let cr = colorRange
    let span = cr.upperBound - cr.lowerBound
    var rgba = [UInt8](repeating: 0, count: rows * columns * 4)
    for i in 0..<rows {
      let screenRow = origin == .lower ? rows - 1 - i : i
      for j in 0..<columns {
        let v = values[i * columns + j]
        let c = colormap.color(at: span > 0 ? (v - cr.lowerBound) / span : 0.5)
        let o = 4 * (screenRow * columns + j)
        rgba[o] = c.r
        rgba[o + 1] = c.g
        rgba[o + 2] = c.b
        rgba[o + 3] = c.a
      }
    }
    return rgba
  }

  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String]) {
    let r = frame.rect
    if !frame.x.log && !frame.y.log, let a = frame.point(extent.xMin, extent.yMax),
      let b = frame.point(extent.xMax, extent.yMin)
    {
      // The grid itself, one raster pixel per cell: crisp cells, or bilinear between cell centres.
      canvas.image(
        rgba: raster(), width: columns, height: rows,
        in: Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y), smooth: smooth)
      return
    }
    // On a log axis cells are not evenly spaced: sample the grid at every layout unit instead.
    let w = Swift.max(1, Int(r.width.rounded()))
    let h = Swift.max(1, Int(r.height.rounded()))
    let cr = colorRange
    let span = cr.upperBound - cr.lowerBound
    var rgba = [UInt8](repeating: 0, count: w * h * 4)
    for py in 0..<h {
      let y = frame.y.value(1 - (Double(py) + 0.5) / Double(h))
      for px in 0..<w {
        let x = frame.x.value((Double(px) + 0.5) / Double(w))
        guard let v = value(atX: x, y: y) else { continue }
        let c = colormap.color(at: span > 0 ? (v - cr.lowerBound) / span : 0.5)
        let o = 4 * (py * w + px)
        rgba[o] = c.r
        rgba[o + 1] = c.g
        rgba[o + 2] = c.b
        rgba[o + 3] = c.a
      }
    }
    canvas.image(rgba: rgba, width: w, height: h, in: r)
  }
}

extension Figure {
  /// A heatmap of a `[H, W]` tensor with a colour bar.
  /// - Parameters:
  ///   - extent: the rectangle the grid covers; by default `[0, W] × [0, H]`.
  ///   - origin: `.lower` puts row 0 at the bottom (functions on a grid), `.upper` at the top (images).
  /// - Throws: ``PlotError`` for a tensor that is not rank 2, empty, or not finite.
  public static func heatmap(
    _ values: Tensor, extent: Extent? = nil, colormap: Colormap = .viridis, range: ClosedRange<Double>? = nil,
    origin: GridOrigin = .lower, smooth: Bool = false, title: String = "", xLabel: String = "x",
    yLabel: String = "y", colorBarLabel: String = "", width: Int = 500, height: Int = 400
  ) throws -> Figure {
    let e =
      extent
      ?? Extent(
        xMin: 0, xMax: Double(Swift.max(values.shape.last ?? 1, 1)), yMin: 0,
        yMax: Double(Swift.max(values.shape.first ?? 1, 1)))
    let layer = try HeatmapLayer(
      values: values, extent: e, colormap: colormap, range: range, origin: origin, smooth: smooth)
    return Figure(
      Panel(
        title: title, xLabel: xLabel, yLabel: yLabel, layers: [.heatmap(layer)], grid: false,
        colorBarLabel: colorBarLabel),
      width: width, height: height)
  }
}

// Canvas: an RGBA8 raster with anti-aliased shapes, alpha blending, clipping and bitmap text.
//
// Coordinates are in pixels, x to the right and y down; pixel (i, j) covers [i, i+1) × [j, j+1) and is
// sampled at its centre (i + 0.5, j + 0.5). Shapes compute a coverage in [0, 1] per pixel and blend
// their colour "over" what is there, scaled by that coverage.
import PNG

/// An sRGB colour with straight (not premultiplied) alpha, 8 bits per channel.
public struct Color: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var r: UInt8
  public var g: UInt8
  public var b: UInt8
  public var a: UInt8

  /// A colour from its channels.
  public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
    self.r = r
    self.g = g
    self.b = b
    self.a = a
  }

  /// An opaque colour from `0xRRGGBB`.
  public init(hex: UInt32) {
    self.init(UInt8(hex >> 16 & 0xFF), UInt8(hex >> 8 & 0xFF), UInt8(hex & 0xFF))
  }

  /// The same colour with alpha `alpha` (0 transparent … 1 opaque), multiplied into the current alpha.
  public func opacity(_ alpha: Double) -> Color {
    let t = Swift.min(Swift.max(alpha, 0), 1)
    return Color(r, g, b, UInt8((Double(a) * t).rounded()))
  }

  /// `#rrggbbaa`.
  public var description: String {
    let hex = Array("0123456789abcdef")
    return "#" + [r, g, b, a].map { String(hex[Int($0 >> 4)]) + String(hex[Int($0 & 15)]) }.joined()
  }

  public static let white = Color(255, 255, 255)
  public static let black = Color(0, 0, 0)
  public static let transparent = Color(0, 0, 0, 0)
  /// Dark gray used for axes and text.
  public static let ink = Color(hex: 0x262626)
  /// Light gray used for grid lines.
  public static let gridGray = Color(hex: 0xE6E6E6)
  public static let red = Color(hex: 0xD62728)
  public static let green = Color(hex: 0x2CA02C)
  public static let blue = Color(hex: 0x1F77B4)
  public static let orange = Color(hex: 0xFF7F0E)
}

/// A point in canvas pixels (or in data units, where a function says so).
public struct Point: Equatable, Sendable {
  public var x: Double
  public var y: Double

  /// A point.
  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }
}

/// An axis-aligned rectangle: origin at its top-left corner.
public struct Rect: Equatable, Sendable {
  public var x: Double
  public var y: Double
  public var width: Double
  public var height: Double

  /// A rectangle from its top-left corner and size.
  public init(x: Double, y: Double, width: Double, height: Double) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }

  public var minX: Double { x }
  public var minY: Double { y }
  public var maxX: Double { x + width }
  public var maxY: Double { y + height }
  public var midX: Double { x + width / 2 }
  public var midY: Double { y + height / 2 }

  /// The part shared with `other`; empty (zero size) when they do not overlap.
  public func intersection(_ other: Rect) -> Rect {
    let x0 = Swift.max(minX, other.minX)
    let y0 = Swift.max(minY, other.minY)
    let x1 = Swift.min(maxX, other.maxX)
    let y1 = Swift.min(maxY, other.maxY)
    return Rect(x: x0, y: y0, width: Swift.max(0, x1 - x0), height: Swift.max(0, y1 - y0))
  }

  /// Whether `p` lies inside (edges included).
  public func contains(_ p: Point) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }
}

/// The shape of a scatter or chain marker.
public enum Marker: Sendable, Equatable {
  /// A filled disc.
  case circle
  /// A filled square.
  case square
  /// An upright cross (×), stroked.
  case cross
}

/// Where a text box sits relative to its anchor point, along one screen axis.
public enum TextAlign: Sendable {
  /// The anchor is the box's left (or top) edge.
  case start
  /// The anchor is the box's centre.
  case center
  /// The anchor is the box's right (or bottom) edge.
  case end
}

/// An RGBA8 raster that shapes and text are drawn onto.
public struct Canvas: Sendable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// `width * height * 4` bytes: R, G, B, A per pixel, rows from the top.
  public private(set) var pixels: [UInt8]
  /// Drawing only changes pixels whose centres lie inside this rectangle (the whole canvas by default).
  public var clip: Rect
  /// The font used by ``text(_:at:scale:color:horizontal:vertical:rotated:)``.
  public var font: any GlyphSource = Font8x8()

  /// A canvas filled with `background`.
  /// - Throws: ``PlotError`` when a size is not between 1 and 16384.
  public init(width: Int, height: Int, background: Color = .white) throws {
    guard (1...16384).contains(width), (1...16384).contains(height) else {
      throw PlotError("canvas", "size must be between 1 and 16384 pixels, got \(width)x\(height)")
    }
    self.width = width
    self.height = height
    pixels = [UInt8](repeating: 0, count: width * height * 4)
    for i in 0..<(width * height) {
      pixels[4 * i] = background.r
      pixels[4 * i + 1] = background.g
      pixels[4 * i + 2] = background.b
      pixels[4 * i + 3] = background.a
    }
    clip = Rect(x: 0, y: 0, width: Double(width), height: Double(height))
  }

  /// The colour at column `x`, row `y`; transparent outside the canvas.
  public func color(x: Int, y: Int) -> Color {
    guard x >= 0, y >= 0, x < width, y < height else { return .transparent }
    let o = 4 * (y * width + x)
    return Color(pixels[o], pixels[o + 1], pixels[o + 2], pixels[o + 3])
  }

  /// The pixels as a PNG-ready RGBA image.
  public func image() throws -> PNGImage {
    try PNGImage(width: width, height: height, format: .rgba, pixels: pixels)
  }

  // MARK: - Blending

  /// Blends `color` over pixel (`x`, `y`) with its alpha scaled by `coverage`; respects ``clip``.
  public mutating func blend(x: Int, y: Int, color: Color, coverage: Double = 1) {
    guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
    let cx = Double(x) + 0.5
    let cy = Double(y) + 0.5
    guard cx >= clip.minX, cx < clip.maxX, cy >= clip.minY, cy < clip.maxY else { return }
    let sa = Double(color.a) / 255 * Swift.min(coverage, 1)
    guard sa > 0 else { return }
    let o = 4 * (y * width + x)
    if sa >= 1 {
      pixels[o] = color.r
      pixels[o + 1] = color.g
      pixels[o + 2] = color.b
      pixels[o + 3] = 255
      return
    }
    let da = Double(pixels[o + 3]) / 255
    let oa = sa + da * (1 - sa)
    func mix(_ s: UInt8, _ d: UInt8) -> UInt8 {
      let v = (Double(s) * sa + Double(d) * da * (1 - sa)) / oa
      return UInt8(Swift.min(255, Swift.max(0, v.rounded())))
    }
    pixels[o] = mix(color.r, pixels[o])
    pixels[o + 1] = mix(color.g, pixels[o + 1])
    pixels[o + 2] = mix(color.b, pixels[o + 2])
    pixels[o + 3] = UInt8(Swift.min(255, (oa * 255).rounded()))
  }

  /// Integer pixel bounds of `[x0, x1] × [y0, y1]` grown by `pad`, cut to the canvas and clip.
  func pixelBounds(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, pad: Double)
    -> (x: Range<Int>, y: Range<Int>)?
  {
    let c = clip.intersection(Rect(x: 0, y: 0, width: Double(width), height: Double(height)))
    let lx = Swift.max(Swift.min(x0, x1) - pad, c.minX)
    let hx = Swift.min(Swift.max(x0, x1) + pad, c.maxX)
    let ly = Swift.max(Swift.min(y0, y1) - pad, c.minY)
    let hy = Swift.min(Swift.max(y0, y1) + pad, c.maxY)
    guard lx.isFinite, hx.isFinite, ly.isFinite, hy.isFinite, lx < hx, ly < hy else { return nil }
    let ix = Int(lx.rounded(.down))..<Int(hx.rounded(.up))
    let iy = Int(ly.rounded(.down))..<Int(hy.rounded(.up))
    return ix.isEmpty || iy.isEmpty ? nil : (ix, iy)
  }

  /// Blends `color` over every pixel in the bounds with the coverage `f` gives at the pixel centre.
  mutating func paint(_ b: (x: Range<Int>, y: Range<Int>)?, _ color: Color, _ f: (Double, Double) -> Double) {
    guard let b else { return }
    for y in b.y {
      for x in b.x {
        let c = f(Double(x) + 0.5, Double(y) + 0.5)
        if c > 0 { blend(x: x, y: y, color: color, coverage: c) }
      }
    }
  }

  // MARK: - Shapes

  /// Fills `rect`; edges that fall inside a pixel blend by the covered area.
  public mutating func fill(_ rect: Rect, color: Color) {
    paint(pixelBounds(rect.minX, rect.minY, rect.maxX, rect.maxY, pad: 0), color) { px, py in
      let cx = Swift.min(px + 0.5, rect.maxX) - Swift.max(px - 0.5, rect.minX)
      let cy = Swift.min(py + 0.5, rect.maxY) - Swift.max(py - 0.5, rect.minY)
      return cx > 0 && cy > 0 ? cx * cy : 0
    }
  }

  /// Strokes the outline of `rect` with lines `lineWidth` pixels wide, drawn just inside its edges.
  public mutating func stroke(_ rect: Rect, color: Color, lineWidth: Double = 1) {
    let w = Swift.min(lineWidth, rect.width / 2, rect.height / 2)
    fill(Rect(x: rect.minX, y: rect.minY, width: rect.width, height: w), color: color)
    fill(Rect(x: rect.minX, y: rect.maxY - w, width: rect.width, height: w), color: color)
    fill(Rect(x: rect.minX, y: rect.minY + w, width: w, height: rect.height - 2 * w), color: color)
    fill(Rect(x: rect.maxX - w, y: rect.minY + w, width: w, height: rect.height - 2 * w), color: color)
  }

  /// An anti-aliased straight line with round ends.
  public mutating func line(from a: Point, to b: Point, color: Color, lineWidth: Double = 1) {
    polyline([a, b], color: color, lineWidth: lineWidth)
  }

  /// Anti-aliased connected segments with round joins. Each pixel blends once, with the largest
  /// coverage any segment gives it, so translucent lines stay even where segments meet.
  public mutating func polyline(_ points: [Point], color: Color, lineWidth: Double = 1) {
    strokePaths([points], color: color, lineWidth: lineWidth)
  }

  /// Strokes several polylines as one shape (one blend per pixel); non-finite points are dropped.
  mutating func strokePaths(_ paths: [[Point]], color: Color, lineWidth: Double) {
    var segments: [(Point, Point)] = []
    for path in paths {
      let pts = path.filter { $0.x.isFinite && $0.y.isFinite }
      if pts.count == 1 { segments.append((pts[0], pts[0])) }
      for i in pts.indices.dropFirst() { segments.append((pts[i - 1], pts[i])) }
    }
    guard !segments.isEmpty, lineWidth > 0 else { return }
    let half = lineWidth / 2 + 0.5
    let xs = segments.flatMap { [$0.0.x, $0.1.x] }
    let ys = segments.flatMap { [$0.0.y, $0.1.y] }
    guard let b = pixelBounds(xs.min()!, ys.min()!, xs.max()!, ys.max()!, pad: half + 1) else { return }
    let bw = b.x.count
    var mask = [Double](repeating: 0, count: bw * b.y.count)
    for (p, q) in segments {
      let x0 = Swift.max(Int((Swift.min(p.x, q.x) - half).rounded(.down)), b.x.lowerBound)
      let x1 = Swift.min(Int((Swift.max(p.x, q.x) + half).rounded(.up)), b.x.upperBound)
      let y0 = Swift.max(Int((Swift.min(p.y, q.y) - half).rounded(.down)), b.y.lowerBound)
      let y1 = Swift.min(Int((Swift.max(p.y, q.y) + half).rounded(.up)), b.y.upperBound)
      guard x0 < x1, y0 < y1 else { continue }
      let dx = q.x - p.x
      let dy = q.y - p.y
      let len2 = dx * dx + dy * dy
      for y in y0..<y1 {
        for x in x0..<x1 {
          let px = Double(x) + 0.5
          let py = Double(y) + 0.5
          var t = len2 > 0 ? ((px - p.x) * dx + (py - p.y) * dy) / len2 : 0
          t = Swift.min(Swift.max(t, 0), 1)
          let ex = px - (p.x + t * dx)
          let ey = py - (p.y + t * dy)
          let c = half - (ex * ex + ey * ey).squareRoot()
          let i = (y - b.y.lowerBound) * bw + (x - b.x.lowerBound)
          if c > mask[i] { mask[i] = Swift.min(c, 1) }
        }
      }
    }
    for y in b.y {
      for x in b.x {
        let c = mask[(y - b.y.lowerBound) * bw + (x - b.x.lowerBound)]
        if c > 0 { blend(x: x, y: y, color: color, coverage: c) }
      }
    }
  }

  /// A filled, anti-aliased disc.
  public mutating func fillCircle(center: Point, radius: Double, color: Color) {
    guard radius > 0 else { return }
    paint(pixelBounds(center.x, center.y, center.x, center.y, pad: radius + 1), color) { px, py in
      let d = ((px - center.x) * (px - center.x) + (py - center.y) * (py - center.y)).squareRoot()
      return Swift.min(1, radius + 0.5 - d) * (radius < 0.5 ? 2 * radius : 1)
    }
  }

  /// An anti-aliased circle outline.
  public mutating func strokeCircle(center: Point, radius: Double, color: Color, lineWidth: Double = 1) {
    guard radius > 0, lineWidth > 0 else { return }
    paint(pixelBounds(center.x, center.y, center.x, center.y, pad: radius + lineWidth + 1), color) { px, py in
      let d = ((px - center.x) * (px - center.x) + (py - center.y) * (py - center.y)).squareRoot()
      return Swift.min(1, lineWidth / 2 + 0.5 - Swift.abs(d - radius))
    }
  }

  /// A filled polygon (even-odd rule), anti-aliased by 4×4 supersampling.
  public mutating func fillPolygon(_ points: [Point], color: Color) {
    let pts = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard pts.count >= 3 else { return }
    let xs = pts.map(\.x)
    let ys = pts.map(\.y)
    paint(pixelBounds(xs.min()!, ys.min()!, xs.max()!, ys.max()!, pad: 1), color) { px, py in
      var inside = 0
      for sy in 0..<4 {
        for sx in 0..<4 {
          let qx = px - 0.5 + (Double(sx) + 0.5) / 4
          let qy = py - 0.5 + (Double(sy) + 0.5) / 4
          var odd = false
          var j = pts.count - 1
          for i in 0..<pts.count {
            let a = pts[i]
            let b = pts[j]
            if (a.y > qy) != (b.y > qy), qx < (b.x - a.x) * (qy - a.y) / (b.y - a.y) + a.x { odd.toggle() }
            j = i
          }
          if odd { inside += 1 }
        }
      }
      return Double(inside) / 16
    }
  }

  /// A marker of diameter `size` centred on `center`.
  public mutating func marker(_ marker: Marker, at center: Point, size: Double, color: Color) {
    let r = Swift.max(size, 1) / 2
    switch marker {
    case .circle:
      fillCircle(center: center, radius: r, color: color)
    case .square:
      fill(Rect(x: center.x - r, y: center.y - r, width: 2 * r, height: 2 * r), color: color)
    case .cross:
      let w = Swift.max(1.5, size / 4)
      strokePaths(
        [
          [Point(center.x - r, center.y - r), Point(center.x + r, center.y + r)],
          [Point(center.x - r, center.y + r), Point(center.x + r, center.y - r)],
        ], color: color, lineWidth: w)
    }
  }

  // MARK: - Text

  /// The size in pixels of `text` drawn at `scale` (before any rotation).
  public func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
    Canvas.textSize(text, scale: scale, font: font)
  }

  /// The size in pixels of `text` drawn with `font` at `scale` (before any rotation).
  public static func textSize(_ text: String, scale: Int = 1, font: any GlyphSource = Font8x8())
    -> (width: Int, height: Int)
  {
    let s = Swift.max(scale, 1)
    let n = text.count
    return (n == 0 ? 0 : (n * font.advance - 1) * s, font.cellSize.height * s)
  }

  /// Draws `text` with the bitmap font, each font pixel a `scale`×`scale` block.
  ///
  /// The text's bounding box is placed relative to `point` by `horizontal` and `vertical`. With `rotated`,
  /// the text reads bottom to top (turned 90° anticlockwise), as for a y-axis label; the alignments then
  /// still refer to the rotated box on screen.
  public mutating func text(
    _ text: String, at point: Point, scale: Int = 1, color: Color = .ink,
    horizontal: TextAlign = .start, vertical: TextAlign = .start, rotated: Bool = false
  ) {
    let s = Swift.max(scale, 1)
    let (tw, th) = textSize(text, scale: s)
    guard tw > 0 else { return }
    let bw = rotated ? th : tw
    let bh = rotated ? tw : th
    func offset(_ a: TextAlign, _ size: Int) -> Double {
      switch a {
      case .start: 0
      case .center: Double(size) / 2
      case .end: Double(size)
      }
    }
    let x0 = Int((point.x - offset(horizontal, bw)).rounded())
    let y0 = Int((point.y - offset(vertical, bh)).rounded())
    let cell = font.cellSize
    for (k, ch) in text.enumerated() where ch != " " {
      for gy in 0..<cell.height {
        for gx in 0..<cell.width where font.ink(ch, x: gx, y: gy) {
          let u = (k * font.advance + gx) * s
          let v = gy * s  // along the run, across it
          for dy in 0..<s {
            for dx in 0..<s {
              if rotated {
                blend(x: x0 + v + dy, y: y0 + bh - 1 - (u + dx), color: color)
              } else {
                blend(x: x0 + u + dx, y: y0 + v + dy, color: color)
              }
            }
          }
        }
      }
    }
  }
}

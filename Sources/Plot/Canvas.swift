// Canvas: the surface a figure is drawn on, over cairo: an image (PNG pixels), an SVG or a PDF, all
// from the same calls. Coordinates are layout units, x to the right and y down: one unit is one
// pixel at 100 dpi (1/100 inch); the canvas scales them to the output's pixels or points. Text goes
// through cairo's FreeType/fontconfig backend in DejaVu Sans, so any character the font has draws,
// and layouts use the font's real metrics. Nothing of cairo or fontconfig is touched before the
// first canvas is made.
import CCairo
import PNG
import Support

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

/// A point in layout units (or in data units, where a function says so).
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

/// The file formats a figure is written in, chosen by the path's extension.
/// PNG, SVG or PDF: the one format type, shared with every host (``FigureOutput/Format``).
public typealias FigureFormat = FigureOutput.Format

extension FigureOutput.Format {
  /// The format for `path` (`.png`, `.svg` or `.pdf`, any case).
  /// - Throws: ``PlotError`` naming the path for any other extension.
  public static func of(path: String) throws -> FigureFormat {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    let ext = name.contains(".") ? String(name.split(separator: ".").last ?? "").lowercased() : ""
    guard let f = FigureFormat(rawValue: ext) else {
      throw PlotError(
        "figure", "cannot tell the format of '\(path)': the name must end in .png, .svg or .pdf"
          + (ext.isEmpty ? "" : " (got .\(ext))"))
    }
    return f
  }
}

/// The two font families figures use.
public enum FontFamily: String, Sendable {
  case sans = "DejaVu Sans"
  case mono = "DejaVu Sans Mono"
}

/// Collects the bytes a cairo stream surface writes (SVG, PDF).
final class ByteSink {
  var bytes: [UInt8] = []
}

/// cairo's write callback for stream surfaces: appends to the ``ByteSink`` in `closure`.
private let appendToSink: cairo_write_func_t = { closure, data, length in
  guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
  let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
  sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
  return CAIRO_STATUS_SUCCESS
}

/// A drawing surface: shapes, clipping, images and text, in layout units.
///
/// A class over a cairo context; `inout Canvas` in the drawing code says which functions draw.
public final class Canvas {
  /// Width in layout units.
  public let width: Int
  /// Height in layout units.
  public let height: Int
  /// Output pixels (PNG) or points (SVG, PDF) per layout unit.
  public let scale: Double
  /// What the canvas produces.
  public let format: FigureFormat
  let surface: OpaquePointer
  let cr: OpaquePointer
  let sink: ByteSink?
  /// The base font size in layout units (tick labels, legends, axis labels derive from it).
  public var fontSize: Double = 12.5

  /// Drawing only changes what lies inside this rectangle (the whole canvas by default).
  public var clip: Rect {
    didSet {
      cairo_reset_clip(cr)
      cairo_rectangle(cr, clip.x, clip.y, Swift.max(clip.width, 0), Swift.max(clip.height, 0))
      cairo_clip(cr)
    }
  }

  /// An image canvas of `width`×`height` layout units filled with `background`, drawn at `scale`
  /// output pixels per unit (2 for a 200-dpi PNG).
  /// - Throws: ``PlotError`` when a size is not between 1 and 16384 units, the pixel size exceeds
  ///   16384, or `scale` is not in (0, 12].
  public convenience init(width: Int, height: Int, background: Color = .white, scale: Double = 1) throws {
    try self.init(width: width, height: height, background: background, scale: scale, format: .png)
  }

  /// A canvas for `format`: PNG pixels at `scale` per unit; SVG and PDF in points (0.72 per unit, so
  /// the page is the figure's size at 100 units per inch).
  /// - Throws: ``PlotError`` for sizes or scales out of range, or when cairo cannot make the surface.
  public init(width: Int, height: Int, background: Color = .white, scale: Double = 1, format: FigureFormat)
    throws
  {
    guard (1...16384).contains(width), (1...16384).contains(height) else {
      throw PlotError("canvas", "size must be between 1 and 16384 pixels, got \(width)x\(height)")
    }
    let s = format == .png ? scale : 0.72
    guard s.isFinite, s > 0, s <= 12 else {
      throw PlotError("canvas", "scale must be in (0, 12], got \(scale)")
    }
    let pw = (Double(width) * s).rounded(.up)
    let ph = (Double(height) * s).rounded(.up)
    guard pw <= 16384, ph <= 16384 else {
      throw PlotError(
        "canvas", "\(Int(pw))x\(Int(ph)) output pixels is too large (at most 16384 a side); lower dpi or size")
    }
    self.width = width
    self.height = height
    self.scale = s
    self.format = format
    let (surface, sink) = Canvas.makeSurface(format, width: pw, height: ph)
    guard let surface, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface),
      cairo_status(cr) == CAIRO_STATUS_SUCCESS
    else {
      if let surface { cairo_surface_destroy(surface) }
      throw PlotError("canvas", "cairo could not make a \(Int(pw))x\(Int(ph)) \(format.rawValue) surface")
    }
    self.surface = surface
    self.cr = cr
    self.sink = sink
    clip = Rect(x: 0, y: 0, width: Double(width), height: Double(height))
    cairo_scale(cr, s, s)
    Canvas.setTextOptions(cr)
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
    cairo_rectangle(cr, 0, 0, Double(width), Double(height))
    setColor(background)
    cairo_fill(cr)
  }

  /// A cairo surface for `format` of `width`×`height` (pixels for PNG, points otherwise); SVG and
  /// PDF write into the returned sink. The surface is nil, or has a failed status, when cairo
  /// could not make it.
  static func makeSurface(_ format: FigureFormat, width pw: Double, height ph: Double) -> (OpaquePointer?, ByteSink?) {
    switch format {
    case .png:
      return (cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(pw), Int32(ph)), nil)
    case .svg:
      let k = ByteSink()
      return (cairo_svg_surface_create_for_stream(appendToSink, Unmanaged.passUnretained(k).toOpaque(), pw, ph), k)
    case .pdf:
      let k = ByteSink()
      let surface = cairo_pdf_surface_create_for_stream(appendToSink, Unmanaged.passUnretained(k).toOpaque(), pw, ph)
      if let surface {
        // A fixed date: the same figure gives the same bytes.
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "lebm")
      }
      return (surface, k)
    }
  }

  /// Text: grayscale anti-aliasing, no hinting, unhinted metrics, so that a layout is the same at
  /// every dpi and in every format, whatever the machine's fontconfig settings.
  static func setTextOptions(_ cr: OpaquePointer) {
    guard let options = cairo_font_options_create() else { return }
    cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
    cairo_set_font_options(cr, options)
    cairo_font_options_destroy(options)
  }

  deinit {
    cairo_destroy(cr)
    cairo_surface_destroy(surface)
  }

  /// Pixel width of the output (PNG), or its width in points (SVG, PDF).
  public var outputWidth: Int { Int((Double(width) * scale).rounded(.up)) }
  /// Pixel height of the output (PNG), or its height in points (SVG, PDF).
  public var outputHeight: Int { Int((Double(height) * scale).rounded(.up)) }

  // MARK: - Output

  /// The colour of output pixel (`x`, `y`) of an image canvas; transparent outside it or for SVG/PDF.
  public func color(x: Int, y: Int) -> Color {
    guard format == .png, x >= 0, y >= 0, x < outputWidth, y < outputHeight,
      let data = cairo_image_surface_get_data(surface)
    else { return .transparent }
    cairo_surface_flush(surface)
    let stride = Int(cairo_image_surface_get_stride(surface))
    let p = data.advanced(by: y * stride + 4 * x).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
    return Canvas.straight(p)
  }

  /// A premultiplied native-endian ARGB32 pixel as a straight-alpha colour.
  static func straight(_ p: UInt32) -> Color {
    let a = UInt8(p >> 24 & 0xFF)
    func un(_ c: UInt32) -> UInt8 {
      guard a != 0 else { return 0 }
      if a == 255 { return UInt8(c) }
      return UInt8(Swift.min(255, (Double(c) * 255 / Double(a)).rounded()))
    }
    return Color(un(p >> 16 & 0xFF), un(p >> 8 & 0xFF), un(p & 0xFF), a)
  }

  /// The pixels of an image canvas as a straight-alpha RGBA image, for ``PNGCodec`` (the one PNG path);
  /// with `opaqueAsRGB`, an RGB image when every pixel is opaque (a quarter less to compress).
  /// - Throws: ``PlotError`` for an SVG or PDF canvas.
  public func image(opaqueAsRGB: Bool = false) throws -> PNGImage {
    guard format == .png, let data = cairo_image_surface_get_data(surface) else {
      throw PlotError("canvas", "a \(format.rawValue) canvas has no pixels")
    }
    try checkStatus()
    cairo_surface_flush(surface)
    let w = outputWidth
    let h = outputHeight
    let stride = Int(cairo_image_surface_get_stride(surface))
    var out = [UInt8](repeating: 0, count: w * h * 4)
    var opaque = true
    for y in 0..<h {
      let row = data.advanced(by: y * stride)
      row.withMemoryRebound(to: UInt32.self, capacity: w) { px in
        for x in 0..<w {
          let c = Canvas.straight(px[x])
          let o = 4 * (y * w + x)
          out[o] = c.r
          out[o + 1] = c.g
          out[o + 2] = c.b
          out[o + 3] = c.a
          opaque = opaque && c.a == 255
        }
      }
    }
    guard opaqueAsRGB, opaque else { return try PNGImage(width: w, height: h, format: .rgba, pixels: out) }
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    for i in 0..<(w * h) {
      rgb[3 * i] = out[4 * i]
      rgb[3 * i + 1] = out[4 * i + 1]
      rgb[3 * i + 2] = out[4 * i + 2]
    }
    return try PNGImage(width: w, height: h, format: .rgb, pixels: rgb)
  }

  /// The file's bytes: PNG through ``PNGCodec``, SVG or PDF as cairo wrote them (the canvas is
  /// finished by this call for SVG and PDF; draw nothing after it).
  public func encoded() throws -> [UInt8] {
    switch format {
    case .png:
      return try PNGCodec.encode(try image(opaqueAsRGB: true), fast: true)
    case .svg, .pdf:
      try checkStatus()
      cairo_surface_finish(surface)
      guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let sink else {
        throw PlotError("canvas", "cairo could not finish the \(format.rawValue) file")
      }
      return format == .svg ? SVGIDs.renumbered(sink.bytes) : sink.bytes
    }
  }

  // MARK: - Shapes

  func setColor(_ c: Color) {
    cairo_set_source_rgba(cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255, Double(c.a) / 255)
  }

  /// Fills `rect`.
  public func fill(_ rect: Rect, color: Color) {
    guard [rect.x, rect.y, rect.width, rect.height].allSatisfy(\.isFinite), rect.width > 0, rect.height > 0
    else { return }
    cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
    setColor(color)
    cairo_fill(cr)
  }

  /// Strokes the outline of `rect` with lines `lineWidth` units wide, drawn just inside its edges.
  public func stroke(_ rect: Rect, color: Color, lineWidth: Double = 1) {
    let w = Swift.min(lineWidth, rect.width / 2, rect.height / 2)
    guard w > 0 else { return }
    cairo_save(cr)
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER)
    cairo_rectangle(cr, rect.x + w / 2, rect.y + w / 2, rect.width - w, rect.height - w)
    cairo_set_line_width(cr, w)
    setColor(color)
    cairo_stroke(cr)
    cairo_restore(cr)
  }

  /// A straight line with round ends.
  public func line(from a: Point, to b: Point, color: Color, lineWidth: Double = 1) {
    polyline([a, b], color: color, lineWidth: lineWidth)
  }

  /// Connected segments with round joins.
  public func polyline(_ points: [Point], color: Color, lineWidth: Double = 1) {
    strokePaths([points], color: color, lineWidth: lineWidth)
  }

  /// Strokes polylines; non-finite points are dropped. On an image (PNG), long runs are first
  /// thinned to what its pixels can show (``decimated(_:)``). Opaque lines are stroked a few
  /// hundred points at a time: cairo's stroker slows down more than linearly on one long path, and
  /// opaque pieces overlapping at round ends look the same as one path. Translucent lines stay one
  /// path, so they are even where they cross themselves.
  func strokePaths(_ paths: [[Point]], color: Color, lineWidth: Double) {
    guard lineWidth > 0 else { return }
    let kept = paths.map(Canvas.drawablePoints).filter { !$0.isEmpty }.map {
      format == .png && decimatesLines ? decimated($0) : $0
    }
    guard !kept.isEmpty else { return }
    cairo_set_line_width(cr, lineWidth)
    setColor(color)
    guard color.a == 255 else {
      for path in kept { addPath(path[...]) }
      cairo_stroke(cr)
      return
    }
    var pending = 0
    for path in kept {
      var start = 0
      repeat {
        // consecutive pieces share a point, so the line has no gap
        let end = Swift.min(path.count, start + Canvas.strokeChunk)
        addPath(path[start..<end])
        pending += end - start
        if pending >= Canvas.strokeChunk {
          cairo_stroke(cr)
          pending = 0
        }
        start = end - 1
      } while start + 1 < path.count
    }
    if pending > 0 { cairo_stroke(cr) }
  }

  /// The most characters a one-line text box is measured for (titles, axis labels, legends):
  /// more could not fit across the widest figure (16384 units) at any font size lebm allows, so
  /// longer texts are always cut with `…`.
  public static let longestText = 20_000

  /// How many strips an output pixel column is cut into for ``decimated(_:)``: with quarter
  /// pixels, the thinned line differs from the full one only in faint anti-aliased edges.
  static let stripsPerPixel = 4.0

  /// The most points stroked at once for an opaque line.
  static let strokeChunk = 256

  /// Whether long lines on an image are thinned to the extremes of each strip of pixels (tests
  /// turn it off to compare with the full line).
  var decimatesLines = true

  /// The points cairo can take: finite, and within ±10⁷ units.
  static func drawablePoints(_ path: [Point]) -> [Point] {
    path.filter { $0.x.isFinite && $0.y.isFinite && Swift.abs($0.x) < 1e7 && Swift.abs($0.y) < 1e7 }
  }

  /// Adds `points` to the current path as one polyline (a lone point as a dot).
  func addPath(_ points: ArraySlice<Point>) {
    guard let first = points.first else { return }
    cairo_move_to(cr, first.x, first.y)
    if points.count == 1 { cairo_line_to(cr, first.x, first.y) }
    for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
  }

  /// `path` with each run of consecutive points inside one strip (a quarter of an output pixel
  /// column, ``stripsPerPixel``) reduced to its first, lowest, highest and last points, in their
  /// order. The segments of such a run stay inside the strip and cover the same vertical extent
  /// as the run, so the drawn line keeps its envelope exactly; a series of 10⁶ steps becomes at
  /// most 16 points per pixel column. Paths not long next to the image's width are left as they are.
  func decimated(_ path: [Point]) -> [Point] {
    let strips = Int(Canvas.stripsPerPixel) * outputWidth
    guard path.count > 4 * strips else { return path }
    var out: [Point] = []
    out.reserveCapacity(4 * strips + 16)
    var i = 0
    let perUnit = scale * Canvas.stripsPerPixel
    while i < path.count {
      let column = (path[i].x * perUnit).rounded(.down)
      var j = i + 1, low = i, high = i
      while j < path.count, (path[j].x * perUnit).rounded(.down) == column {
        if path[j].y < path[low].y { low = j }
        if path[j].y > path[high].y { high = j }
        j += 1
      }
      let (a, b) = (Swift.min(low, high), Swift.max(low, high))
      out.append(path[i])
      if a > i { out.append(path[a]) }
      if b > a { out.append(path[b]) }
      if j - 1 > b { out.append(path[j - 1]) }
      i = j
    }
    return out
  }

  /// A filled disc.
  public func fillCircle(center: Point, radius: Double, color: Color) {
    guard radius > 0, center.x.isFinite, center.y.isFinite else { return }
    cairo_new_sub_path(cr)
    cairo_arc(cr, center.x, center.y, radius, 0, 2 * Double.pi)
    setColor(color)
    cairo_fill(cr)
  }

  /// A circle outline.
  public func strokeCircle(center: Point, radius: Double, color: Color, lineWidth: Double = 1) {
    guard radius > 0, lineWidth > 0, center.x.isFinite, center.y.isFinite else { return }
    cairo_new_sub_path(cr)
    cairo_arc(cr, center.x, center.y, radius, 0, 2 * Double.pi)
    cairo_set_line_width(cr, lineWidth)
    setColor(color)
    cairo_stroke(cr)
  }

  /// A filled polygon (even-odd rule); non-finite points are dropped.
  public func fillPolygon(_ points: [Point], color: Color) {
    let pts = points.filter { $0.x.isFinite && $0.y.isFinite && Swift.abs($0.x) < 1e7 && Swift.abs($0.y) < 1e7 }
    guard let first = pts.first, pts.count >= 3 else { return }
    cairo_move_to(cr, first.x, first.y)
    for p in pts.dropFirst() { cairo_line_to(cr, p.x, p.y) }
    cairo_close_path(cr)
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD)
    setColor(color)
    cairo_fill(cr)
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING)
  }

  /// A marker of diameter `size` centred on `center`.
  public func marker(_ marker: Marker, at center: Point, size: Double, color: Color) {
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

  /// Draws a `width`×`height` straight-alpha RGBA raster stretched over `rect`: pixelated (nearest
  /// neighbour) or, with `smooth`, bilinearly filtered.
  public func image(rgba: [UInt8], width w: Int, height h: Int, in rect: Rect, smooth: Bool = false) {
    guard w > 0, h > 0, rgba.count == w * h * 4, rect.width > 0, rect.height > 0,
      let img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(w), Int32(h))
    else { return }
    defer { cairo_surface_destroy(img) }
    guard cairo_surface_status(img) == CAIRO_STATUS_SUCCESS, let data = cairo_image_surface_get_data(img)
    else { return }
    cairo_surface_flush(img)
    let stride = Int(cairo_image_surface_get_stride(img))
    for y in 0..<h {
      data.advanced(by: y * stride).withMemoryRebound(to: UInt32.self, capacity: w) { px in
        for x in 0..<w {
          let o = 4 * (y * w + x)
          let a = UInt32(rgba[o + 3])
          func pre(_ c: UInt8) -> UInt32 { (UInt32(c) * a + 127) / 255 }
          px[x] = a << 24 | pre(rgba[o]) << 16 | pre(rgba[o + 1]) << 8 | pre(rgba[o + 2])
        }
      }
    }
    cairo_surface_mark_dirty(img)
    cairo_save(cr)
    cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
    cairo_clip(cr)
    cairo_translate(cr, rect.x, rect.y)
    cairo_scale(cr, rect.width / Double(w), rect.height / Double(h))
    cairo_set_source_surface(cr, img, 0, 0)
    let pattern = cairo_get_source(cr)
    cairo_pattern_set_filter(pattern, smooth ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_NEAREST)
    cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
    cairo_paint(cr)
    cairo_restore(cr)
  }

  // MARK: - Text

  func selectFont(_ size: Double, family: FontFamily, bold: Bool, italic: Bool = false) {
    cairo_select_font_face(
      cr, family.rawValue, italic ? CAIRO_FONT_SLANT_OBLIQUE : CAIRO_FONT_SLANT_NORMAL,
      bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
    cairo_set_font_size(cr, size)
  }

  /// The advance width of one run of text (no math) in the selected family and weight.
  func advance(_ text: String, size: Double, family: FontFamily, bold: Bool, italic: Bool) -> Double {
    guard !text.isEmpty else { return 0 }
    selectFont(size, family: family, bold: bold, italic: italic)
    var te = cairo_text_extents_t()
    cairo_text_extents(cr, Canvas.drawable(text), &te)
    return te.x_advance
  }

  /// `text` laid out by ``MathText`` at `size`, measured with this canvas's fonts; plain text
  /// (no `$…$`) is one upright run.
  public func layout(_ text: String, size: Double, family: FontFamily = .sans, bold: Bool = false) -> MathText {
    guard MathText.hasMath(text) else {
      let w = advance(text, size: size, family: family, bold: bold, italic: false)
      return MathText(runs: text.isEmpty ? [] : [MathText.Run(text: text, size: size, x: 0, rise: 0, italic: false)], width: w)
    }
    return MathText(text, size: size) { advance($0, size: $1, family: family, bold: bold, italic: $2) }
  }

  /// The ascent and descent of the font at `size`.
  func lineExtents(size: Double, family: FontFamily, bold: Bool) -> cairo_font_extents_t {
    selectFont(size, family: family, bold: bold)
    var fe = cairo_font_extents_t()
    cairo_font_extents(cr, &fe)
    return fe
  }

  /// The size of `text` at font size `size` (layout units), before any rotation: its advance width
  /// as ``MathText`` lays it out (`$…$` math with its scripts, Greek letters and symbols) and the
  /// font's line height (ascent + descent), so boxes of one size line up whatever the letters.
  /// Scripts stay inside that line: a superscript's capitals under the ascent, a subscript's
  /// baseline above the descent.
  public func textSize(_ text: String, size: Double? = nil, family: FontFamily = .sans, bold: Bool = false)
    -> (width: Double, height: Double)
  {
    let s = size ?? fontSize
    let w = text.isEmpty ? 0 : layout(text, size: s, family: family, bold: bold).width
    let fe = lineExtents(size: s, family: family, bold: bold)
    return (w, fe.ascent + fe.descent)
  }

  /// Draws `text` with its box placed relative to `point` by `horizontal` and `vertical`. With
  /// `rotated`, the text reads bottom to top (turned 90° anticlockwise), as for a y-axis label; the
  /// alignments then refer to the rotated box on screen. `$…$` in `text` is math (``MathText``).
  public func text(
    _ text: String, at point: Point, size: Double? = nil, color: Color = .ink,
    horizontal: TextAlign = .start, vertical: TextAlign = .start, rotated: Bool = false,
    family: FontFamily = .sans, bold: Bool = false
  ) {
    guard !text.isEmpty, point.x.isFinite, point.y.isFinite else { return }
    let s = size ?? fontSize
    let math = layout(text, size: s, family: family, bold: bold)
    let fe = lineExtents(size: s, family: family, bold: bold)
    let th = fe.ascent + fe.descent
    let bw = rotated ? th : math.width
    let bh = rotated ? math.width : th
    func offset(_ a: TextAlign, _ size: Double) -> Double {
      switch a {
      case .start: 0
      case .center: size / 2
      case .end: size
      }
    }
    let x0 = point.x - offset(horizontal, bw)
    let y0 = point.y - offset(vertical, bh)
    cairo_save(cr)
    setColor(color)
    if rotated {
      // The baseline runs upwards at x0 + ascent, starting at the box's bottom.
      cairo_translate(cr, x0 + fe.ascent, y0 + bh)
      cairo_rotate(cr, -Double.pi / 2)
    } else {
      cairo_translate(cr, x0, y0 + fe.ascent)
    }
    for run in math.runs {
      selectFont(run.size, family: family, bold: bold, italic: run.italic)
      cairo_move_to(cr, run.x, -run.rise)
      cairo_show_text(cr, Canvas.drawable(run.text))
    }
    cairo_new_path(cr)
    cairo_restore(cr)
  }

  /// `text` as cairo accepts it: each Unicode noncharacter (U+FDD0…U+FDEF and every U+xxFFFE,
  /// U+xxFFFF, which cairo rejects, putting its context in an error state that blanks the rest of
  /// the figure) and each control character (NUL would cut the C string short; the others have no
  /// glyph) becomes U+FFFD; tabs and line breaks become spaces, since a text box is one line.
  public static func drawable(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsReplacing) else { return text }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
      if !needsReplacing(u) {
        out.append(u)
      } else {
        out.append(u.properties.isWhitespace ? " " : "\u{FFFD}")
      }
    }
    return String(out)
  }

  /// Whether ``drawable(_:)`` replaces `u`.
  static func needsReplacing(_ u: Unicode.Scalar) -> Bool {
    let v = u.value
    return v < 0x20 || (0x7F...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v) || v & 0xFFFE == 0xFFFE
  }

  /// Throws when cairo's context or surface has failed: a failed context ignores every later call,
  /// so the figure would come out blank or cut short, and must not be written as if it were whole.
  public func checkStatus() throws {
    let status = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? cairo_status(cr) : cairo_surface_status(surface)
    guard status != CAIRO_STATUS_SUCCESS else { return }
    let reason = cairo_status_to_string(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
    throw PlotError("canvas", "cairo failed while drawing the \(format.rawValue) figure: \(reason)")
  }

  /// Shows `text` without ``drawable(_:)``: a noncharacter puts cairo's context into its error
  /// state, as unchecked text would. Tests use it to check that such a failure is reported.
  func showUncheckedText(_ text: String) {
    cairo_move_to(cr, 1, 1)
    cairo_show_text(cr, text)
    cairo_new_path(cr)
  }

  /// The size of `text` without a canvas at hand (a scratch context measures it).
  public static func measure(_ text: String, size: Double, bold: Bool = false) -> (width: Double, height: Double) {
    guard let c = try? Canvas(width: 1, height: 1) else { return (Double(text.count) * size * 0.6, size * 1.2) }
    return c.textSize(text, size: size, bold: bold)
  }
}

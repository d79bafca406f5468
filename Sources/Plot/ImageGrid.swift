// ImageGrid: a batch of gray or RGB images ([N, C, H, W] tensors) tiled into one raster, and a raster
// layer that draws it at an integer zoom.
import Engine

/// How tensor values map to pixel intensities.
public enum PixelRange: Sendable {
  /// `[-1, 1]` when any value is negative, else `[0, 1]`.
  case auto
  /// `-1` is black and `1` is white.
  case minusOneToOne
  /// `0` is black and `1` is white.
  case zeroToOne
}

/// An RGBA raster drawn to fill its panel (centred, at the largest integer zoom that fits).
public struct ImageLayer: Sendable {
  /// Raster width in pixels.
  public let width: Int
  /// Raster height in pixels.
  public let height: Int
  /// `width * height * 4` bytes, RGBA, rows from the top.
  public let rgba: [UInt8]

  /// A raster layer.
  /// - Throws: ``PlotError`` when the size is not positive or `rgba` has the wrong length.
  public init(width: Int, height: Int, rgba: [UInt8]) throws {
    guard width > 0, height > 0, width <= 16384, height <= 16384 else {
      throw PlotError("image", "size must be between 1 and 16384 pixels, got \(width)x\(height)")
    }
    guard rgba.count == width * height * 4 else {
      throw PlotError(
        "image", "a \(width)x\(height) RGBA image needs \(width * height * 4) bytes, got \(rgba.count)")
    }
    self.width = width
    self.height = height
    self.rgba = rgba
  }

  /// The images of an `[N, C, H, W]` tensor (C = 1 gray or 3 RGB) tiled in rows of `columns`, with
  /// `padding` pixels of `background` between and around them.
  /// - Parameter columns: images per row; by default about √N.
  /// - Throws: ``PlotError`` ("image grid: …") for a wrong rank or channel count, an empty batch,
  ///   NaN or infinite values, or bad columns or padding.
  public static func grid(
    _ images: Tensor, columns: Int? = nil, padding: Int = 2, range: PixelRange = .auto,
    background: Color = .black
  ) throws -> ImageLayer {
    let f = "image grid"
    guard images.rank == 4 else {
      throw PlotError(f, "images must have shape [N, C, H, W], got \(formatShape(images.shape))")
    }
    let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    guard c == 1 || c == 3 else {
      throw PlotError(
        f, "images must have 1 (gray) or 3 (RGB) channels, got shape \(formatShape(images.shape))")
    }
    guard n > 0, h > 0, w > 0 else {
      throw PlotError(f, "images are empty (shape \(formatShape(images.shape)))")
    }
    guard (0...64).contains(padding) else { throw PlotError(f, "padding must be in 0...64, got \(padding)") }
    let s = images.scalars
    let bad = s.filter { !$0.isFinite }.count
    guard bad == 0 else { throw PlotError(f, "images contain \(bad) NaN or infinite values (of \(s.count))") }
    var cols = columns ?? 0
    if columns == nil { while cols * cols < n { cols += 1 } }
    guard cols >= 1 else { throw PlotError(f, "columns must be at least 1, got \(cols)") }
    cols = Swift.min(cols, n)
    let rows = (n + cols - 1) / cols
    let gw = cols * w + (cols + 1) * padding
    let gh = rows * h + (rows + 1) * padding
    guard gw <= 16384, gh <= 16384 else { throw PlotError(f, "grid of \(gw)x\(gh) pixels is too large") }
    let lo: Float
    switch range {
    case .auto: lo = s.contains { $0 < 0 } ? -1 : 0
    case .minusOneToOne: lo = -1
    case .zeroToOne: lo = 0
    }
    var px = [UInt8](repeating: 0, count: gw * gh * 4)
    for i in 0..<(gw * gh) {
      px[4 * i] = background.r
      px[4 * i + 1] = background.g
      px[4 * i + 2] = background.b
      px[4 * i + 3] = background.a
    }
    for k in 0..<n {
      let ox = padding + (k % cols) * (w + padding)
      let oy = padding + (k / cols) * (h + padding)
      for y in 0..<h {
        for x in 0..<w {
          let o = 4 * ((oy + y) * gw + ox + x)
          for ch in 0..<3 {
            let v = s[((k * c + (c == 1 ? 0 : ch)) * h + y) * w + x]
            let t = Swift.min(Swift.max((v - lo) / (1 - lo), 0), 1)
            px[o + ch] = UInt8((t * 255).rounded())
          }
          px[o + 3] = 255
        }
      }
    }
    return try ImageLayer(width: gw, height: gh, rgba: px)
  }
}

extension ImageLayer: LayerDrawing {
  var padsLimits: Bool { false }

  func bounds(logX: Bool, logY: Bool) -> (x: ClosedRange<Double>?, y: ClosedRange<Double>?) { (nil, nil) }

  func draw(on canvas: inout Canvas, frame: PlotFrame, autoColor: Color, warnings: inout [String]) {
    let r = frame.rect
    let zoom = Swift.min(r.width / Double(width), r.height / Double(height))
    let k = zoom >= 1 ? zoom.rounded(.down) : zoom
    let dw = Double(width) * k
    let dh = Double(height) * k
    let x0 = (r.midX - dw / 2).rounded(.down)
    let y0 = (r.midY - dh / 2).rounded(.down)
    canvas.image(rgba: rgba, width: width, height: height, in: Rect(x: x0, y: y0, width: dw, height: dh))
  }
}

extension Figure {
  /// An image grid of an `[N, C, H, W]` tensor (C = 1 or 3) with values in [-1, 1] or [0, 1].
  /// - Parameters:
  ///   - columns: images per row (default about √N).
  ///   - padding: pixels between images, before zooming.
  ///   - scale: integer zoom; by default the largest (up to 8) that keeps the grid within about 512 pixels.
  /// - Throws: ``PlotError`` for bad shapes or values
  ///   (see ``ImageLayer/grid(_:columns:padding:range:background:)``).
  public static func imageGrid(
    _ images: Tensor, columns: Int? = nil, padding: Int = 2, range: PixelRange = .auto, scale: Int? = nil,
    title: String = ""
  ) throws -> Figure {
    let layer = try ImageLayer.grid(images, columns: columns, padding: padding, range: range)
    let big = Swift.max(layer.width, layer.height)
    let k = scale ?? Swift.max(1, Swift.min(8, 512 / big))
    guard (1...64).contains(k) else { throw PlotError("image grid", "scale must be in 1...64, got \(k)") }
    let pad = Int(PanelRenderer.pad)
    var w = layer.width * k + 2 * pad
    let titleSize = 9 * 100 / 72 * 1.2
    if !title.isEmpty { w = Swift.max(w, Int(Canvas.measure(title, size: titleSize).width.rounded(.up)) + 2 * pad) }
    let h = layer.height * k + pad + (title.isEmpty ? pad : pad + Int(titleSize * 1.17 + 7))
    return Figure(
      panels: [Panel(title: title, layers: [.image(layer)], axes: false)], columns: 1,
      panelWidth: Swift.max(w, 32), panelHeight: Swift.max(h, 32))
  }
}

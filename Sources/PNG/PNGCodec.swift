// PNGCodec: 8-bit gray, RGB and RGBA images to and from PNG through libpng's simplified API.
//
// The simplified API (`png_image_*`) runs each encode or decode under a `setjmp` inside libpng, so a
// libpng error comes back here as a return value of 0 and a message; no `longjmp` crosses a Swift frame.
import CPNG
import Support

/// The pixel layouts this module reads and writes: 8 bits per channel, channels interleaved.
public enum PNGFormat: Sendable, Equatable, CustomStringConvertible {
  /// One luminance byte per pixel.
  case gray
  /// Red, green, blue.
  case rgb
  /// Red, green, blue, alpha (straight, not premultiplied).
  case rgba

  /// Bytes per pixel.
  public var channels: Int {
    switch self {
    case .gray: 1
    case .rgb: 3
    case .rgba: 4
    }
  }

  /// The `PNG_FORMAT_FLAG_*` bits (the combined `PNG_FORMAT_RGBA` macros are not imported into Swift).
  var flags: UInt32 {
    switch self {
    case .gray: 0
    case .rgb: UInt32(PNG_FORMAT_FLAG_COLOR)
    case .rgba: UInt32(PNG_FORMAT_FLAG_COLOR) | UInt32(PNG_FORMAT_FLAG_ALPHA)
    }
  }

  public var description: String {
    switch self {
    case .gray: "gray"
    case .rgb: "RGB"
    case .rgba: "RGBA"
    }
  }
}

/// An error from encoding or decoding: the message names the file (or "memory") and libpng's reason.
public struct PNGError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The whole message, e.g. `png: cannot write '/no/such/dir/a.png': No such file or directory`.
  public let message: String

  /// An error with the given message.
  public init(_ message: String) { self.message = message }

  public var description: String { message }
}

/// An 8-bit image in memory: `height` rows of `width` pixels, top row first.
public struct PNGImage: Equatable, Sendable {
  /// Pixels per row.
  public let width: Int
  /// Number of rows.
  public let height: Int
  /// The channel layout of `pixels`.
  public let format: PNGFormat
  /// `width * height * format.channels` bytes, row-major, channels interleaved.
  public let pixels: [UInt8]

  /// An image over `pixels`.
  /// - Throws: ``PNGError`` if a size is not positive or `pixels` has the wrong length.
  public init(width: Int, height: Int, format: PNGFormat, pixels: [UInt8]) throws {
    guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16 else {
      throw PNGError("png: image size must be between 1 and 65536, got \(width)x\(height)")
    }
    let n = width * height * format.channels
    guard pixels.count == n else {
      throw PNGError("png: a \(width)x\(height) \(format) image needs \(n) bytes, got \(pixels.count)")
    }
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
  }

  /// The channel values of the pixel at column `x`, row `y` (row 0 at the top); empty when outside.
  public func pixel(x: Int, y: Int) -> [UInt8] {
    guard x >= 0, y >= 0, x < width, y < height else { return [] }
    let c = format.channels
    let o = (y * width + x) * c
    return Array(pixels[o..<(o + c)])
  }
}

/// PNG encoding and decoding.
public enum PNGCodec {
  /// Writes `image` to a PNG file at `path`, replacing any regular file there (through Support's
  /// `writeFile`: a FIFO, device, socket or folder at `path` is refused, never written into);
  /// `fast` trades a larger file for quicker compression (libpng's `PNG_IMAGE_FLAG_FAST`).
  /// - Throws: ``PNGError`` naming `path` when the file cannot be written or libpng fails.
  public static func write(_ image: PNGImage, to path: String, fast: Bool = false) throws {
    let bytes = try encode(image, fast: fast)
    do throws(FileError) { try writeFile(path, bytes) } catch {
      throw PNGError("png: cannot write '\(path)': \(error.problem)")
    }
  }

  /// The PNG file bytes for `image`; `fast` as for ``write(_:to:fast:)``.
  /// - Throws: ``PNGError`` when libpng fails.
  public static func encode(_ image: PNGImage, fast: Bool = false) throws -> [UInt8] {
    var img = header(image)
    if fast { img.flags |= UInt32(PNG_IMAGE_FLAG_FAST) }
    var size = 0
    // First call without a buffer: libpng reports the size it needs.
    var ok = image.pixels.withUnsafeBytes { buf in
      png_image_write_to_memory(&img, nil, &size, 0, buf.baseAddress, 0, nil)
    }
    var msg = message(&img)
    png_image_free(&img)
    guard ok != 0, size > 0 else { throw PNGError("png: cannot encode to memory: \(msg)") }
    var out = [UInt8](repeating: 0, count: size)
    img = header(image)
    if fast { img.flags |= UInt32(PNG_IMAGE_FLAG_FAST) }
    ok = image.pixels.withUnsafeBytes { buf in
      out.withUnsafeMutableBytes { dst in
        png_image_write_to_memory(&img, dst.baseAddress, &size, 0, buf.baseAddress, 0, nil)
      }
    }
    msg = message(&img)
    png_image_free(&img)
    guard ok != 0 else { throw PNGError("png: cannot encode to memory: \(msg)") }
    return Array(out.prefix(size))
  }

  /// The most pixel bytes a decode may produce unless the caller says otherwise: 2²⁸ (256 MiB), the
  /// engine's default limit on one tensor's values.
  public static let defaultMaxBytes = 1 << 28

  /// Reads the PNG file at `path` (a regular file, read through Support: a FIFO or device is refused).
  /// - Parameters:
  ///   - format: the layout wanted; `nil` keeps the file's own (gray, RGB, or RGBA when the file
  ///     has alpha; gray with alpha becomes RGBA). libpng converts between layouts and from 16 bits.
  ///   - maxBytes: the most pixel bytes (width × height × channels) to decode; the size the header
  ///     declares is checked against it before anything is decoded.
  /// - Throws: ``PNGError`` naming `path` when the file is missing, not a regular file, not a valid
  ///   PNG, or declares an image larger than `maxBytes`.
  public static func read(from path: String, as format: PNGFormat? = nil, maxBytes: Int = defaultMaxBytes) throws
    -> PNGImage {
    let bytes: [UInt8]
    do throws(FileError) {
      // A PNG is compressed, so more than the pixels plus a margin for chunks is not a sane file.
      bytes = try readFileBytes(path, limit: maxBytes + maxBytes / 2 + (1 << 20))
    } catch {
      throw PNGError("png: cannot read '\(path)': \(error.problem)")
    }
    return try decode(bytes, as: format, maxBytes: maxBytes, source: "'\(path)'")
  }

  /// Decodes PNG file bytes held in memory; see ``read(from:as:maxBytes:)`` for the parameters.
  /// - Throws: ``PNGError`` when the bytes are not a valid PNG or declare too large an image.
  public static func decode(_ bytes: [UInt8], as format: PNGFormat? = nil, maxBytes: Int = defaultMaxBytes) throws
    -> PNGImage {
    try decode(bytes, as: format, maxBytes: maxBytes, source: "memory")
  }

  static func decode(_ bytes: [UInt8], as format: PNGFormat?, maxBytes: Int, source: String) throws -> PNGImage {
    var img = png_image()
    img.version = UInt32(PNG_IMAGE_VERSION)
    return try bytes.withUnsafeBytes { buf in
      guard png_image_begin_read_from_memory(&img, buf.baseAddress, buf.count) != 0 else {
        let msg = message(&img)
        png_image_free(&img)
        throw PNGError(source == "memory" ? "png: cannot decode memory: \(msg)" : "png: cannot read \(source): \(msg)")
      }
      return try finish(&img, format: format, maxBytes: maxBytes, source: source)
    }
  }

  // MARK: - Helpers

  static func header(_ image: PNGImage) -> png_image {
    var img = png_image()  // zeroed; `opaque` must be nil
    img.version = UInt32(PNG_IMAGE_VERSION)
    img.width = UInt32(image.width)
    img.height = UInt32(image.height)
    img.format = image.format.flags
    return img
  }

  static func finish(_ img: inout png_image, format: PNGFormat?, maxBytes: Int, source: String) throws -> PNGImage {
    let alpha = img.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
    let color = img.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
    let want = format ?? (alpha ? .rgba : (color ? .rgb : .gray))
    img.format = want.flags
    let w = Int(img.width)
    let h = Int(img.height)
    guard w > 0, h > 0, w <= 1 << 16, h <= 1 << 16 else {
      png_image_free(&img)
      throw PNGError("png: cannot read \(source): image size \(w)x\(h) is not supported")
    }
    // The header's size, checked before the pixels are allocated or decoded.
    let need = w * h * want.channels
    guard need <= maxBytes else {
      png_image_free(&img)
      throw PNGError(
        "png: cannot read \(source): the header declares a \(w)x\(h) \(want) image, \(need) bytes of pixels, "
          + "more than the limit of \(maxBytes)")
    }
    var pixels = [UInt8](repeating: 0, count: w * h * want.channels)
    let ok = pixels.withUnsafeMutableBytes { dst in
      png_image_finish_read(&img, nil, dst.baseAddress, 0, nil)
    }
    let msg = message(&img)
    png_image_free(&img)
    guard ok != 0 else { throw PNGError("png: cannot read \(source): \(msg)") }
    return try PNGImage(width: w, height: h, format: want, pixels: pixels)
  }

  /// libpng's message, a NUL-terminated `char[64]` inside the struct.
  static func message(_ img: inout png_image) -> String {
    let text = withUnsafeBytes(of: &img.message) { raw -> String in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return text.isEmpty ? "unknown libpng error" : text
  }
}

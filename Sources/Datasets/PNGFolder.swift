import Glibc
import Engine

/// A decoded image: `height × width` pixels of `channels` interleaved bytes each (row-major, HWC),
/// 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA.
public struct DecodedImage: Sendable, Equatable {
  /// Pixels per row.
  public var width: Int
  /// Rows.
  public var height: Int
  /// Bytes per pixel, 1–4.
  public var channels: Int
  /// `height · width · channels` bytes.
  public var pixels: [UInt8]

  /// An image from its sizes and interleaved pixels (checked when a loader uses it).
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }
}

/// Something that turns a PNG file into pixels. The Datasets layer does not decode PNG itself; the
/// PNG module supplies a decoder, and tests pass a fake one.
public protocol PNGDecoding: Sendable {
  /// The pixels of the PNG file at `path`, 8 bits per channel.
  func decodePNG(atPath path: String) throws -> DecodedImage
}

/// A ``PNGDecoding`` made from a closure: `PNGDecoder { path in try PNG.read(path) … }`.
public struct PNGDecoder: PNGDecoding {
  let body: @Sendable (String) throws -> DecodedImage
  /// A decoder that calls `body` with each file's path.
  public init(_ body: @escaping @Sendable (String) throws -> DecodedImage) { self.body = body }
  /// `body(path)`.
  public func decodePNG(atPath path: String) throws -> DecodedImage { try body(path) }
}

extension Dataset {
  /// Images `[N, C, H, W]` in [−1, 1] from the `.png` files in `folder`, in name order.
  ///
  /// When `folder` holds subfolders of PNGs instead, each subfolder is a class: its name goes into
  /// ``classNames`` (sorted) and its images get that label. All images must share one size and one
  /// channel count; pass `channels` (1 = gray, 3 = RGB) to convert them to one (gray is repeated,
  /// alpha dropped, colour averaged as 0.299 R + 0.587 G + 0.114 B).
  /// - Throws: ``DatasetError`` naming the folder when it is missing, empty, or mixes loose PNGs with
  ///   class subfolders; naming the file whose size or channels differ from the first image's, or
  ///   which the decoder rejects.
  public static func pngFolder(_ folder: String, decoder: some PNGDecoding, channels: Int? = nil) throws
    -> Dataset {
    if let channels, channels != 1, channels != 3 {
      throw DatasetError.invalidArgument(op: "pngFolder", message: "channels must be 1 or 3, got \(channels)")
    }
    let (files, classFolders) = try pngLayout(folder)
    let labelled = !classFolders.isEmpty
    let labels = labelled ? classFolders.enumerated().flatMap { k, c in Array(repeating: k, count: c.files.count) } : nil
    var first: (path: String, w: Int, h: Int, c: Int)? = nil
    var values: [Float] = []
    for path in files {
      let img = try decodeChecked(path, decoder: decoder)
      let c = channels ?? img.channels
      if let f = first {
        guard img.width == f.w, img.height == f.h, c == f.c else {
          let hint = channels == nil && c != f.c ? " (pass channels: to convert)" : ""
          throw DatasetError.malformed(
            path: path,
            reason: "is \(img.width)×\(img.height) with \(c) channels, but \(f.path) is \(f.w)×\(f.h) "
              + "with \(f.c)\(hint)")
        }
      } else {
        first = (path, img.width, img.height, c)
        // Every image has the first one's size, so the whole tensor is known now: check it first.
        do {
          values.reserveCapacity(try MemoryLimit.count(of: [files.count, c, img.height, img.width], op: "png_folder"))
        } catch {
          throw DatasetError.malformed(path: folder, reason: "\(files.count) images of \(img.width)×\(img.height)×\(c): \(error)")
        }
      }
      appendCHW(img, channels: c, to: &values)
    }
    guard let f = first else { throw DatasetError.malformed(path: folder, reason: "no .png files") }
    let x = try Tensor(shape: [files.count, f.c, f.h, f.w], scalars: values)
    return try Dataset(
      name: datasetName(folder), x: x, labels: labels, classes: labelled ? classFolders.count : nil,
      classNames: labelled ? classFolders.map { $0.name } : nil)
  }

  /// The PNG files of `folder` in order (loose, or class subfolder by subfolder) and the class
  /// subfolders with their files (none for loose PNGs).
  /// - Throws: when `folder` is missing, a file, empty, or mixes loose PNGs with class subfolders.
  private static func pngLayout(_ folder: String) throws -> (files: [String], classes: [(name: String, files: [String])]) {
    guard FileIO.exists(folder) else { throw DatasetError.fileNotFound(path: folder) }
    guard FileIO.isDirectory(folder) else {
      throw DatasetError.unreadable(path: folder, reason: "is a file, not a folder of PNGs")
    }
    let loose = try pngFiles(in: folder)
    let subfolders = try FileIO.listing(folder).filter { FileIO.isDirectory(joinPath(folder, $0)) }
    var classFolders: [(name: String, files: [String])] = []
    for sub in subfolders {
      let files = try pngFiles(in: joinPath(folder, sub))
      if !files.isEmpty { classFolders.append((sub, files)) }
    }
    if !loose.isEmpty, !classFolders.isEmpty {
      throw DatasetError.malformed(
        path: folder,
        reason: "has both PNG files and class subfolders (\(classFolders[0].name)/); use one layout")
    }
    let files = classFolders.isEmpty ? loose : classFolders.flatMap { $0.files }
    guard !files.isEmpty else { throw DatasetError.malformed(path: folder, reason: "no .png files") }
    return (files, classFolders)
  }

  /// `path` decoded, with the decoder's answer checked: sizes at least 1, 1 to 4 channels, and as
  /// many bytes as they make.
  private static func decodeChecked(_ path: String, decoder: some PNGDecoding) throws -> DecodedImage {
    let img: DecodedImage
    do {
      img = try decoder.decodePNG(atPath: path)
    } catch let e as DatasetError {
      throw e
    } catch {
      throw DatasetError.malformed(path: path, reason: "cannot decode PNG: \(error)")
    }
    let (wh, o1) = img.width.multipliedReportingOverflow(by: img.height)
    let (whc, o2) = wh.multipliedReportingOverflow(by: img.channels)
    guard img.width >= 1, img.height >= 1, (1...4).contains(img.channels), !o1, !o2,
          img.pixels.count == whc else {
      let size = "\(img.width)×\(img.height)×\(img.channels)"
      throw DatasetError.malformed(
        path: path, reason: "the decoder gave \(img.pixels.count) bytes for \(size)")
    }
    return img
  }

  /// Appends `img` as planes (CHW) of `channels` in [−1, 1].
  private static func appendCHW(_ img: DecodedImage, channels: Int, to values: inout [Float]) {
    let n = img.width * img.height, src = img.channels, p = img.pixels
    let hasColour = src >= 3
    for ch in 0..<channels {
      for i in 0..<n {
        let b: Float
        if channels == 1 && hasColour {
          b = 0.299 * Float(p[i * src]) + 0.587 * Float(p[i * src + 1]) + 0.114 * Float(p[i * src + 2])
        } else if channels == src || (channels == 3 && hasColour) {
          b = Float(p[i * src + ch])
        } else {
          b = Float(p[i * src])  // gray (± alpha) repeated, or the gray of gray + alpha
        }
        values.append(b / 127.5 - 1)
      }
    }
  }

  /// The `.png` files (any case) in `folder`, as full paths, sorted by name.
  private static func pngFiles(in folder: String) throws -> [String] {
    try FileIO.listing(folder).map { joinPath(folder, $0) }
      .filter { $0.lowercased().hasSuffix(".png") && !FileIO.isDirectory($0) }
  }
}

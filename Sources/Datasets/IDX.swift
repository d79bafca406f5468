import Engine
import Support

/// Which half of a data set that ships split in two.
public enum Split: String, Sendable, CaseIterable {
  /// The training half (Fashion-MNIST: 60,000 images; CIFAR-10: 50,000).
  case train
  /// The test half (10,000 images in both).
  case test
}

/// The IDX format of MNIST and Fashion-MNIST: a big-endian header `00 00 type dims`, one 32-bit size
/// per dimension, then the values. Only unsigned bytes (type `08`) are used by these data sets.
enum IDX {
  /// The magic number of an image file: unsigned bytes, 3 dimensions (N, H, W).
  static let imagesMagic: UInt32 = 0x0000_0803
  /// The magic number of a label file: unsigned bytes, 1 dimension (N).
  static let labelsMagic: UInt32 = 0x0000_0801

  /// A parsed file: its sizes, and where the values start in `bytes`.
  struct File {
    var path: String
    var bytes: [UInt8]
    var dims: [Int]
    var offset: Int
  }

  /// Reads an IDX file of unsigned bytes (gzip-compressed or not) and checks its header and size.
  /// `dimensions` lists the ranks accepted.
  ///
  /// The header is checked before the values are read: sizes past the engine's limit
  /// (``MemoryLimit/maxElements``) are refused, and a gzip stream is inflated only up to the size
  /// the header declares, so no file costs more memory than the data set it describes.
  static func read(_ path: String, dimensions: Set<Int>, expected magic: UInt32) throws -> File {
    // A plain file holds at most the header (rank ≤ 255) and the limit's worth of values.
    let most = MemoryLimit.maxElements + 4 + 4 * 255
    var bytes = try FileIO.read(path, limit: most)
    let compressed = Gzip.isCompressed(bytes)
    let head = compressed ? try Gzip.prefix(bytes, count: 4 + 4 * 255, path: path) : bytes
    let (dims, header, need) = try parseHeader(head, path: path, dimensions: dimensions, expected: magic)
    if compressed {
      // One byte more than declared tells "extra data" from "exactly right" without inflating it all.
      bytes = try Gzip.prefix(bytes, count: header + need + 1, path: path)
    }
    let have = bytes.count - header
    guard have >= need else {
      throw DatasetError.malformed(
        path: path, reason: "truncated: expected \(need) bytes of data, found \(have)")
    }
    guard have == need else {
      let found = compressed ? "more once decompressed" : "\(have) (\(have - need) extra at the end)"
      throw DatasetError.malformed(path: path, reason: "expected \(need) bytes of data, found \(found)")
    }
    return File(path: path, bytes: bytes, dims: dims, offset: header)
  }

  /// The sizes in an IDX header, the header's length and the number of values it declares.
  /// - Throws: for a wrong magic number, a cut-off header, or sizes past the engine's limit.
  static func parseHeader(_ bytes: [UInt8], path: String, dimensions: Set<Int>, expected magic: UInt32) throws
    -> (dims: [Int], header: Int, count: Int) {
    guard bytes.count >= 4 else {
      throw DatasetError.malformed(
        path: path, reason: "truncated: \(bytes.count) bytes is too short for an IDX header")
    }
    let found = be32(bytes, 0)
    let type = bytes[2], rank = Int(bytes[3])
    guard bytes[0] == 0, bytes[1] == 0, type == 0x08, dimensions.contains(rank) else {
      let kind = magic == labelsMagic ? "labels" : "images"
      throw DatasetError.malformed(
        path: path, reason: "not an IDX file (magic \(hex(found)), expected \(hex(magic)) for \(kind))")
    }
    let header = 4 + 4 * rank
    guard bytes.count >= header else {
      throw DatasetError.malformed(
        path: path, reason: "truncated: the header needs \(header) bytes, found \(bytes.count)")
    }
    let dims = (0..<rank).map { Int(be32(bytes, 4 + 4 * $0)) }
    let need: Int
    do {
      need = try MemoryLimit.count(of: dims, op: "the header's sizes \(formatShape(dims))")
    } catch {
      throw DatasetError.malformed(path: path, reason: "\(error)")
    }
    return (dims, header, need)
  }

  static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
  }

  static func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
  }

  /// Images `[N, 1, H, W]` (rank-3 files) or vectors `[N, D]` (rank-2 files), scaled to [−1, 1].
  static func images(_ path: String) throws -> Tensor {
    let f = try read(path, dimensions: [2, 3], expected: imagesMagic)
    let shape = f.dims.count == 3 ? [f.dims[0], 1, f.dims[1], f.dims[2]] : f.dims
    return try Scaling.tensor(shape, bytes: f.bytes, offset: f.offset)
  }

  /// The labels of a rank-1 file.
  static func labels(_ path: String) throws -> [Int] {
    let f = try read(path, dimensions: [1], expected: labelsMagic)
    return f.bytes[f.offset...].map { Int($0) }
  }
}

extension Dataset {
  /// The names of the ten Fashion-MNIST classes, in label order.
  public static let fashionMNISTClassNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// Images (and labels) from MNIST-format IDX files, gzip-compressed or not.
  ///
  /// An image file (magic `0x00000803`, `[N, H, W]` bytes) becomes `[N, 1, H, W]` in [−1, 1]; a
  /// rank-2 file (magic `0x00000802`) becomes `[N, D]`. A label file (magic `0x00000801`) gives one
  /// byte per image; `classes` is then one more than the largest label.
  /// - Throws: ``DatasetError`` naming the file: missing, not IDX (wrong magic), truncated, or an
  ///   image count that differs from the label count.
  public static func idx(imagesPath: String, labelsPath: String? = nil, name: String? = nil) throws
    -> Dataset {
    let x = try IDX.images(imagesPath)
    var labels: [Int]? = nil
    if let labelsPath {
      let l = try IDX.labels(labelsPath)
      guard l.count == x.shape[0] else {
        throw DatasetError.malformed(
          path: labelsPath, reason: "\(l.count) labels for \(x.shape[0]) images in \(imagesPath)")
      }
      labels = l
    }
    return try Dataset(name: name ?? datasetName(imagesPath), x: x, labels: labels,
                       classes: labels.map { ($0.max() ?? -1) + 1 })
  }

  /// Fashion-MNIST from the IDX files in `root` (Debian's `dataset-fashion-mnist` puts them in
  /// `/usr/share/datasets/fashion-mnist`): 60,000 training or 10,000 test images `[N, 1, 28, 28]` in
  /// [−1, 1], labels 0–9. Each file is read as `….gz` or, failing that, uncompressed.
  public static func fashionMNIST(split: Split = .train,
                                  root: String = "/usr/share/datasets/fashion-mnist") throws -> Dataset {
    var d = try mnistFormat(split: split, root: root, name: "fashion-mnist")
    d.classes = 10
    d.classNames = fashionMNISTClassNames
    return d
  }

  /// MNIST (the digits) from the IDX files in `root`, named as LeCun distributes them.
  public static func mnist(split: Split = .train, root: String) throws -> Dataset {
    var d = try mnistFormat(split: split, root: root, name: "mnist")
    d.classes = 10
    d.classNames = (0..<10).map(String.init)
    return d
  }

  private static func mnistFormat(split: Split, root: String, name: String) throws -> Dataset {
    let prefix = split == .train ? "train" : "t10k"
    func file(_ stem: String) -> String {
      let plain = joinPath(root, "\(prefix)-\(stem)")
      return FileIO.exists(plain + ".gz") || !FileIO.exists(plain) ? plain + ".gz" : plain
    }
    let d = try idx(imagesPath: file("images-idx3-ubyte"), labelsPath: file("labels-idx1-ubyte"),
                    name: "\(name)/\(split.rawValue)")
    if let bad = d.labels?.first(where: { $0 > 9 }) {
      throw DatasetError.malformed(path: file("labels-idx1-ubyte"), reason: "label \(bad) is not a digit 0–9")
    }
    return d
  }
}

/// `a/b`, without doubling the slash.
func joinPath(_ a: String, _ b: String) -> String {
  a.isEmpty ? b : a.hasSuffix("/") ? a + b : a + "/" + b
}

/// A data set's name from its file: the last path component without a `.gz` and one other
/// extension (`data/t10k-images-idx3-ubyte.gz` → `t10k-images-idx3-ubyte`).
func datasetName(_ path: String) -> String {
  var s = baseName(path)
  if s.hasSuffix(".gz") { s.removeLast(3) }
  if let dot = s.lastIndex(of: "."), dot != s.startIndex { s = String(s[..<dot]) }
  return s
}

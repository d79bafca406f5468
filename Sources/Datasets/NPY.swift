// NumPy's .npy format: the magic `\x93NUMPY`, a version, a header length, a Python dict literal
// `{'descr': '<f4', 'fortran_order': False, 'shape': (N, C), }` padded to 64 bytes, then the
// values in C order.
import Engine
import Support

/// Reading and writing `.npy` files, the array format `numpy.save` and `numpy.load` use.
///
/// ``write(_:to:)`` writes float32 (`<f4`), little-endian, in C order. ``read(_:)`` takes
/// floats (`f2`, `f4`, `f8`) and integers (`i1`–`i8`, `u1`–`u8`) of either byte order and
/// converts them to Float32: f2 and f4 exactly, f8 and wide integers rounded to the nearest
/// Float32 (an f8 value beyond Float32's range is an error, not an infinity). Anything else — an
/// object array (a pickle), a structured or complex dtype, Fortran order, a header that is cut
/// short, oversized or not the dict NumPy writes, a shape whose size overflows or does not match
/// the file's bytes — is a ``DatasetError`` naming the file and what is wrong.
public enum NPY {
  /// The largest file read (16 GiB), so a wrong path never loads something enormous.
  public static let maximumFileBytes = 1 << 34
  /// The largest header read; NumPy's own headers are a few hundred bytes.
  static let maximumHeaderBytes = 65536
  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  // MARK: - Writing

  /// The bytes of `tensor` as a version 1.0 `.npy` file (2.0 when the header needs more than 65535 bytes).
  public static func encode(_ tensor: Tensor) -> [UInt8] {
    let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
    var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }".utf8)
    let long = header.count + 1 + 10 > 65535
    let prefix = long ? 12 : 10
    while (prefix + header.count + 1) % 64 != 0 { header.append(0x20) }
    header.append(0x0A)
    var bytes = magic + [long ? 2 : 1, 0]
    let n = header.count
    bytes += long ? [UInt8(n & 255), UInt8(n >> 8 & 255), UInt8(n >> 16 & 255), UInt8(n >> 24 & 255)] : [UInt8(n & 255), UInt8(n >> 8)]
    bytes += header
    bytes.reserveCapacity(bytes.count + 4 * tensor.count)
    tensor.withUnsafeBufferPointer { p in
      for v in p {
        let b = v.bitPattern.littleEndian
        bytes += [UInt8(b & 255), UInt8(b >> 8 & 255), UInt8(b >> 16 & 255), UInt8(b >> 24)]
      }
    }
    return bytes
  }

  /// Writes `tensor` to `path` as float32 `.npy`, atomically (a temporary file renamed into place;
  /// a FIFO, device or folder at `path` is refused).
  public static func write(_ tensor: Tensor, to path: String) throws(FileError) {
    try writeFileAtomically(path, encode(tensor))
  }

  // MARK: - Reading

  /// The array in the `.npy` file at `path` as a Float32 tensor of its shape. The header is read
  /// and checked first (its shape against ``MemoryLimit``), then only as many bytes as it declares.
  public static func read(_ path: String) throws -> Tensor {
    let head: [UInt8]
    do throws(FileError) { head = try readFilePrefix(path, count: 12 + maximumHeaderBytes) } catch { throw DatasetError(error) }
    let layout = try Layout(head, path: path)
    do { try MemoryLimit.check(layout.count, op: "load_npy") } catch {
      throw DatasetError.malformed(path: path, reason: "shape \(formatShape(layout.header.shape)): \(error)")
    }
    let bytes: [UInt8]
    do throws(FileError) { bytes = try readFileBytes(path, limit: layout.dataStart + layout.dataBytes) } catch {
      guard error.kind == .tooLarge else { throw DatasetError(error) }
      throw DatasetError.malformed(path: path, reason: "\(layout.needs) but the file has more (extra bytes at the end)")
    }
    return try values(bytes, layout, path: path)
  }

  /// The array in `bytes` (a whole `.npy` file's contents); `path` names it in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> Tensor {
    try values(bytes, try Layout(bytes, path: path), path: path)
  }

  /// Where a file's values are and what they are, from its first bytes.
  struct Layout {
    var header: Header
    var dataStart: Int
    var count: Int
    var dataBytes: Int
    /// "shape [2, 3] of <f4 needs 24 bytes of data", for messages.
    var needs: String { "shape \(formatShape(header.shape)) of \(header.descr) needs \(dataBytes) bytes of data" }

    init(_ bytes: [UInt8], path: String) throws {
      func fail(_ reason: String) -> DatasetError { .malformed(path: path, reason: reason) }
      guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
        throw fail("not a .npy file: it does not start with \\x93NUMPY")
      }
      let major = bytes[6]
      guard (1...3).contains(major) else { throw fail("unknown .npy version \(major).\(bytes[7])") }
      let prefix = major == 1 ? 10 : 12
      guard bytes.count >= prefix else { throw fail("truncated: the header length is cut short") }
      var length = 0
      for i in 0..<(prefix - 8) { length |= Int(bytes[8 + i]) << (8 * i) }
      guard length <= maximumHeaderBytes else {
        throw fail("the header claims \(length) bytes, over the limit of \(maximumHeaderBytes)")
      }
      guard prefix + length <= bytes.count else {
        throw fail("truncated: the header claims \(length) bytes but the file has \(bytes.count - prefix) after its length")
      }
      header = try Header(parsing: String(decoding: bytes[prefix..<(prefix + length)], as: UTF8.self), fail: fail)
      guard let count = Header.count(header.shape) else {
        throw fail("shape \(formatShape(header.shape)) has more values than can be counted")
      }
      let (need, overflow) = count.multipliedReportingOverflow(by: header.dtype.size)
      guard !overflow else {
        throw fail("shape \(formatShape(header.shape)) of \(header.descr) needs more bytes than can be counted")
      }
      (dataStart, self.count, dataBytes) = (prefix + length, count, need)
    }
  }

  /// The values of a file whose layout is known, checked against its length.
  static func values(_ bytes: [UInt8], _ layout: Layout, path: String) throws -> Tensor {
    func fail(_ reason: String) -> DatasetError { .malformed(path: path, reason: reason) }
    let data = bytes.count - layout.dataStart
    guard layout.dataBytes <= data else { throw fail("truncated: \(layout.needs) but the file has \(data)") }
    guard layout.dataBytes == data else {
      throw fail("\(layout.needs) but the file has \(data) (\(data - layout.dataBytes) extra at the end)")
    }
    let start = layout.dataStart, dtype = layout.header.dtype, count = layout.count
    var outOfRange = false
    let t: Tensor
    do {
      t = try Tensor.make(layout.header.shape) { out in
        bytes.withUnsafeBytes { raw in
          for i in 0..<count {
            out[i] = dtype.load(raw, at: start + dtype.size * i)
            if dtype.kind == .float, dtype.size == 8, out[i].isInfinite, dtype.loadDouble(raw, at: start + 8 * i).isFinite {
              outOfRange = true
            }
          }
        }
      }
    } catch let error as TensorError {
      throw fail("shape \(formatShape(layout.header.shape)): \(error)")
    }
    guard !outOfRange else { throw fail("holds f8 values beyond Float32's range (±3.4e38)") }
    return t
  }
}

// The safetensors file format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data.
import Engine
import FoundationEssentials
import Support

/// Reading and writing safetensors files of F32 tensors, so PyTorch users can open lebm's files
/// (`safetensors.torch.load_file`). Writes go to a temporary name and are renamed into place.
public enum Safetensors {
  /// The largest file `read` accepts (16 GiB), so a wrong path never loads something enormous.
  public static let maximumFileBytes = 1 << 34
  /// The largest header accepted (the format's own limit is 100 MB).
  static let maximumHeaderBytes = 100_000_000

  /// Writes F32 tensors in the safetensors layout to a temporary file, then renames it over
  /// `path`. Names must be distinct and not `__metadata__`; empty metadata is left out.
  public static func write(_ tensors: [(String, Tensor)], metadata: [String: String], to path: String) throws {
    var header: [String: HeaderEntry] = metadata.isEmpty ? [:] : ["__metadata__": .metadata(metadata)]
    var offset = 0
    for (name, t) in tensors {
      guard name != "__metadata__", header[name] == nil else {
        throw LatentEBMError.invalidArgument(name == "__metadata__" ? "'__metadata__' cannot name a tensor (the format reserves it)" : "two tensors are named '\(name)'")
      }
      header[name] = .tensor(TensorInfo(dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.count * 4]))
      offset += t.count * 4
    }
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    var headerBytes = Array(try enc.encode(header))
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + headerBytes.count + offset)
    var n = UInt64(headerBytes.count).littleEndian
    withUnsafeBytes(of: &n) { bytes += $0 }
    bytes += headerBytes
    for (_, t) in tensors { t.withUnsafeBufferPointer { p in p.withMemoryRebound(to: UInt8.self) { bytes += $0 } } }

    do { try writeFileAtomically(path, bytes) } catch {
      throw LatentEBMError.checkpoint(path: path, problem: error.problem)
    }
  }

  struct TensorInfo: Codable { var dtype: String; var shape: [Int]; var data_offsets: [Int] }

  enum HeaderEntry: Codable {
    case tensor(TensorInfo)
    case metadata([String: String])
    init(from decoder: Decoder) throws {
      let c = try decoder.singleValueContainer()
      if let t = try? c.decode(TensorInfo.self) { self = .tensor(t) } else { self = .metadata(try c.decode([String: String].self)) }
    }
    func encode(to encoder: Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case let .tensor(t): try c.encode(t)
      case let .metadata(m): try c.encode(m)
      }
    }
  }

  /// The element types ``readTensors(_:)`` accepts; every one is converted to Float32 in
  /// ``DType/load(_:at:)``, the one place conversions live.
  public enum DType: String, CaseIterable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"

    /// Bytes per value.
    public var size: Int {
      switch self {
      case .f32: return 4
      case .f16, .bf16: return 2
      case .f64: return 8
      }
    }

    /// The little-endian value at byte `offset` of `raw`, as Float32: exact for F32, F16 and
    /// BF16 (Float32 holds every value of theirs); F64 is rounded to the nearest Float32.
    @inline(__always)
    func load(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Float {
      switch self {
      case .f32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
      case .f16: return Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
      case .bf16: return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) << 16)
      case .f64: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
      }
    }

    /// "F32, F16, BF16 and F64", for messages.
    static let names = "F32, F16, BF16 and F64"
  }

  /// The bytes of `shape` values of `size` bytes each, or nil for a negative shape or one whose
  /// sizes (zeros counted as ones) overflow an Int: such a shape could not be handled later
  /// without overflowing, even when it holds no values.
  static func byteCount(_ shape: [Int], elementSize size: Int = 4) -> Int? {
    var n = size, bound = size
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, o1) = n.multipliedReportingOverflow(by: d), (b, o2) = bound.multipliedReportingOverflow(by: Swift.max(d, 1))
      guard !o1, !o2 else { return nil }
      n = p; bound = b
    }
    return n
  }

  /// Checks the header length a file's first 8 bytes claim: over the format's 100 MB limit, past
  /// the end of a file whose next byte is not `{` (not a safetensors file: `load("toy.csv")`),
  /// or past the end of one that looks like safetensors (truncated).
  static func checkHeaderLength(_ length: UInt64, _ bytes: [UInt8], _ fail: (String) -> LatentEBMError) throws {
    let after = bytes.count - 8
    if length <= UInt64(after) && length <= UInt64(maximumHeaderBytes) { return }
    if length > UInt64(after) && (after == 0 || bytes[8] != UInt8(ascii: "{")) {
      throw fail("not a safetensors file: its first 8 bytes do not give a plausible header length and no JSON header follows them")
    }
    if length > UInt64(maximumHeaderBytes) {
      throw fail("the header claims \(length) bytes, over the format's limit of \(maximumHeaderBytes) bytes (100 MB)")
    }
    throw fail("truncated or corrupt: the header claims \(length) bytes but the file has \(after) after the length")
  }

  /// Reads every tensor and the metadata of a safetensors file (see ``readTensors(_:)``).
  public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let (list, metadata) = try readTensors(path)
    return (Dictionary(list, uniquingKeysWith: { a, _ in a }), metadata)
  }

  /// Reads every tensor of a safetensors file, in the order of their data, and its metadata.
  ///
  /// F32, F16, BF16 and F64 tensors are read as Float32 (an F64 value beyond Float32's range is
  /// an error, not an infinity); any other dtype is an error naming the tensor. The header is
  /// checked before any tensor is made: its length against the file, each shape against its
  /// byte range and ``MemoryLimit``, and the byte ranges must cover the data exactly, one after
  /// another, as the format requires. Every problem is a ``LatentEBMError/checkpoint(path:problem:)``.
  public static func readTensors(_ path: String) throws -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    let bytes: [UInt8]
    do { bytes = try readFileBytes(path, limit: maximumFileBytes) } catch {
      throw fail(error.kind == .notFound || error.kind == .system ? "cannot open: \(error.problem)" : error.problem)
    }
    guard bytes.count >= 8 else { throw fail("not a safetensors file: only \(bytes.count) bytes") }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    try checkHeaderLength(headerLength, bytes, fail)
    let headerEnd = 8 + Int(headerLength)
    let header: [String: HeaderEntry]
    do { header = try JSONDecoder().decode([String: HeaderEntry].self, from: Data(bytes[8..<headerEnd])) }
    catch { throw fail("corrupt header: not valid safetensors JSON") }
    do { try JSONValue.checkNoDuplicateKeys(Array(bytes[8..<headerEnd])) } catch {
      throw fail("corrupt header: the key \"\(error.key)\" is given twice (at byte \(8 + error.offset) of the file); lebm refuses rather than pick one")
    }
    let dataCount = bytes.count - headerEnd
    var metadata: [String: String] = [:]
    var entries: [(name: String, shape: [Int], dtype: DType, start: Int, end: Int)] = []
    for (name, entry) in header {
      switch entry {
      case let .metadata(m):
        guard name == "__metadata__" else { throw fail("corrupt header: '\(name)' is not a tensor") }
        metadata = m
      case let .tensor(info):
        guard name != "__metadata__" else { throw fail("corrupt header: '__metadata__' must map names to strings") }
        guard let dtype = DType(rawValue: info.dtype) else {
          throw fail("tensor '\(name)' has dtype \(info.dtype); lebm reads \(DType.names)")
        }
        guard let bytes = byteCount(info.shape, elementSize: dtype.size), info.data_offsets.count == 2, info.data_offsets[0] >= 0,
              info.data_offsets[1] >= info.data_offsets[0], info.data_offsets[1] - info.data_offsets[0] == bytes else {
          throw fail("tensor '\(name)': shape \(formatShape(info.shape)) of \(dtype.rawValue) does not match its byte range \(info.data_offsets)")
        }
        entries.append((name, info.shape, dtype, info.data_offsets[0], info.data_offsets[1]))
      }
    }
    // The tensors must cover the data area exactly, one after another from its first byte: no
    // gap, no overlap, no shifted start (as the format requires).
    entries.sort { ($0.start, $0.end, $0.name) < ($1.start, $1.end, $1.name) }
    var covered = 0
    for e in entries {
      guard e.start == covered else {
        throw fail(e.start < covered ? "tensor '\(e.name)' overlaps the tensor before it" : "a gap of \(e.start - covered) bytes before tensor '\(e.name)'")
      }
      covered = e.end
    }
    guard covered == dataCount else {
      throw fail(covered > dataCount
        ? "truncated: the tensors need \(covered) bytes of data but the file has \(dataCount)"
        : "the tensors cover \(covered) bytes of data but the file has \(dataCount) (a wrong header length, or extra bytes)")
    }
    var tensors: [(name: String, tensor: Tensor)] = []
    for e in entries {
      let start = headerEnd + e.start, count = (e.end - e.start) / e.dtype.size
      var outOfRange = false
      let t: Tensor
      do {
        t = try Tensor.make(e.shape) { out in
          bytes.withUnsafeBytes { raw in
            for i in 0..<count { out[i] = e.dtype.load(raw, at: start + e.dtype.size * i) }
          }
          if e.dtype == .f64 {
            bytes.withUnsafeBytes { raw in
              for i in 0..<count where out[i].isInfinite {
                let d = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self)))
                if d.isFinite { outOfRange = true; break }
              }
            }
          }
        }
      } catch let error as TensorError {
        throw fail("tensor '\(e.name)': \(error)")
      }
      guard !outOfRange else { throw fail("tensor '\(e.name)' holds F64 values beyond Float32's range (±3.4e38)") }
      tensors.append((e.name, t))
    }
    return (tensors, metadata)
  }
}

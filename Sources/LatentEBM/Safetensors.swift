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

  /// The bytes of an F32 tensor of `shape`, or nil for a negative or overflowing shape.
  static func byteCount(_ shape: [Int]) -> Int? {
    var n = 4
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      guard !overflow else { return nil }
      n = p
    }
    return n
  }

  /// Writes tensors in the safetensors layout to a temporary file, then renames it over `path`.
  public static func write(_ tensors: [(String, Tensor)], metadata: [String: String], to path: String) throws {
    var header: [String: HeaderEntry] = ["__metadata__": .metadata(metadata)]
    var offset = 0
    for (name, t) in tensors {
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

  /// Reads every tensor and the metadata of a safetensors file (F32 tensors only).
  public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    let bytes: [UInt8]
    do { bytes = try readFileBytes(path, limit: maximumFileBytes) } catch {
      throw fail(error.kind == .notFound || error.kind == .system ? "cannot open: \(error.problem)" : error.problem)
    }
    guard bytes.count >= 8 else { throw fail("not a safetensors file: only \(bytes.count) bytes") }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard headerLength <= UInt64(Swift.min(bytes.count - 8, maximumHeaderBytes)) else {
      throw fail("truncated or corrupt: the header claims \(headerLength) bytes but the file has \(bytes.count - 8) after the length")
    }
    let headerEnd = 8 + Int(headerLength)
    let header: [String: HeaderEntry]
    do { header = try JSONDecoder().decode([String: HeaderEntry].self, from: Data(bytes[8..<headerEnd])) }
    catch { throw fail("corrupt header: not valid safetensors JSON") }
    let dataCount = bytes.count - headerEnd
    var metadata: [String: String] = [:]
    var entries: [(name: String, shape: [Int], start: Int, end: Int)] = []
    for (name, entry) in header {
      switch entry {
      case let .metadata(m):
        guard name == "__metadata__" else { throw fail("corrupt header: '\(name)' is not a tensor") }
        metadata = m
      case let .tensor(info):
        guard name != "__metadata__" else { throw fail("corrupt header: '__metadata__' must map names to strings") }
        guard info.dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(info.dtype); lebm reads F32") }
        guard let bytes = byteCount(info.shape), info.data_offsets.count == 2, info.data_offsets[0] >= 0,
              info.data_offsets[1] >= info.data_offsets[0], info.data_offsets[1] - info.data_offsets[0] == bytes else {
          throw fail("tensor '\(name)': shape \(formatShape(info.shape)) does not match its byte range \(info.data_offsets)")
        }
        entries.append((name, info.shape, info.data_offsets[0], info.data_offsets[1]))
      }
    }
    // The tensors must cover the data area exactly, one after another from its first byte: no
    // gap, no overlap, no shifted start (as the format requires).
    entries.sort { ($0.start, $0.end) < ($1.start, $1.end) }
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
    var tensors: [String: Tensor] = [:]
    for e in entries {
      let start = headerEnd + e.start, count = (e.end - e.start) / 4
      tensors[e.name] = try Tensor.make(e.shape) { out in
        bytes.withUnsafeBytes { raw in
          for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))) }
        }
      }
    }
    return (tensors, metadata)
  }

}

// The wire format of a Jupyter message (messaging protocol 5.3, "The Wire Protocol"):
//   [identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]
// Parsing checks the delimiter, the frame count, the signature and that the four JSON frames are
// objects; every failure is a ``WireError`` naming what was wrong, never a trap.
import Support

/// Why a received message was refused.
public struct WireError: Error, Equatable, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One message as the kernel sends or receives it.
public struct WireMessage: Equatable, Sendable {
  /// The ZeroMQ routing identities before the delimiter (the topic, on iopub).
  public var identities: [[UInt8]]
  public var header: JSONValue
  public var parentHeader: JSONValue
  public var metadata: JSONValue
  public var content: JSONValue
  /// Extra binary frames after the content.
  public var buffers: [[UInt8]]

  public init(
    identities: [[UInt8]] = [], header: JSONValue, parentHeader: JSONValue = .object([:]),
    metadata: JSONValue = .object([:]), content: JSONValue, buffers: [[UInt8]] = []
  ) {
    self.identities = identities
    self.header = header
    self.parentHeader = parentHeader
    self.metadata = metadata
    self.content = content
    self.buffers = buffers
  }

  /// The separator between the identities and the message proper.
  public static let delimiter = Array("<IDS|MSG>".utf8)
  /// The most bytes one JSON frame may hold (a cell's code, a completion).
  public static let frameLimit = 64 << 20

  /// The header's `msg_type`, or "" when absent.
  public var type: String { header["msg_type"]?.string ?? "" }

  /// Parses the frames of one multipart message, checking the signature with `signer`.
  public static func parse(_ frames: [[UInt8]], signer: Signer) throws(WireError) -> WireMessage {
    guard let d = frames.firstIndex(of: delimiter) else {
      throw WireError("no <IDS|MSG> delimiter among \(frames.count) frames")
    }
    guard frames.count - d - 1 >= 5 else {
      throw WireError("\(frames.count - d - 1) frames after the delimiter; a message needs 5 (signature, header, parent_header, metadata, content)")
    }
    let parts = Array(frames[(d + 2)..<(d + 6)])
    guard signer.verify(frames[d + 1], parts) else { throw WireError("bad signature") }
    var json: [JSONValue] = []
    for (name, bytes) in zip(["header", "parent_header", "metadata", "content"], parts) {
      guard bytes.count <= frameLimit else { throw WireError("\(name) is \(bytes.count) bytes, more than \(frameLimit)") }
      let value: JSONValue
      do { value = try JSONValue.decode(bytes: bytes) } catch let e as JSONDuplicateKeyError {
        throw WireError("\(name) has a \(e)")
      } catch {
        throw WireError("\(name) is not JSON")
      }
      guard case .object = value else { throw WireError("\(name) is not a JSON object") }
      json.append(value)
    }
    guard json[0]["msg_type"]?.string != nil else { throw WireError("the header has no msg_type") }
    return WireMessage(
      identities: Array(frames[..<d]), header: json[0], parentHeader: json[1], metadata: json[2],
      content: json[3], buffers: Array(frames[(d + 6)...]))
  }

  /// The frames to send, signed with `signer`.
  public func frames(signer: Signer) -> [[UInt8]] {
    let parts = [header, parentHeader, metadata, content].map { v in
      Array(((try? v.encoded()) ?? "{}").utf8)
    }
    return identities + [Self.delimiter, Array(signer.signature(parts).utf8)] + parts + buffers
  }
}

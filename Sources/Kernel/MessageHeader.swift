// Headers of the messages the kernel sends: a fresh id, the kernel's session, the time in ISO 8601
// (UTC, microseconds) and the protocol version.
import Glibc
import Support

/// Makes headers for one kernel session.
public struct HeaderMaker: Sendable {
  /// The protocol version the kernel speaks.
  public static let protocolVersion = "5.3"
  /// This kernel's session id.
  public let session: String

  public init(session: String = newMessageID()) { self.session = session }

  /// A header for a message of type `type`.
  public func header(_ type: String) -> JSONValue {
    .object([
      "msg_id": .string(newMessageID()), "session": .string(session), "username": .string("lebm"),
      "date": .string(isoDate()), "msg_type": .string(type), "version": .string(Self.protocolVersion),
    ])
  }
}

/// A random UUID (version 4) as text.
public func newMessageID() -> String {
  var g = SystemRandomNumberGenerator()
  var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
  bytes[6] = bytes[6] & 0x0F | 0x40
  bytes[8] = bytes[8] & 0x3F | 0x80
  let hex = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  for (i, b) in bytes.enumerated() {
    if [4, 6, 8, 10].contains(i) { out.append(UInt8(ascii: "-")) }
    out += [hex[Int(b >> 4)], hex[Int(b & 15)]]
  }
  return String(decoding: out, as: UTF8.self)
}

/// The current time as `2024-05-01T12:34:56.123456Z`.
public func isoDate() -> String {
  var ts = timespec()
  clock_gettime(CLOCK_REALTIME, &ts)
  var t = ts.tv_sec
  var parts = tm()
  gmtime_r(&t, &parts)
  func pad(_ v: Int32, _ width: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, width - s.count)) + s
  }
  return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
    + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ts.tv_nsec / 1000), 6))Z"
}

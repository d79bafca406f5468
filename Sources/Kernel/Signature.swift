// Message signatures: HMAC-SHA256 over a message's four JSON frames, written as lowercase hex
// (the Jupyter messaging protocol's `signature_scheme` "hmac-sha256"). OpenSSL computes the HMAC
// and compares signatures in constant time.
import COpenSSL

/// Signs and checks messages with the connection file's key.
public struct Signer: Sendable {
  /// The key's bytes; empty means messages are not signed (the protocol allows it).
  public let key: [UInt8]

  /// A signer for `key` (the connection file's `key`, as UTF-8).
  public init(key: String) { self.key = Array(key.utf8) }

  /// The hex HMAC-SHA256 of `parts` joined; empty when there is no key.
  public func signature(_ parts: [[UInt8]]) -> String {
    guard !key.isEmpty else { return "" }
    let data = parts.flatMap { $0 }
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = key.withUnsafeBufferPointer { k in
      data.withUnsafeBufferPointer { d in
        HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress, d.count, &digest, &length)
      }
    }
    guard ok != nil else { return "" }
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(Int(length) * 2)
    for b in digest.prefix(Int(length)) { out += [hex[Int(b >> 4)], hex[Int(b & 15)]] }
    return String(decoding: out, as: UTF8.self)
  }

  /// Whether `signature` is the one `parts` should carry. Always true without a key; the
  /// comparison takes the same time wherever the first difference is.
  public func verify(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
    guard !key.isEmpty else { return true }
    let expected = Array(self.signature(parts).utf8)
    guard expected.count == signature.count, !expected.isEmpty else { return false }
    return expected.withUnsafeBytes { e in
      signature.withUnsafeBytes { s in CRYPTO_memcmp(e.baseAddress, s.baseAddress, e.count) == 0 }
    }
  }
}

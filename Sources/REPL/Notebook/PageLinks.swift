// What a notebook page may link to: http, https and mailto URLs, relative paths and fragments,
// nothing that runs script. And figure paths shown relative to the page, not the machine's.
import Glibc

/// The link rule for notebook pages.
public enum PageLinks {
  /// What a link target or image source is, once checked.
  public enum Target: Equatable {
    /// A web or mail address (http, https, mailto): the cleaned URL.
    case remote(String)
    /// A relative path or a `#fragment`: the cleaned URL.
    case local(String)
    /// Anything else (`javascript:`, `data:`, `file:`, a disguised scheme): not emitted.
    case rejected
  }

  /// Classifies `url`: character references (`&#x61;`, `&colon;`) are decoded and control
  /// characters and whitespace removed first, as a browser would, so a scheme cannot hide behind
  /// them; then only http, https and mailto schemes, relative paths and fragments pass.
  public static func check(_ url: String) -> Target {
    let decoded = decodingReferences(url)
    let cleaned = String(String.UnicodeScalarView(decoded.unicodeScalars.filter { s in
      !(s.value < 0x21 || (0x7F...0x9F).contains(s.value) || s.properties.isWhitespace
        || s.properties.generalCategory == .format)
    }))
    if cleaned.isEmpty { return .rejected }
    // The scheme is what precedes the first ':' when no '/', '?' or '#' comes before it.
    if let colon = cleaned.firstIndex(of: ":"), !cleaned[..<colon].contains(where: { "/?#".contains($0) }) {
      let scheme = cleaned[..<colon].lowercased()
      return ["http", "https", "mailto"].contains(scheme) ? .remote(cleaned) : .rejected
    }
    // `//host/…` borrows the page's scheme: a remote address.
    if cleaned.hasPrefix("//") || cleaned.hasPrefix("\\\\") || cleaned.hasPrefix("/\\") || cleaned.hasPrefix("\\/") {
      return .remote(cleaned)
    }
    return .local(cleaned)
  }

  /// `url` with numeric (`&#97;`, `&#x61;`) and the named references a scheme can hide behind
  /// (`&colon;`, `&Tab;`, `&NewLine;`, `&amp;`) decoded; a malformed one is kept as written.
  static func decodingReferences(_ url: String) -> String {
    guard url.contains("&") else { return url }
    let named: [String: String] = ["colon": ":", "tab": "\t", "newline": "\n", "amp": "&", "sol": "/", "num": "#", "quest": "?"]
    var out = ""
    var rest = Substring(url)
    while let amp = rest.firstIndex(of: "&") {
      out += rest[..<amp]
      let after = rest[rest.index(after: amp)...]
      let body = after.prefix { $0 != ";" && $0 != "&" }.prefix(12)
      let end = after.index(after.startIndex, offsetBy: body.count, limitedBy: after.endIndex) ?? after.endIndex
      var decoded: String?
      if body.hasPrefix("#x") || body.hasPrefix("#X") {
        decoded = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
      } else if body.hasPrefix("#") {
        decoded = UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
      } else {
        decoded = named[body.lowercased()]
      }
      if let decoded, !body.isEmpty {
        out += decoded
        // A reference ends at ';' (browsers also accept it without one).
        rest = end < after.endIndex && after[end] == ";" ? after[after.index(after: end)...] : after[end...]
      } else {
        out += "&"
        rest = after
      }
    }
    return out + rest
  }

  /// `path` as seen from `folder` (both absolute): `/a/b/c.png` from `/a/d` is `../b/c.png`.
  /// A relative `path`, or no `folder`, gives the path's last component when it is absolute
  /// and the path itself when it is relative.
  public static func relative(_ path: String, from folder: String?) -> String {
    guard path.hasPrefix("/") else { return path }
    guard let folder, folder.hasPrefix("/") else { return baseNameOf(path) }
    let p = path.split(separator: "/").map(String.init), f = folder.split(separator: "/").map(String.init)
    var common = 0
    while common < min(p.count - 1, f.count), p[common] == f[common] { common += 1 }
    let up = Array(repeating: "..", count: f.count - common)
    return (up + p[common...]).joined(separator: "/")
  }

  /// The absolute folder a page written to `out` lives in.
  public static func folder(of out: String) -> String {
    let parts = absolute(out).split(separator: "/").dropLast()
    return "/" + parts.joined(separator: "/")
  }

  /// `path` as an absolute path: a relative one is taken against `folder` (absolute; the working
  /// directory when nil), and `.` and `..` components are resolved by name (links are not followed).
  public static func absolute(_ path: String, in folder: String? = nil) -> String {
    var full = path
    if !path.hasPrefix("/") {
      guard let base = folder ?? currentDirectory() else { return path }
      full = base + "/" + path
    }
    var parts: [Substring] = []
    for part in full.split(separator: "/") where part != "." {
      if part == ".." { _ = parts.popLast() } else { parts.append(part) }
    }
    return "/" + parts.joined(separator: "/")
  }

  /// The working directory, or nil when it cannot be read.
  static func currentDirectory() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private static func baseNameOf(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}

// Figures: every PNG an evaluation writes is listed as `[figure] path (W×H, N KB)`, and drawn
// inline first when the terminal can (REPL-NOTES §2): kitty graphics or iTerm2 inline images,
// chosen from environment hints without a round trip, never when stdout is not a terminal.
import Glibc
import Support

/// How PNGs are drawn in the terminal.
public enum ImageProtocol: String, Equatable, Sendable {
  /// Not drawn: only the `[figure]` line.
  case none
  /// Kitty graphics protocol (kitty, Ghostty, WezTerm partly).
  case kitty
  /// iTerm2 inline images (iTerm2, WezTerm).
  case iterm

  /// The protocol to use, from `LEBM_IMAGES` (`auto` (default), `kitty`, `iterm`, `off`) and the
  /// terminal's hints. Always `.none` when stdout is not a terminal or `TERM` is `dumb`; `auto`
  /// also gives `.none` inside tmux/screen, where the hints leak from the outer terminal.
  public static func resolve(
    environment env: [String: String], stdoutIsTerminal: Bool
  ) -> ImageProtocol {
    guard stdoutIsTerminal, env["TERM"] != "dumb" else { return .none }
    switch env["LEBM_IMAGES"]?.lowercased() ?? "auto" {
    case "kitty": return .kitty
    case "iterm", "iterm2": return .iterm
    case "off", "none", "no", "0": return .none
    default: break
    }
    if env["TMUX"] != nil || env["STY"] != nil { return .none }
    if env["TERM"] == "xterm-kitty" || env["KITTY_WINDOW_ID"] != nil { return .kitty }
    if env["TERM"] == "xterm-ghostty" || env["GHOSTTY_RESOURCES_DIR"] != nil { return .kitty }
    switch env["TERM_PROGRAM"] {
    case "ghostty": return .kitty
    case "iTerm.app", "WezTerm": return .iterm
    default: return .none
    }
  }

  /// The protocol for this process: its environment and whether fd 1 is a terminal.
  public static func current() -> ImageProtocol {
    var env: [String: String] = [:]
    for name in ["TERM", "LEBM_IMAGES", "TMUX", "STY", "KITTY_WINDOW_ID", "GHOSTTY_RESOURCES_DIR",
                 "TERM_PROGRAM"] {
      if let v = getenv(name) { env[name] = String(cString: v) }
    }
    return resolve(environment: env, stdoutIsTerminal: isatty(1) != 0)
  }

  /// The escape sequence that draws `png` (the file's bytes, unchanged), ending in a newline;
  /// empty for `.none`.
  public func escape(forPNG png: [UInt8]) -> String {
    switch self {
    case .none:
      return ""
    case .iterm:
      return "\u{1B}]1337;File=inline=1;size=\(png.count):\(base64(png))\u{07}\n"
    case .kitty:
      // Chunks of at most 4096 base64 bytes; the first carries the keys, `m=1` on all but the last.
      let data = Array(base64(png).utf8)
      var out = ""
      var offset = 0
      repeat {
        let end = min(offset + 4096, data.count)
        let more = end < data.count ? 1 : 0
        let keys = offset == 0 ? "f=100,a=T,q=2,m=\(more)" : "m=\(more)"
        out += "\u{1B}_G\(keys);" + String(decoding: data[offset..<end], as: UTF8.self) + "\u{1B}\\"
        offset = end
      } while offset < data.count
      return out + "\n"
    }
  }
}

/// What the `[figure]` line says about a PNG file.
public struct FigureInfo: Equatable, Sendable {
  /// Width and height from the IHDR chunk; nil when the file is not a PNG.
  public var width: Int?, height: Int?
  /// The file's size in bytes.
  public var bytes: Int
  /// "SVG" or "PDF" when the file starts like one; nil otherwise.
  public var vectorFormat: String? = nil

  /// Reads the size and, if the file is a PNG, its dimensions. Nil when the file cannot be read.
  public static func read(path: String) -> FigureInfo? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    let head = (try? readFilePrefix(path, count: 24)) ?? []
    let (w, h) = pngSize(head) ?? (nil, nil)
    let start = String(decoding: head.prefix(6), as: UTF8.self)
    let vector = start.hasPrefix("%PDF") ? "PDF" : (start.hasPrefix("<?xml") || start.hasPrefix("<svg") ? "SVG" : nil)
    return FigureInfo(width: w, height: h, bytes: Int(st.st_size), vectorFormat: vector)
  }

  /// Width and height from the first 24 bytes of a PNG (signature, IHDR length and type, then
  /// big-endian width and height); nil when they are not a PNG header.
  public static func pngSize(_ head: [UInt8]) -> (Int, Int)? {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard head.count >= 24, Array(head[0..<8]) == signature,
      Array(head[12..<16]) == Array("IHDR".utf8)
    else { return nil }
    func be32(_ i: Int) -> Int { head[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (be32(16), be32(20))
  }

  /// `"(640×480, 12 KB)"`-style text: the dimensions when known, then the size.
  public var summary: String {
    let size = Self.formatSize(bytes)
    if let width, let height { return "(\(width)×\(height), \(size))" }
    if let vectorFormat { return "(\(vectorFormat), \(size))" }
    return "(not a PNG, \(size))"
  }

  /// Bytes as `"812 B"`, `"3.4 KB"`, `"57 KB"` or `"2.1 MB"`.
  public static func formatSize(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    let kb = Double(bytes) / 1024
    if kb < 10 { return "\(Double((kb * 10).rounded()) / 10) KB" }
    if kb < 1024 { return "\(Int(kb.rounded())) KB" }
    return "\(Double((kb / 1024 * 10).rounded()) / 10) MB"
  }
}

/// The line printed for each figure: `[figure] path (W×H, N KB)`.
public func figureLine(_ path: String) -> String {
  guard let info = FigureInfo.read(path: path) else {
    return "[figure] \(path) (missing: \(errnoMessage()))"
  }
  return "[figure] \(path) \(info.summary)"
}

/// Standard base64 with padding.
public func base64(_ bytes: [UInt8]) -> String {
  let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  var out: [UInt8] = []
  out.reserveCapacity((bytes.count + 2) / 3 * 4)
  var i = 0
  while i + 3 <= bytes.count {
    let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
    out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)],
            table[Int(n & 63)]]
    i += 3
  }
  let rest = bytes.count - i
  if rest > 0 {
    let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
    out += [table[Int(n >> 18 & 63)], table[Int(n >> 12 & 63)]]
    out += rest == 2 ? [table[Int(n >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
  }
  return String(decoding: out, as: UTF8.self)
}

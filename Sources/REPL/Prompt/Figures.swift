// Figures: every figure an evaluation writes is listed as `[figure] path (W×H, N KB)`, and a PNG
// drawn inline first when the terminal can: kitty graphics or iTerm2 inline images, chosen from
// environment hints without a round trip (a query would need a reply the terminal may never
// send), never when stdout is not a terminal.
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

/// PNG headers, for code that holds bytes and no ``FigureOutput`` (tests, pages).
public enum FigureInfo {
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
}

/// A figure as Jupyter shows it (display_data's `data`, in a kernel's messages and in .ipynb
/// files): its bytes under its own MIME type (an SVG as text, PNG and PDF in base64) and its
/// `[figure]` line as text/plain.
public func mimeBundle(_ figure: FigureOutput, data: [UInt8]) -> JSONValue {
  let payload = figure.format == .svg ? String(decoding: data, as: UTF8.self) : base64(data)
  return .object([figure.format.mimeType: .string(payload), "text/plain": .string(figure.line)])
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

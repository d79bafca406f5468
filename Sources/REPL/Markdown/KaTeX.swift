// KaTeX from the system (Debian's libjs-katex), inlined into a notebook page that has math, so
// equations render offline: the script, the stylesheet, and its fonts as data: URLs (WOFF2).
// Without KaTeX installed the page still reads: math shows as its TeX in a monospace span.
import Support

/// The KaTeX assets a page with math carries.
public enum KaTeX {
  /// Where Debian installs KaTeX; `LEBM_KATEX_DIR` names another folder with the same layout
  /// (`katex.min.js`, `katex.min.css`, `fonts/`).
  public static var folder: String {
    if let dir = environmentValue("LEBM_KATEX_DIR"), !dir.isEmpty { return dir }
    return "/usr/share/javascript/katex"
  }

  /// The stylesheet (fonts inlined) and the script, read once; nil when KaTeX is not installed.
  public static let assets: (css: String, js: String)? = load(from: folder)

  /// Reads KaTeX from `folder`; nil when the script or the stylesheet is missing.
  public static func load(from folder: String) -> (css: String, js: String)? {
    guard let js = try? readTextFile(folder + "/katex.min.js", limit: 4 << 20),
      let css = try? readTextFile(folder + "/katex.min.css", limit: 1 << 20),
      !js.contains("</script"), !css.contains("</style")
    else { return nil }
    return (inliningFonts(css, folder: folder), js)
  }

  /// `css` with each `@font-face` source list replaced by its WOFF2 font as a data: URL (every
  /// browser that runs KaTeX reads WOFF2); a font that cannot be read is left out, and the
  /// browser falls back to the next font.
  static func inliningFonts(_ css: String, folder: String) -> String {
    var out = "", rest = Substring(css)
    while let src = rest.firstRange(of: "src:url(") {
      out += rest[..<src.lowerBound]
      let after = rest[src.upperBound...]
      guard let close = after.firstIndex(of: ")"), let end = after.firstIndex(where: { $0 == ";" || $0 == "}" }) else {
        rest = after
        break
      }
      let first = String(after[..<close])  // fonts/KaTeX_AMS-Regular.woff2
      if first.hasSuffix(".woff2"), !first.contains(":"), let font = try? readFileBytes(folder + "/" + first, limit: 1 << 20) {
        out += "src:url(data:font/woff2;base64,\(base64(font))) format('woff2')"
      } else {
        out += "src:local('KaTeX')"
      }
      rest = after[end...]
    }
    return out + rest
  }

  /// The script that renders every `.math` span (display math for `.math.display`); TeX that
  /// KaTeX cannot read stays visible in red, and `\href` and friends are refused (`trust` off).
  static let renderScript = """
    document.querySelectorAll(".math").forEach(function (e) {
      try { katex.render(e.textContent, e, { displayMode: e.classList.contains("display"), throwOnError: false }); }
      catch (x) { }
    });
    """
}

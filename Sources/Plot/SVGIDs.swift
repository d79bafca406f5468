// SVGIDs: cairo 1.16 names some SVG elements after process-wide counters (an image's unique id), so
// the same figure drawn twice in one session would differ; the ids are renamed in document order.

/// Renames the `id="…"` values of an SVG document and their references.
enum SVGIDs {
  /// The document with every id renamed `lebm1`, `lebm2`, … in the order they are defined, and every
  /// reference to them (`"#id"`, `url(#id)`) rewritten to match.
  static func renumbered(_ bytes: [UInt8]) -> [UInt8] {
    let quote = UInt8(ascii: "\"")
    let idOpen = Array("id=\"".utf8)
    // The ids in definition order.
    var names: [[UInt8]: [UInt8]] = [:]
    var i = 0
    while i + idOpen.count <= bytes.count {
      if bytes[i] == idOpen[0], Array(bytes[i..<(i + idOpen.count)]) == idOpen,
        i == 0 || bytes[i - 1] == UInt8(ascii: " ")
      {
        var j = i + idOpen.count
        while j < bytes.count, bytes[j] != quote { j += 1 }
        let name = Array(bytes[(i + idOpen.count)..<j])
        if names[name] == nil { names[name] = Array("lebm\(names.count + 1)".utf8) }
        i = j
      }
      i += 1
    }
    guard !names.isEmpty else { return bytes }
    // Rewrite definitions (`id="x"`) and references (`#x` followed by `"` or `)`).
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    i = 0
    while i < bytes.count {
      let b = bytes[i]
      var start = -1
      if b == UInt8(ascii: "#") {
        start = i + 1
      } else if b == idOpen[0], i + idOpen.count <= bytes.count, Array(bytes[i..<(i + idOpen.count)]) == idOpen,
        i == 0 || bytes[i - 1] == UInt8(ascii: " ")
      {
        start = i + idOpen.count
      }
      if start >= 0 {
        var j = start
        while j < bytes.count, bytes[j] != quote, bytes[j] != UInt8(ascii: ")"), j - start < 64 { j += 1 }
        if j < bytes.count, let new = names[Array(bytes[start..<j])] {
          out += bytes[i..<start]
          out += new
          i = j
          continue
        }
      }
      out.append(b)
      i += 1
    }
    return out
  }
}

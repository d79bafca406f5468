// Line endings: lebm reads CRLF text (scripts, cells, notebooks saved on Windows) as LF.

/// `text` with each CRLF as LF. Swift reads "\r\n" as one Character, which no comparison with
/// "\n" matches and `split(separator: "\n")` does not split at; every reader of lebm source
/// normalises through here first.
public func unixNewlines(_ text: String) -> String {
  guard text.utf8.contains(13) else { return text }
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for c in text { if c == "\r\n" { out.append("\n") } else { out.append(c) } }
  return out
}

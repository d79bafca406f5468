// "Did you mean" suggestions: the nearest name by edit distance, shared by the language's
// messages and the REPL's commands.

/// Edit distance with adjacent transpositions (Damerau), for "did you mean" suggestions.
public func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
  for i in 0...a.count { d[i][0] = i }
  for j in 0...b.count { d[0][j] = j }
  for i in 1...a.count {
    for j in 1...b.count {
      let cost = a[i - 1] == b[j - 1] ? 0 : 1
      d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
    }
  }
  return d[a.count][b.count]
}

/// The closest candidate within a small edit distance, if any (ties: a candidate the name begins,
/// as `sqr` begins `sqrt`; then same length; then alphabetical).
public func suggestion(for name: String, among candidates: [String]) -> String? {
  let limit = name.count <= 4 ? 1 : 2  // two edits in four letters is a different word (nope ≠ norm)
  let scored = Set(candidates).filter { $0 != name && abs($0.count - name.count) <= limit }
    .map { ($0, editDistance(name, $0), $0.hasPrefix(name) ? 0 : 1, abs($0.count - name.count)) }
    .filter { $0.1 <= limit }
  return scored.min { ($0.1, $0.2, $0.3, $0.0) < ($1.1, $1.2, $1.3, $1.0) }?.0
}

// The header of a .npy file: the Python dict literal NumPy writes, read by a small scanner (no
// evaluation), and the element types lebm converts to Float32.

extension NPY {
  /// An element type of a .npy file: `<f4`, `|u1`, `>i8`, …
  struct DType: Equatable {
    enum Kind { case float, signed, unsigned }
    var kind: Kind
    /// Bytes per value.
    var size: Int
    var bigEndian: Bool

    /// The dtype `descr` names; `fail` tells why one is not read.
    static func parse(_ descr: String, fail: (String) -> DatasetError) throws -> DType {
      var rest = Substring(descr)
      var bigEndian = false
      if let first = rest.first, "<>|=".contains(first) {
        bigEndian = first == ">"
        rest = rest.dropFirst()
      }
      let code = rest.first, size = Int(rest.dropFirst())
      let kind: Kind? = code == "f" ? .float : code == "i" ? .signed : code == "u" ? .unsigned : nil
      if let kind, let size, kind == .float ? [2, 4, 8].contains(size) : [1, 2, 4, 8].contains(size) {
        return DType(kind: kind, size: size, bigEndian: bigEndian)
      }
      if code == "O" { throw fail("an object array (dtype '\(descr)'): its values are pickled Python objects, which lebm does not read") }
      throw fail("dtype '\(descr)' is not read; lebm reads f2, f4, f8, i1–i8 and u1–u8 (converted to float32)")
    }

    /// The raw bits of the value at byte `offset`, in the machine's order.
    @inline(__always)
    func bits(_ raw: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
      var v: UInt64 = 0
      for i in 0..<size {
        let b = UInt64(raw[offset + (bigEndian ? size - 1 - i : i)])
        v |= b << (8 * UInt64(i))
      }
      return v
    }

    /// The value at byte `offset` as a Double (exact for every type but 64-bit integers past 2⁵³).
    @inline(__always)
    func loadDouble(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Double {
      let b = bits(raw, at: offset)
      switch (kind, size) {
      case (.float, 2): return Double(Float16(bitPattern: UInt16(b)))
      case (.float, 4): return Double(Float(bitPattern: UInt32(b)))
      case (.float, _): return Double(bitPattern: b)
      case (.unsigned, _): return Double(b)
      case (.signed, _):
        let shift = UInt64(64 - 8 * size)
        return Double(Int64(bitPattern: b << shift) >> Int64(shift))  // sign-extended
      }
    }

    /// The value at byte `offset` as Float32: f2 and f4 exactly, the rest rounded to the nearest
    /// (64-bit integers directly, not through a Double, so they round once).
    @inline(__always)
    func load(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Float {
      switch (kind, size) {
      case (.float, 4): return Float(bitPattern: UInt32(bits(raw, at: offset)))
      case (.unsigned, 8): return Float(bits(raw, at: offset))
      case (.signed, 8): return Float(Int64(bitPattern: bits(raw, at: offset)))
      default: return Float(loadDouble(raw, at: offset))
      }
    }
  }

  /// The three keys of a .npy header.
  struct Header {
    var descr: String
    var dtype: DType
    var shape: [Int]

    /// Reads the dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`:
    /// exactly these three keys, each once, with a dtype lebm reads, C order and a shape of
    /// non-negative sizes.
    init(parsing text: String, fail: (String) -> DatasetError) throws {
      var scanner = Scanner(text)
      var fields: [String: Value] = [:]
      guard scanner.take("{") else { throw fail("corrupt header: not the dict NumPy writes (\(Self.excerpt(text)))") }
      while !scanner.take("}") {
        guard case .string(let key)? = scanner.value(), scanner.take(":"), let value = scanner.value() else {
          throw fail("corrupt header: not the dict NumPy writes (\(Self.excerpt(text)))")
        }
        guard fields.updateValue(value, forKey: key) == nil else { throw fail("corrupt header: the key '\(key)' is given twice") }
        if !scanner.take(",") {
          guard scanner.take("}") else { throw fail("corrupt header: not the dict NumPy writes (\(Self.excerpt(text)))") }
          break
        }
      }
      guard scanner.atEnd else { throw fail("corrupt header: text after the dict (\(Self.excerpt(text)))") }
      guard Set(fields.keys) == ["descr", "fortran_order", "shape"] else {
        throw fail("corrupt header: the keys are \(fields.keys.sorted()), not descr, fortran_order and shape")
      }
      switch fields["descr"] {
      case .string(let d)?: (descr, dtype) = (d, try DType.parse(d, fail: fail))
      case .tuple?, .list?: throw fail("a structured dtype (a list of fields) is not read; save a plain numeric array")
      default: throw fail("corrupt header: descr is not a dtype string")
      }
      switch fields["fortran_order"] {
      case .bool(false)?: break
      case .bool(true)?: throw fail("the array is in Fortran order (fortran_order: True); save np.ascontiguousarray(a) instead")
      default: throw fail("corrupt header: fortran_order is not True or False")
      }
      guard case .tuple(let dims)? = fields["shape"] else { throw fail("corrupt header: shape is not a tuple of sizes") }
      shape = try dims.map { d in
        guard case .int(let n) = d, n >= 0 else { throw fail("corrupt header: shape \(Self.excerpt(text)) is not a tuple of non-negative sizes") }
        return n
      }
    }

    /// The number of values of `shape`, or nil when it (or any partial product, zeros taken as
    /// ones) overflows an Int.
    static func count(_ shape: [Int]) -> Int? {
      var n = 1, bound = 1
      for d in shape {
        let (p, o1) = n.multipliedReportingOverflow(by: d), (b, o2) = bound.multipliedReportingOverflow(by: Swift.max(d, 1))
        guard !o1, !o2 else { return nil }
        (n, bound) = (p, b)
      }
      return n
    }

    static func excerpt(_ text: String) -> String {
      let t = text.trimmingSuffix { $0 == " " || $0 == "\n" }
      return t.count > 80 ? String(t.prefix(80)) + "…" : String(t)
    }
  }

  /// A value of the header's literal.
  enum Value: Equatable {
    case string(String), bool(Bool), int(Int), tuple([Value]), list([Value])
  }

  /// A scanner of the few Python literals a header holds: strings, True/False, integers, tuples, lists.
  struct Scanner {
    var chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool {
      mutating get {
        skipSpace()
        return i == chars.count
      }
    }

    mutating func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\n" || chars[i] == "\t" { i += 1 } }

    /// Takes `c` (after any space) when it comes next.
    mutating func take(_ c: Character) -> Bool {
      skipSpace()
      guard i < chars.count, chars[i] == c else { return false }
      i += 1
      return true
    }

    /// The next value, or nil when none can be read (nesting is at most one tuple or list deep).
    mutating func value(depth: Int = 0) -> Value? {
      skipSpace()
      guard i < chars.count else { return nil }
      let c = chars[i]
      if c == "'" || c == "\"" {
        guard let end = chars[(i + 1)...].firstIndex(of: c) else { return nil }
        defer { i = end + 1 }
        return .string(String(chars[(i + 1)..<end]))
      }
      if c == "(" || c == "[" {
        guard depth < 2 else { return nil }
        i += 1
        let close: Character = c == "(" ? ")" : "]"
        var items: [Value] = []
        while !take(close) {
          guard let v = value(depth: depth + 1) else { return nil }
          items.append(v)
          if !take(",") {
            guard take(close) else { return nil }
            break
          }
        }
        return c == "(" ? .tuple(items) : .list(items)
      }
      var word = ""
      while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" {
        word.append(chars[i])
        i += 1
      }
      if word == "True" { return .bool(true) }
      if word == "False" { return .bool(false) }
      if word.hasSuffix("L") { word.removeLast() }  // Python 2's long integers
      return Int(word).map(Value.int)
    }
  }
}

extension String {
  /// The string without its trailing characters that satisfy `drop`.
  fileprivate func trimmingSuffix(while drop: (Character) -> Bool) -> Substring {
    var end = endIndex
    while end > startIndex, drop(self[index(before: end)]) { end = index(before: end) }
    return self[..<end]
  }
}

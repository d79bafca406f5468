// A JSON value: the records checkpoints keep in their metadata, `.ipynb` notebooks, and the
// Jupyter kernel's messages. Parsing and printing are FoundationEssentials' (JSONDecoder refuses
// nesting deeper than 512 levels, so hostile input gives an error, not a crash).
import FoundationEssentials

/// A JSON value. Whole numbers that fit are kept exactly (`integer`), so 64-bit random states
/// survive a round trip.
public enum JSONValue: Codable, Equatable, Sendable {
  case null
  case bool(Bool)
  case integer(Int64)
  case unsigned(UInt64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() { self = .null }
    else if let b = try? c.decode(Bool.self) { self = .bool(b) }
    else if let i = try? c.decode(Int64.self) { self = .integer(i) }
    else if let u = try? c.decode(UInt64.self) { self = .unsigned(u) }
    else if let d = try? c.decode(Double.self) { self = .number(d) }
    else if let s = try? c.decode(String.self) { self = .string(s) }
    else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
    else { self = .object(try c.decode([String: JSONValue].self)) }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case let .bool(b): try c.encode(b)
    case let .integer(i): try c.encode(i)
    case let .unsigned(u): try c.encode(u)
    case let .number(d): try c.encode(d)
    case let .string(s): try c.encode(s)
    case let .array(a): try c.encode(a)
    case let .object(o): try c.encode(o)
    }
  }

  /// A Float as the number it prints as (0.2, not 0.20000000298023224).
  public init(_ x: Float) { self = .number(Double("\(x)") ?? Double(x)) }
  public init(_ i: Int) { self = .integer(Int64(i)) }

  /// The value as a number, if it is one.
  public var double: Double? {
    switch self {
    case let .integer(i): return Double(i)
    case let .unsigned(u): return Double(u)
    case let .number(d): return d
    default: return nil
    }
  }

  /// The value as an Int, if it is a whole number in range.
  public var int: Int? {
    switch self {
    case let .integer(i): return Int(exactly: i)
    case let .unsigned(u): return Int(exactly: u)
    case let .number(d): return d.isFinite && d == d.rounded() && abs(d) < 9e15 ? Int(d) : nil
    default: return nil
    }
  }

  public var uint64: UInt64? {
    switch self {
    case let .integer(i): return UInt64(exactly: i)
    case let .unsigned(u): return u
    default: return nil
    }
  }

  public var string: String? { if case let .string(s) = self { return s }; return nil }
  public var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
  public var array: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
  public var object: [String: JSONValue]? { if case let .object(o) = self { return o }; return nil }

  /// The member `key` of an object; nil when this is not an object or has no such member.
  public subscript(key: String) -> JSONValue? {
    if case let .object(o) = self { return o[key] }
    return nil
  }

  /// The value as compact JSON for messages (`"abc"`, `[1,2]`); a number JSON cannot hold
  /// prints as Swift does.
  public var shown: String {
    if case let .number(d) = self, !d.isFinite { return "\(d)" }
    return (try? encoded()) ?? "\(self)"
  }

  /// Encodes as compact JSON with sorted keys.
  public func encoded() throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    return String(decoding: try enc.encode(self), as: UTF8.self)
  }

  /// Encodes with sorted keys and two-space indentation, ending in a newline (files people
  /// read and diff, such as notebooks).
  public func encodedPretty() throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try enc.encode(self), as: UTF8.self) + "\n"
  }

  /// Parses JSON text; see ``decode(bytes:)``.
  public static func decode(_ text: String) throws -> JSONValue {
    try decode(bytes: Array(text.utf8))
  }

  /// Parses JSON bytes (UTF-8). An object with a key twice is refused with a
  /// ``JSONDuplicateKeyError`` (Python, Jupyter and safetensors keep the last value, a
  /// dictionary here would keep one of them: the file would mean different things to each).
  public static func decode(bytes: [UInt8]) throws -> JSONValue {
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    try checkNoDuplicateKeys(bytes)
    return value
  }

  /// Throws ``JSONDuplicateKeyError`` for the first object in `bytes` (valid JSON) that has a key
  /// twice, as JSON compares keys: after unescaping (`"a"` and `"\u0061"` are one key).
  public static func checkNoDuplicateKeys(_ bytes: [UInt8]) throws(JSONDuplicateKeyError) {
    var scanner = DuplicateKeyScanner(bytes: bytes)
    try scanner.run()
  }
}

/// An object in JSON text names a key twice: `duplicate key "slope" (at byte 120)`.
public struct JSONDuplicateKeyError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The key, unescaped.
  public let key: String
  /// The byte offset of its second occurrence (its opening quote).
  public let offset: Int

  public init(key: String, offset: Int) {
    self.key = key
    self.offset = offset
  }

  public var description: String { "duplicate key \"\(key)\" (at byte \(offset))" }
}

/// Walks valid JSON once, keeping the keys of each open object, to find a key given twice.
struct DuplicateKeyScanner {
  let bytes: [UInt8]
  var i = 0
  /// One entry per open object or array: the object's keys so far (nil for an array), and
  /// whether the next string in it is a key.
  var stack: [(keys: Set<String>?, expectingKey: Bool)] = []

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func run() throws(JSONDuplicateKeyError) {
    while i < bytes.count {
      switch bytes[i] {
      case UInt8(ascii: "{"): stack.append((keys: [], expectingKey: true)); i += 1
      case UInt8(ascii: "["): stack.append((keys: nil, expectingKey: false)); i += 1
      case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast(); i += 1
      case UInt8(ascii: ","):
        if let top = stack.last, top.keys != nil { stack[stack.count - 1].expectingKey = true }
        i += 1
      case UInt8(ascii: "\""):
        guard let top = stack.last, let keys = top.keys, top.expectingKey else { skipString(); continue }
        let start = i
        let text = readString()
        guard !keys.contains(text) else { throw JSONDuplicateKeyError(key: text, offset: start) }
        stack[stack.count - 1].keys!.insert(text)
        stack[stack.count - 1].expectingKey = false
      default: i += 1
      }
    }
  }

  /// Moves `i` past the string starting at the quote at `i` (a value: its text is not needed).
  mutating func skipString() {
    i += 1
    while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
    i += 1
  }

  /// The string starting at the quote at `i`, unescaped; `i` moves past its closing quote.
  mutating func readString() -> String {
    i += 1
    var out: [UInt8] = []
    var units: [UInt16] = []
    func flushUnits() {
      guard !units.isEmpty else { return }
      out += Array(String(decoding: units, as: UTF16.self).utf8)
      units = []
    }
    while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
      guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else { flushUnits(); out.append(bytes[i]); i += 1; continue }
      let e = bytes[i + 1]
      i += 2
      if e == UInt8(ascii: "u"), i + 4 <= bytes.count, let u = UInt16(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) {
        units.append(u)
        i += 4
        continue
      }
      flushUnits()
      switch e {
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "t"): out.append(9)
      default: out.append(e)
      }
    }
    flushUnits()
    i += 1
    return String(decoding: out, as: UTF8.self)
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .integer(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}

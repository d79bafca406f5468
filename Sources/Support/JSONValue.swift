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

  /// Parses JSON text.
  public static func decode(_ text: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
  }

  /// Parses JSON bytes (UTF-8).
  public static func decode(bytes: [UInt8]) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
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

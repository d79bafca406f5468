// Value: what a script computes with. Lists and records have value semantics (assigning copies);
// tensors are the engine's; functions close over their defining scope; opaque handles carry
// models, datasets and optimizers added by other builtin groups.
import Engine

/// A handle to a host object (a model, a dataset, an optimizer) that a script can pass around.
/// Conform a class to it and wrap instances in ``Value/opaque(_:)``.
public protocol OpaqueValue: AnyObject {
  /// The type name `type(x)` reports, e.g. `"latent_ebm"`.
  var typeName: String { get }
  /// A one-line summary, for the value inside a list or record.
  var summary: String { get }
  /// What echo and `print` show for the value itself; may span lines (default ``summary``).
  var display: String { get }
  /// Fields readable with `x.name`; nil when there is no such field.
  func field(_ name: String) -> Value?
  /// The names ``field(_:)`` answers, for completion.
  var fieldNames: [String] { get }
  /// The tensor this handle stands for in indexing (`data[0:100]`) and tensor arguments — a
  /// dataset's examples; nil for handles that are not tensor-like.
  var tensorView: Tensor? { get }
  /// The values `for v in handle` visits (mini-batches, say); nil when the handle is not iterable.
  func makeIterator() -> AnyIterator<Value>?
  /// The result of calling the handle like a function (`E(z)`), or nil when it is not callable.
  func call(_ positional: [Value], keywords: [(String, Value)]) throws -> Value?
}

/// A handle that parameters can require by its type (``ParamType/handle(_:)``): models, nets.
public protocol TypedHandle: OpaqueValue {
  /// Its type name, as signatures show it (`latent_ebm`).
  static var handleName: String { get }
  /// How an error names what was expected: "a model made by latent_ebm(...)".
  static var phrase: String { get }
  /// A hint for a value given where this handle was expected ("call the net: E(z)"); nil for none.
  static func hint(for value: Value) -> String?
}

extension TypedHandle {
  public static func hint(for value: Value) -> String? { nil }
}

extension OpaqueValue {
  public var display: String { summary }
  public func field(_ name: String) -> Value? { nil }
  public var fieldNames: [String] { [] }
  public var tensorView: Tensor? { nil }
  public func makeIterator() -> AnyIterator<Value>? { nil }
  public func call(_ positional: [Value], keywords: [(String, Value)]) throws -> Value? { nil }
}

/// An ordered record: `{a: 1, b: "x"}`. Keys keep their insertion order.
public struct Record: Equatable {
  public private(set) var keys: [String] = []
  private var values: [String: Value] = [:]
  /// How deeply lists and records nest in this record (1 for `{a: 1}`), kept as fields are set
  /// so that checking a record's depth costs nothing. After a deep field is replaced or removed
  /// it may stay higher than the fields need (never lower).
  public private(set) var height = 1

  public init() {}
  public init(_ pairs: [(String, Value)]) { for (k, v) in pairs { self[k] = v } }

  public subscript(key: String) -> Value? {
    get { values[key] }
    set {
      if let newValue {
        if newValue.isContainer { height = Swift.max(height, 1 + newValue.nestingDepth(limit: .max - 1)) }
        if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
      } else if values.removeValue(forKey: key) != nil {
        keys.removeAll { $0 == key }
      }
    }
  }

  public var count: Int { keys.count }
  public var pairs: [(String, Value)] { keys.map { ($0, values[$0]!) } }

  public static func == (a: Record, b: Record) -> Bool {
    a.keys.count == b.keys.count && a.keys.allSatisfy { k in b[k].map { a[k]! == $0 } ?? false }
  }
}

/// A function written in the language, with the scope it closes over.
public final class Closure {
  public let decl: FunctionDecl
  private let strongScope: Scope?
  private weak var weakScope: Scope?

  init(decl: FunctionDecl, scope: Scope) {
    self.decl = decl
    self.strongScope = scope
  }

  private init(decl: FunctionDecl, weakScope: Scope) {
    self.decl = decl
    self.strongScope = nil
    self.weakScope = weakScope
  }

  /// The scope the function closes over. (A weak closure lives only inside that scope, so the
  /// scope is alive whenever the closure can be reached; the fallback is never used.)
  var scope: Scope { strongScope ?? weakScope ?? Scope(parent: nil) }
  var isWeak: Bool { strongScope == nil }
  func weakened() -> Closure { Closure(decl: decl, weakScope: scope) }
  func strengthened() -> Closure { isWeak ? Closure(decl: decl, scope: scope) : self }

  /// The same function: same code, same captured scope.
  func isSame(as other: Closure) -> Bool { decl === other.decl && scope === other.scope }
  public var name: String { decl.name ?? "<fn>" }
  /// `fn name(a, b: 2)`.
  public var signature: String {
    let ps = decl.params.map { p in p.defaultValue.map { "\(p.name): \(ExprPrinter.print($0))" } ?? p.name }
    return "fn \(decl.name ?? "")(\(ps.joined(separator: ", ")))"
  }
  /// What `help` shows for a script function: its signature and where it is defined.
  public var helpText: String { signature + "\n  defined at \(decl.file):\(decl.span)\n" }
}

/// A value of the language.
public enum Value {
  case number(Double)
  case string(String)
  case bool(Bool)
  case none
  case list([Value])
  case record(Record)
  case tensor(Tensor)
  case function(Closure)
  case builtin(Builtin)
  case opaque(any OpaqueValue)

  /// The name `type(x)` returns.
  public var typeName: String {
    switch self {
    case .number: return "number"
    case .string: return "string"
    case .bool: return "bool"
    case .none: return "none"
    case .list: return "list"
    case .record: return "record"
    case .tensor: return "tensor"
    case .function, .builtin: return "function"
    case .opaque(let o): return o.typeName
    }
  }

  /// The type name as messages say it, with its article: "a tensor", "an energy_net", "none".
  public var typeWithArticle: String { articled(typeName) }

  /// Truthiness for `if`, `while`, `and`, `or`, `not`: false, none, 0, "" and [] are false; a
  /// one-element tensor is true when non-zero; a larger tensor is an error.
  func truthy() throws -> Bool {
    switch self {
    case .bool(let b): return b
    case .none: return false
    case .number(let x): return x != 0
    case .string(let s): return !s.isEmpty
    case .list(let l): return !l.isEmpty
    case .record(let r): return r.count > 0
    case .tensor(let t):
      guard t.count == 1 else {
        throw BuiltinError("the truth value of a tensor with \(t.count) values is ambiguous; use any(t) or all(t)")
      }
      return (try t.item()) != 0
    case .function, .builtin, .opaque: return true
    }
  }
}

extension Value {
  /// How deeply lists and records nest in this value: 0 for a number, 1 for `[1, 2]` or `{}`,
  /// 2 for `[[1]]` (a record counts its ``Record/height``). Stops counting past `limit`. Walks
  /// with its own stack, never the native one, and visits each list's storage once, so a list
  /// holding the same list many times (`xs = append(xs, xs)` repeated) costs its distinct parts.
  public func nestingDepth(limit: Int) -> Int {
    switch self {
    case .record(let r): return r.height
    case .list(let top):
      func identity(_ l: [Value]) -> UnsafeRawPointer? {
        l.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
      }
      var known: [UnsafeRawPointer: Int] = [:]  // a list's storage → its depth
      var path: [(items: [Value], next: Int, deepest: Int)] = [(top, 0, 0)]
      while !path.isEmpty {
        let last = path.count - 1
        if path[last].next < path[last].items.count {
          let x = path[last].items[path[last].next]
          path[last].next += 1
          switch x {
          case .record(let r): path[last].deepest = Swift.max(path[last].deepest, r.height)
          case .list(let l):
            if let id = identity(l), let d = known[id] {
              path[last].deepest = Swift.max(path[last].deepest, d)
            } else {
              if path.count > limit { return path.count + 1 }
              path.append((l, 0, 0))
            }
          default: break
          }
        } else {
          let done = path.removeLast()
          let d = done.deepest + 1
          if d > limit { return d + path.count }
          if let id = identity(done.items) { known[id] = d }
          if !path.isEmpty { path[path.count - 1].deepest = Swift.max(path[path.count - 1].deepest, d) }
          else { return d }
        }
      }
      return 0
    default: return 0
    }
  }

  /// The items of a list (its UTF-8 length for a string), else 0.
  var count: Int {
    switch self {
    case .list(let l): return l.count
    case .string(let s): return s.utf8.count
    default: return 0
    }
  }

  /// The items of a list, leaving `none` behind, so that the caller holds the only reference
  /// to them (and can grow them in place); [] for any other value.
  mutating func takeList() -> [Value] {
    guard case .list(let l) = self else { return [] }
    self = .none
    return l
  }

  /// The text of a string, leaving `none` behind; "" for any other value.
  mutating func takeString() -> String {
    guard case .string(let s) = self else { return "" }
    self = .none
    return s
  }

  /// Whether this is a list or a record.
  var isContainer: Bool {
    switch self {
    case .list, .record: return true
    default: return false
    }
  }
}

extension Value: Equatable {
  /// Structural equality (tensors: same shape and values; functions and handles: identity).
  public static func == (a: Value, b: Value) -> Bool {
    switch (a, b) {
    case let (.number(x), .number(y)): return x == y
    case let (.string(x), .string(y)): return x == y
    case let (.bool(x), .bool(y)): return x == y
    case (.none, .none): return true
    case let (.list(x), .list(y)): return x == y
    case let (.record(x), .record(y)): return x == y
    case let (.tensor(x), .tensor(y)): return x.shape == y.shape && x.scalars == y.scalars
    case let (.function(x), .function(y)): return x.isSame(as: y)
    case let (.builtin(x), .builtin(y)): return x === y
    case let (.opaque(x), .opaque(y)): return x === y
    default: return false
    }
  }
}

extension Value: CustomStringConvertible {
  /// The echo form: strings quoted inside containers, tensors as rows (on one line inside containers),
  /// functions as `<fn name(a, b)>`.
  public var description: String { format(quoted: true, depth: 0) }

  /// A one-line form, as the value shows inside a list (`:vars` lists these): tensors on one
  /// line or as their statistics, handles as their summaries.
  public var oneLine: String { format(quoted: true, depth: 1) }

  /// The `print` / `str` / interpolation form: like ``description`` but a top-level string is
  /// shown without quotes.
  public var displayString: String { format(quoted: false, depth: 0) }

  /// The value as text; lists show their first `limit` items (all when nil) and a count.
  func format(quoted: Bool, depth: Int, limit: Int? = 100) -> String {
    if depth > 40 { return "…" }
    switch self {
    case .number(let x): return formatNumber(x)
    case .string(let s): return quoted ? quote(s) : s
    case .bool(let b): return b ? "true" : "false"
    case .none: return "none"
    case .list(let l):
      let n = limit ?? l.count
      let shown = l.prefix(n).map { $0.format(quoted: true, depth: depth + 1, limit: limit) }
      return "[" + shown.joined(separator: ", ") + (l.count > n ? ", … (\(l.count) items; print(x, limit: none) shows all)" : "") + "]"
    case .record(let r):
      if r.count == 0 { return "{}" }
      return "{" + r.pairs.map { "\(recordKey($0.0)): \($0.1.format(quoted: true, depth: depth + 1, limit: limit))" }.joined(separator: ", ") + "}"
    case .tensor(let t): return depth == 0 ? t.description : t.inlineDescription
    case .function(let f):
      return "<fn \(f.decl.name ?? "")(\(f.decl.params.map(\.name).joined(separator: ", ")))>"
    case .builtin(let b): return "<builtin \(b.name)(\(b.params.map(\.name).joined(separator: ", ")))>"
    case .opaque(let o): return depth == 0 ? o.display : o.summary
    }
  }
}

/// Numbers print as integers when they are whole and not huge, else in Swift's shortest form.
public func formatNumber(_ x: Double) -> String {
  if x.isNaN { return "nan" }
  if x.isInfinite { return x > 0 ? "inf" : "-inf" }
  if x == x.rounded(), Swift.abs(x) < 1e15 {
    return x == 0 ? "0" : String(Int64(x))
  }
  return String(x)
}

/// A record key as written in a literal: bare when it is an identifier, else quoted.
func recordKey(_ k: String) -> String {
  let isIdent = !k.isEmpty && !(k.first!.isNumber) && k.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    && TokenKind.keywords[k] == nil
  return isIdent ? k : quote(k)
}

func quote(_ s: String) -> String {
  var out = "\""
  for c in s {
    switch c {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "{": out += "\\{"
    case "}": out += "\\}"
    default: out.append(c)
    }
  }
  return out + "\""
}

/// An integer from a Double, or nil when it is not finite, not whole, or out of range.
/// Never traps (the check comes before `Int(x)`).
public func exactInt(_ x: Double) -> Int? {
  guard x.isFinite, x == x.rounded(), Swift.abs(x) <= 9.0e15 else { return nil }
  return Int(x)
}

/// Prints expressions back as source, for default values in signatures.
enum ExprPrinter {
  static func print(_ e: Expr) -> String {
    switch e {
    case .number(let x, _): return formatNumber(x)
    case .string(let parts, _):
      return quote(parts.map { p -> String in if case .text(let s) = p { return s } else { return "…" } }.joined())
    case .bool(let b, _): return b ? "true" : "false"
    case .none: return "none"
    case .variable(let n, _): return n
    case .list(let items, _): return "[" + items.map(print).joined(separator: ", ") + "]"
    case .unary(let op, let x, _): return (op == "not" ? "not " : op) + print(x)
    case .field(let t, let n, _): return print(t) + "." + n
    default: return "…"
    }
  }
}

/// A type name with its article for messages: "a tensor", "an energy_net"; `none` has none.
func articled(_ typeName: String) -> String {
  if typeName == "none" { return "none" }
  return (typeName.first.map { "aeiou".contains($0) } == true ? "an " : "a ") + typeName
}

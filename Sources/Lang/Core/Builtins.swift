// The builtins registry: the single place a primitive is declared (Lua's `luaL_Reg` rows, clox's
// `defineNative`). A builtin row names its parameters with types and defaults and carries its doc;
// arguments are bound and checked uniformly before `impl` runs, so every builtin reports mistakes
// the same way: `linspace: expected 3 arguments, got 4`, `randn: unknown keyword 'sape' (did you
// mean 'shape'?)`, `sample_prior: 'steps' must be a positive integer, got -3`.
import Engine
import Support

/// What a parameter accepts. Values are checked, and converted where noted, before the builtin runs.
public indirect enum ParamType: Sendable {
  /// Anything.
  case any
  case number
  /// A whole number.
  case int
  /// A whole number ≥ 1.
  case positiveInt
  /// A whole number ≥ 0.
  case nonNegativeInt
  case bool
  case string
  case list
  case record
  /// A record, or a handle with fields (a model, its history, a net): what `keys` and `values` read.
  case fields
  /// A tensor; a number or a (nested) list of numbers is converted to one.
  case tensor
  /// A shape: a whole number ≥ 0 or a list of them (`3` means `[3]`).
  case shape
  /// One axis or a list of axes (whole numbers, negative counts from the end).
  case axes
  /// A list of whole numbers.
  case intList
  /// A function or builtin.
  case function
  /// A handle of one type: `.handle(ModelHandle.self)` takes a model made by `latent_ebm`.
  case handle(any TypedHandle.Type)
  /// A handle of any of several types: `.handles([ModelHandle.self, VAEHandle.self])` takes a
  /// latent EBM or a VAE.
  case handles([any TypedHandle.Type])
  /// `none` or the wrapped type.
  case optional(ParamType)

  /// How messages describe it: "'steps' must be a positive integer".
  public var phrase: String {
    switch self {
    case .any: return "a value"
    case .number: return "a number"
    case .int: return "an integer"
    case .positiveInt: return "a positive integer"
    case .nonNegativeInt: return "a non-negative integer"
    case .bool: return "true or false"
    case .string: return "a string"
    case .list: return "a list"
    case .record: return "a record"
    case .fields: return "a record or a value with fields (a model, its history, a net, …)"
    case .tensor: return "a tensor (or a number or a list of numbers)"
    case .shape: return "a shape (a list of non-negative integers)"
    case .axes: return "an axis or a list of axes"
    case .intList: return "a list of integers"
    case .function: return "a function"
    case .handle(let h): return h.phrase
    case .handles(let hs): return hs.map { $0.phrase }.joined(separator: " or ")
    case .optional(let t): return t.phrase + " or none"
    }
  }

  /// The handle type this parameter takes (inside `optional` too); nil for other types.
  var handleType: (any TypedHandle.Type)? {
    switch self {
    case .handle(let h): return h
    case .optional(let t): return t.handleType
    default: return nil
    }
  }

  /// Every handle type this parameter takes (inside `optional` too); empty for other types.
  var handleTypes: [any TypedHandle.Type] {
    switch self {
    case .handle(let h): return [h]
    case .handles(let hs): return hs
    case .optional(let t): return t.handleTypes
    default: return []
    }
  }

  /// A hint after the error for `value` given where this type was expected (a handle's own).
  func hint(for value: Value) -> String {
    switch self {
    case .handle(let h): return h.hint(for: value).map { " (\($0))" } ?? ""
    case .handles(let hs): return hs.lazy.compactMap { $0.hint(for: value) }.first.map { " (\($0))" } ?? ""
    case .optional(let t): return t.hint(for: value)
    default: return ""
    }
  }

  /// The short name shown in signatures.
  public var name: String {
    switch self {
    case .any: return "any"
    case .number: return "number"
    case .int, .positiveInt, .nonNegativeInt: return "int"
    case .bool: return "bool"
    case .string: return "string"
    case .list: return "list"
    case .record: return "record"
    case .fields: return "fields"
    case .tensor: return "tensor"
    case .shape: return "shape"
    case .axes: return "axes"
    case .intList: return "list"
    case .function: return "function"
    case .handle(let h): return h.handleName
    case .handles(let hs): return hs.map { $0.handleName }.joined(separator: "|")
    case .optional(let t): return t.name + "?"
    }
  }
}

/// One parameter of a builtin: a name, a type, an optional default, or variadic (takes the rest of
/// the positional arguments as a list).
public struct Param {
  public var name: String
  public var type: ParamType
  public var defaultValue: Value?
  public var variadic: Bool

  /// A required parameter.
  public init(_ name: String, _ type: ParamType = .any) {
    self.name = name
    self.type = type
    self.defaultValue = nil
    self.variadic = false
  }

  /// An optional parameter with its default (`default: .none` means the value `none`).
  public init(_ name: String, _ type: ParamType = .any, default defaultValue: Value) {
    self.init(name, type)
    self.defaultValue = defaultValue
  }

  /// A parameter that collects all remaining positional arguments.
  public static func variadic(_ name: String, _ type: ParamType = .any) -> Param {
    var p = Param(name, type)
    p.variadic = true
    return p
  }

  var isRequired: Bool { defaultValue == nil && !variadic }
}

/// A primitive of the language, declared once: its name, group, parameters, doc and code.
public final class Builtin: @unchecked Sendable {
  public let name: String
  public let group: String
  public let params: [Param]
  /// What it does, with the math; the first line is the summary.
  public let doc: String
  public let impl: (Args) throws -> Value

  public init(_ name: String, group: String = "", params: [Param], doc: String, impl: @escaping (Args) throws -> Value) {
    self.name = name
    self.group = group
    self.params = params
    self.doc = doc
    self.impl = impl
  }

  /// Copies the row into a group.
  func inGroup(_ g: String) -> Builtin { Builtin(name, group: g, params: params, doc: doc, impl: impl) }

  /// `zeros(shape, value: 0)`.
  public var signature: String {
    let ps = params.map { p -> String in
      if p.variadic { return p.name + "..." }
      if let d = p.defaultValue { return "\(p.name): \(d.description)" }
      return p.name
    }
    return "\(name)(\(ps.joined(separator: ", ")))"
  }

  /// The keyword names the builtin accepts.
  public var keywordNames: [String] { params.filter { !$0.variadic }.map(\.name) }

  /// The text `help(name)` prints: the signature, the parameter types, then the doc.
  public var helpText: String {
    var s = signature + "    [\(group)]\n"
    let typed = params.filter { if case .any = $0.type { return false }; return true }
    if !typed.isEmpty {
      s += "  " + typed.map { "\($0.name): \($0.type.name)" }.joined(separator: ", ") + "\n"
    }
    for line in doc.split(separator: "\n", omittingEmptySubsequences: false) { s += "  " + line + "\n" }
    return s
  }
}

/// A named set of builtins, registered in one call: `registry.register(.tensor)`.
public struct BuiltinGroup {
  public let name: String
  public let summary: String
  public let builtins: [Builtin]

  public init(name: String, summary: String, builtins: [Builtin]) {
    self.name = name
    self.summary = summary
    self.builtins = builtins.map { $0.inGroup(name) }
  }
}

/// The builtins an interpreter knows, by group and by name.
public final class BuiltinRegistry: @unchecked Sendable {
  public private(set) var groups: [BuiltinGroup] = []
  private var byName: [String: Builtin] = [:]

  /// A registry of `groups` (the language's library registers ``BuiltinGroup/standard`` with
  /// `BuiltinRegistry()`).
  public init(groups: [BuiltinGroup]) {
    for g in groups { register(g) }
  }

  /// Adds a group (replacing one with the same name); a later builtin with an existing name wins.
  public func register(_ group: BuiltinGroup) {
    if let i = groups.firstIndex(where: { $0.name == group.name }) {
      for b in groups[i].builtins { byName[b.name] = nil }
      groups[i] = group
    } else {
      groups.append(group)
    }
    for b in group.builtins { byName[b.name] = b }
  }

  public subscript(name: String) -> Builtin? { byName[name] }

  /// Every builtin, by group order then declaration order.
  public var all: [Builtin] { groups.flatMap(\.builtins).filter { byName[$0.name] === $0 } }

  public var names: [String] { byName.keys.sorted() }

  /// The text `help()` prints: every builtin, grouped, with its first sentence (``index(width:)``).
  public var index: String { index(width: nil) }
}

// MARK: - Arguments

/// The checked arguments of one builtin call, by parameter name.
public struct Args {
  /// The builtin's name, for messages.
  public let name: String
  let params: [Param]
  let values: [Value]
  /// The variadic arguments, if the builtin has a variadic parameter.
  public let rest: [Value]
  /// The interpreter running the call, for builtins that call back into the script.
  public let interpreter: Interpreter
  /// Where the call is in the source.
  public let span: SourceSpan

  /// An error mentioning the builtin: `BuiltinError("name: message")`.
  public func fail(_ message: String) -> BuiltinError { BuiltinError("\(name): \(message)") }

  private func index(_ p: String) -> Int {
    guard let i = params.firstIndex(where: { $0.name == p }) else {
      preconditionFailure("builtin '\(name)' has no parameter '\(p)'")  // a bug in the row, not user input
    }
    return i
  }

  /// The value of a parameter (its default when not given).
  public subscript(_ p: String) -> Value { values[index(p)] }

  /// Whether the parameter's value is `none`.
  public func isNone(_ p: String) -> Bool { if case .none = self[p] { return true }; return false }

  public func number(_ p: String) throws -> Double {
    if case .number(let x) = self[p] { return x }
    throw fail("'\(p)' must be a number, got \(shown(self[p]))")
  }

  public func float(_ p: String) throws -> Float { Float(try number(p)) }

  public func int(_ p: String) throws -> Int {
    if case .number(let x) = self[p], let i = exactInt(x) { return i }
    throw fail("'\(p)' must be an integer, got \(shown(self[p]))")
  }

  public func bool(_ p: String) throws -> Bool {
    if case .bool(let b) = self[p] { return b }
    throw fail("'\(p)' must be true or false, got \(shown(self[p]))")
  }

  public func string(_ p: String) throws -> String {
    if case .string(let s) = self[p] { return s }
    throw fail("'\(p)' must be a string, got \(shown(self[p]))")
  }

  /// A `.fields` parameter's fields in order: a record's, or a handle's (those it gives a value).
  public func fields(_ p: String) throws -> [(String, Value)] {
    switch self[p] {
    case .record(let r): return r.pairs
    case .opaque(let o) where !o.fieldNames.isEmpty: return o.fieldNames.compactMap { n in o.field(n).map { (n, $0) } }
    default: throw fail("'\(p)' must be \(ParamType.fields.phrase), got \(shown(self[p]))")
    }
  }

  public func list(_ p: String) throws -> [Value] {
    if case .list(let l) = self[p] { return l }
    throw fail("'\(p)' must be a list, got \(shown(self[p]))")
  }

  public func tensor(_ p: String) throws -> Tensor {
    if case .tensor(let t) = self[p] { return t }
    throw fail("'\(p)' must be a tensor, got \(shown(self[p]))")
  }

  /// A `.shape`, `.intList` or `.axes` parameter as integers (`none` gives nil).
  public func ints(_ p: String) throws -> [Int]? {
    switch self[p] {
    case .none: return nil
    case .number(let x): if let i = exactInt(x) { return [i] }
    case .list(let l):
      var out: [Int] = []
      for v in l {
        guard case .number(let x) = v, let i = exactInt(x) else { break }
        out.append(i)
      }
      if out.count == l.count { return out }
    default: break
    }
    throw fail("'\(p)' must be a list of integers, got \(shown(self[p]))")
  }

  /// Calls a script function (or builtin) with positional arguments.
  public func call(_ f: Value, _ arguments: [Value], keywords: [(String, Value)] = []) throws -> Value {
    try interpreter.call(f, arguments, keywords: keywords, span: span)
  }

  /// Throws "interrupted" if Ctrl-C was pressed (clearing it). Long-running builtins (samplers,
  /// training loops) call this between steps.
  public func checkInterrupt() throws {
    if Interrupt.consume() { throw interpreter.error("interrupted", span, kind: .interrupted) }
  }

  /// Writes text to the interpreter's output sink.
  public func write(_ text: String) { interpreter.host.write(text) }
}

/// How a value is named in an argument error: numbers and booleans by value, others by type.
func shown(_ v: Value) -> String {
  switch v {
  case .number, .bool, .none: return v.description
  case .string(let s): return s.count <= 20 ? "string \(quote(s))" : "a string"
  case .tensor(let t): return "tensor of shape \(formatShape(t.shape))"
  default: return v.typeName
  }
}

/// Checks and converts one argument against its parameter type; nil when it does not fit.
func conform(_ v: Value, to type: ParamType) -> Value? {
  switch (type, v) {
  case (.any, _): return v
  case (.number, .number): return v
  case (.int, .number(let x)): return exactInt(x) != nil ? v : nil
  case (.positiveInt, .number(let x)): return exactInt(x).map { $0 >= 1 } == true ? v : nil
  case (.nonNegativeInt, .number(let x)): return exactInt(x).map { $0 >= 0 } == true ? v : nil
  case (.bool, .bool), (.string, .string), (.list, .list), (.record, .record), (.tensor, .tensor): return v
  case (.tensor, _): return (try? tensorFrom(v)).map { .tensor($0) }
  case (.fields, .record): return v
  case (.fields, .opaque(let o)): return o.fieldNames.isEmpty ? nil : v
  case (.shape, .number(let x)): return exactInt(x).map { $0 >= 0 } == true ? .list([v]) : nil
  case (.shape, .list(let l)):
    return l.allSatisfy({ if case .number(let x) = $0, let i = exactInt(x), i >= 0 { return true }; return false }) ? v : nil
  case (.axes, .number(let x)): return exactInt(x) != nil ? .list([v]) : nil
  case (.axes, .list(let l)), (.intList, .list(let l)):
    return l.allSatisfy({ if case .number(let x) = $0, exactInt(x) != nil { return true }; return false }) ? v : nil
  case (.function, .function), (.function, .builtin): return v
  case (.handle(let h), .opaque(let o)): return ObjectIdentifier(Swift.type(of: o)) == ObjectIdentifier(h) ? v : nil
  case (.handles(let hs), .opaque(let o)):
    return hs.contains { ObjectIdentifier(Swift.type(of: o)) == ObjectIdentifier($0) } ? v : nil
  case (.optional, .none): return v
  case (.optional(let t), _): return conform(v, to: t)
  default: return nil
  }
}

/// A failure met while iterating a handle, passed as the iterator's value and thrown by the loop.
public final class IterationError: OpaqueValue {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var typeName: String { "error" }
  public var summary: String { message }
}

/// A tensor from a tensor, a number, or a rectangular nested list of numbers.
func tensorFrom(_ v: Value) throws -> Tensor {
  switch v {
  case .tensor(let t): return t
  case .opaque(let o) where o.tensorView != nil: return o.tensorView!
  case .number(let x): return Tensor(scalar: Float(x))
  case .bool(let b): return Tensor(scalar: b ? 1 : 0)
  case .list(let items):
    if items.isEmpty { return try Tensor(shape: [0], scalars: []) }
    if items.allSatisfy({ if case .number = $0 { return true }; return false }) {
      return Tensor(items.map { if case .number(let x) = $0 { return Float(x) }; return 0 })
    }
    let rows = try items.map(tensorFrom)
    guard rows.allSatisfy({ $0.shape == rows[0].shape }) else {
      throw BuiltinError("tensor: the rows of a nested list must all have the same shape")
    }
    return try Tensor.stack(rows.map { $0.detached() })
  default:
    throw BuiltinError("tensor: cannot make a tensor from \(shown(v))")
  }
}

/// "expected 1 to 2 arguments", "expected 1 argument", "expected at least 1 argument".
func arityPhrase(min: Int, max: Int?) -> String {
  func plural(_ n: Int) -> String { n == 1 ? "argument" : "arguments" }
  guard let max else { return "expected at least \(min) \(plural(min))" }
  if min == max { return "expected \(min) \(plural(min))" }
  return "expected \(min) to \(max) arguments"
}

/// Binds positional and keyword arguments to a list of parameter names, uniformly for builtins and
/// script functions. Returns the argument index per parameter (nil when defaulted) and the extra
/// positional arguments for a variadic parameter.
struct Binder {
  var names: [String]
  var required: [Bool]
  var variadic: Int?

  func bind(function: String, positional: Int, keywords: [String]) throws -> (slots: [Int?], rest: Range<Int>) {
    let fixed = names.indices.filter { $0 != variadic }
    let minCount = required.filter { $0 }.count
    let total = positional + keywords.count
    if variadic == nil && total > fixed.count || total < minCount && keywords.isEmpty {
      throw BuiltinError("\(function): \(arityPhrase(min: minCount, max: variadic == nil ? fixed.count : nil)), got \(total)")
    }
    var slots = [Int?](repeating: nil, count: names.count)
    var restRange = 0..<0
    var p = 0
    for i in 0..<positional {
      if p < fixed.count, variadic == nil || fixed[p] < variadic! {
        slots[fixed[p]] = i
        p += 1
      } else if let v = variadic {
        if restRange.isEmpty { restRange = i..<positional }
        _ = v
        break
      } else {
        throw BuiltinError("\(function): \(arityPhrase(min: minCount, max: fixed.count)), got \(total)")
      }
    }
    for (k, label) in keywords.enumerated() {
      guard let j = names.firstIndex(of: label), j != variadic else {
        let candidates = fixed.map { names[$0] }
        let meant = (keywordSynonyms[label] ?? []).filter(candidates.contains)
        let hint = !meant.isEmpty ? " (did you mean \(meant.map { "'\($0)'" }.joined(separator: " or "))?)"
          : suggestion(for: label, among: candidates).map { " (did you mean '\($0)'?)" }
          ?? keywordNotes[label].map { " (\($0))" } ?? ""
        throw BuiltinError("\(function): unknown keyword '\(label)'\(hint)", keyword: label)
      }
      if slots[j] != nil { throw BuiltinError("\(function): argument '\(label)' given twice", keyword: label) }
      slots[j] = positional + k
    }
    for j in names.indices where required[j] && slots[j] == nil {
      throw BuiltinError("\(function): missing argument '\(names[j])'")
    }
    return (slots, restRange)
  }
}

/// Keywords people reach for from other libraries, and what lebm calls them: offered in
/// "unknown keyword" messages when the builtin has them, before suggestions by spelling.
let keywordSynonyms: [String: [String]] = [
  "lr": ["lr_g", "lr_e"], "learning_rate": ["lr_g", "lr_e"], "step_size": ["step"], "stepsize": ["step"],
  "n_steps": ["steps"], "num_steps": ["steps"], "k": ["steps"], "sigma0": ["prior_sigma"], "batch_size": ["batch"],
  "n_epochs": ["epochs"], "num_epochs": ["epochs"], "activation": ["act"], "hidden_sizes": ["hidden"], "latent_dim": ["latent"],
  "nz": ["latent"], "n_chains": ["chains", "n"], "num_samples": ["n"],
  "energy_form": ["form"], "noise_std": ["sigma"], "seed_value": ["seed"], "beta": ["beta1", "beta2"], "betas": ["beta1", "beta2"],
  // PyTorch and NumPy
  "dim": ["axis"], "dims": ["axis"], "axes": ["axis"], "keepdim": ["keepdims"], "requires_grad": ["grad"],
  "size": ["shape"], "num": ["count"], "fill_value": ["value"], "low": ["lo"], "high": ["hi"], "scale": ["std", "sigma"],
]

/// Keywords from other libraries that lebm has no use for, and why: said in "unknown keyword"
/// messages when no keyword of the builtin is meant.
let keywordNotes: [String: String] = [
  "dtype": "lebm tensors are all Float32", "device": "lebm tensors live in main memory; there is no device to choose",
]

/// PyTorch's and NumPy's habit of giving a shape as separate numbers (`randn(5, 2)`,
/// `zeros(3, 4)`): for a builtin whose first parameter is a shape, a number there followed by a
/// second positional number is refused, naming the list it meant. nil when the call is fine.
func scalarShapeMistake(_ b: Builtin, _ positional: [Value]) -> String? {
  guard let first = b.params.first, case .shape = first.type, positional.count >= 2,
    case .number = positional[0], case .number = positional[1]
  else { return nil }
  let numbers = positional.prefix { if case .number = $0 { return true }; return false }
  let shape = "[" + numbers.map(\.description).joined(separator: ", ") + "]"
  var message = "\(b.name): shape is a list: \(b.name)(\(shape))"
  if b.params.count > 1, case .number = b.params[1].type {
    let second = b.params[1].name
    message += "; after a one-number shape, give \(second) by keyword: \(b.name)(\(positional[0]), \(second): \(positional[1]))"
  }
  return message
}

// Core builtins: printing, inspection, lists and records, time, assertions, help.
import Engine
import Glibc
import Support

extension BuiltinGroup {
  /// print, len, range, str, type, keys, values, append, map, filter, time, timing, assert, error, help…
  public static var core: BuiltinGroup {
    BuiltinGroup(name: "core", summary: "printing, inspection, lists and records, time, errors, help",
                 builtins: CoreBuiltins.values + CoreBuiltins.records + CoreBuiltins.lists + CoreBuiltins.numbers
                   + CoreBuiltins.clock + CoreBuiltins.control)
  }
}

/// The rows of the `core` group (Lua's `luaL_Reg` tables), then the code behind them.
private enum CoreBuiltins {
  /// Printing, sizes, and conversions between values, text and numbers.
  static var values: [Builtin] {
    [
      Builtin("print", params: [.variadic("values"), Param("sep", .string, default: .string(" ")), Param("end", .string, default: .string("\n")),
                                Param("limit", .optional(.nonNegativeInt), default: .number(100))],
              doc: "Writes the values, separated by `sep` and followed by `end`, to the output.\nStrings print without quotes; tensors print as a summary; lists show their first `limit` items (none: all).",
              impl: print),
      Builtin("len", params: [Param("x")],
              doc: "The number of items of a list, characters of a string, fields of a record, or rows (first axis) of a tensor.",
              impl: len),
      Builtin("range", params: [Param("start", .int), Param("end", .optional(.int), default: .none), Param("step", .int, default: .number(1))],
              doc: "The list start, start+step, … up to but not including end; range(n) is 0, 1, …, n−1.\nFor loops, `a..b` (inclusive) and `a..<b` (exclusive) avoid building the list.",
              impl: range),
      Builtin("str", params: [Param("x")], doc: "The text form of a value, as `print` shows it.", impl: str),
      Builtin("repr", params: [Param("x")], doc: "The echo form of a value (strings quoted), as the REPL shows it.", impl: repr),
      Builtin("number", params: [Param("x")], doc: "A number from a string (\"2.5\"), a bool (1 or 0), a number, or a one-element tensor.",
              impl: number),
      Builtin("type", params: [Param("x")],
              doc: "The type of a value as a string: number, string, bool, none, list, record, tensor, function, or a handle's type.",
              impl: typeName),
    ]
  }

  /// Records: field names, values, membership.
  static var records: [Builtin] {
    [
      Builtin("keys", params: [Param("r", .fields)], doc: "The field names of a record, in order; of a model, its history or another value with fields, the names r.name reads.", impl: keys),
      Builtin("values", params: [Param("r", .fields)], doc: "The field values of a record (or of a model, a history, …), in the order of keys(r).", impl: fieldValues),
      Builtin("has", params: [Param("r", .fields), Param("key", .string)], doc: "Whether the record (or model, history, …) has the field `key`.", impl: has),
    ]
  }

  /// Lists: appending, mapping, filtering, sorting.
  static var lists: [Builtin] {
    [
      Builtin("append", params: [Param("list", .list), Param("item")],
              doc: "A new list: `list` with `item` added at the end (lists are values; write xs = append(xs, v)).", impl: append),
      Builtin("map", params: [Param("list", .list), Param("f", .function)], doc: "The list [f(x) for each x in list].", impl: map),
      Builtin("filter", params: [Param("list", .list), Param("f", .function)], doc: "The items x of the list for which f(x) is true.",
              impl: filter),
      Builtin("sorted", params: [Param("list", .list)], doc: "The list sorted ascending (all numbers or all strings).", impl: sorted),
    ]
  }

  /// Rounding numbers.
  static var numbers: [Builtin] {
    [
      Builtin("floor", params: [Param("x", .number)], doc: "⌊x⌋, the largest integer ≤ x.", impl: floor),
      Builtin("round", params: [Param("x", .number), Param("digits", .int, default: .number(0))],
              doc: "x rounded to `digits` decimals (half away from zero).", impl: round),
    ]
  }

  /// The clock and timing a call.
  static var clock: [Builtin] {
    [
      Builtin("time", params: [], doc: "Seconds since an arbitrary start (a monotonic clock); subtract two readings to time code.", impl: time),
      Builtin("timing", params: [Param("f", .function)],
              doc: "Calls f() and returns {value: its result, seconds: the wall time it took}.", impl: timing),
    ]
  }

  /// Stopping with an error, and help.
  static var control: [Builtin] {
    [
      Builtin("assert", params: [Param("cond"), Param("message", .string, default: .string("assertion failed"))],
              doc: "Stops with an error carrying `message` unless `cond` is true.", impl: assert),
      Builtin("error", params: [Param("message", .string)], doc: "Stops the script with an error carrying `message`.", impl: error),
      Builtin("help", params: [Param("name", .any, default: .none)],
              doc: "help(name) shows a builtin's signature, defaults and doc (name as a string or the builtin itself),\na group by topic (help(\"plot\"), \"data\", \"model\", \"tensor\", \"core\") or a variable's type, value\nand the builtins that take it; help() lists every builtin by group.",
              impl: help),
    ]
  }

  // MARK: - Values

  static func print(_ a: Args) throws -> Value {
    let sep = try a.string("sep"), end = try a.string("end")
    let limit = a.isNone("limit") ? nil : try a.int("limit")
    a.write(a.rest.map { $0.format(quoted: false, depth: 0, limit: limit) }.joined(separator: sep) + end)
    return .none
  }

  static func len(_ a: Args) throws -> Value {
    switch a["x"] {
    case .list(let l): return .number(Double(l.count))
    case .string(let s): return .number(Double(s.count))
    case .record(let r): return .number(Double(r.count))
    case .tensor(let t):
      guard t.rank >= 1 else { throw a.fail("a rank-0 tensor has no length") }
      return .number(Double(t.shape[0]))
    case let v: throw a.fail("'x' must be a list, string, record or tensor, got \(shown(v))")
    }
  }

  static func range(_ a: Args) throws -> Value {
    var lo = try a.int("start"), hi = 0
    if a.isNone("end") { hi = lo; lo = 0 } else { hi = try a.int("end") }
    let step = try a.int("step")
    guard step != 0 else { throw a.fail("'step' must not be 0") }
    let n = step > 0 ? max(0, (hi - lo + step - 1) / step) : max(0, (lo - hi - step - 1) / -step)
    guard n <= a.interpreter.options.maxListLength else { throw a.fail("\(n) numbers is too many for a list") }
    return .list(stride(from: lo, to: hi, by: step).map { .number(Double($0)) })
  }

  static func str(_ a: Args) throws -> Value { .string(a["x"].displayString) }

  static func repr(_ a: Args) throws -> Value { .string(a["x"].description) }

  static func number(_ a: Args) throws -> Value {
    switch a["x"] {
    case .number: return a["x"]
    case .bool(let b): return .number(b ? 1 : 0)
    case .string(let s):
      guard let x = Double(s.trimmingCharacters(in: " ")) else { throw a.fail("cannot read a number from \(quote(s))") }
      return .number(x)
    case .tensor(let t): return .number(Double(try t.item()))
    case let v: throw a.fail("cannot make a number from \(shown(v))")
    }
  }

  static func typeName(_ a: Args) throws -> Value { .string(a["x"].typeName) }

  // MARK: - Records

  static func keys(_ a: Args) throws -> Value {
    if case .record(let r) = a["r"] { return .list(r.keys.map { .string($0) }) }
    return .list(try a.fields("r").map { .string($0.0) })
  }

  static func fieldValues(_ a: Args) throws -> Value {
    .list(try a.fields("r").map(\.1))
  }

  static func has(_ a: Args) throws -> Value {
    let key = try a.string("key")
    switch a["r"] {
    case .record(let r): return .bool(r[key] != nil)
    case .opaque(let o): return .bool(o.field(key) != nil)
    default: return .bool(false)
    }
  }

  // MARK: - Lists

  static func append(_ a: Args) throws -> Value {
    let l = try a.list("list")
    guard l.count < a.interpreter.options.maxListLength else { throw a.fail("list too long") }
    try a.interpreter.checkNesting(a["item"], inside: 1)
    return .list(l + [a["item"]])
  }

  static func map(_ a: Args) throws -> Value {
    let l = Value.list(try a.list("list").map { try a.call(a["f"], [$0]) })
    try a.interpreter.checkNesting(l)
    return l
  }

  static func filter(_ a: Args) throws -> Value {
    .list(try a.list("list").filter { try a.call(a["f"], [$0]).truthy() })
  }

  static func sorted(_ a: Args) throws -> Value {
    let l = try a.list("list")
    if l.allSatisfy({ if case .number = $0 { return true }; return false }) {
      return .list(l.sorted { if case .number(let x) = $0, case .number(let y) = $1 { return x < y }; return false })
    }
    if l.allSatisfy({ if case .string = $0 { return true }; return false }) {
      return .list(l.sorted { if case .string(let x) = $0, case .string(let y) = $1 { return x < y }; return false })
    }
    throw a.fail("can sort a list of numbers or of strings only")
  }

  // MARK: - Numbers

  static func floor(_ a: Args) throws -> Value { .number(try a.number("x").rounded(.down)) }

  static func round(_ a: Args) throws -> Value {
    let d = try a.int("digits")
    guard (-15...15).contains(d) else { throw a.fail("'digits' must be between -15 and 15, got \(d)") }
    let m = Glibc.pow(10.0, Double(d))
    return .number((try a.number("x") * m).rounded() / m)
  }

  // MARK: - Clock

  static func time(_ a: Args) throws -> Value { .number(monotonicSeconds()) }

  static func timing(_ a: Args) throws -> Value {
    let t0 = monotonicSeconds()
    let v = try a.call(a["f"], [])
    try a.interpreter.checkNesting(v, inside: 1)
    return .record(Record([("value", v), ("seconds", .number(monotonicSeconds() - t0))]))
  }

  // MARK: - Control

  static func assert(_ a: Args) throws -> Value {
    if try a["cond"].truthy() { return .none }
    throw BuiltinError(try a.string("message"))
  }

  static func error(_ a: Args) throws -> Value {
    throw BuiltinError(try a.string("message"))
  }

  static func help(_ a: Args) throws -> Value {
    let interp = a.interpreter
    switch a["name"] {
    case .none: a.write(interp.registry.index(width: interp.host.textWidth))
    case .string(let n):
      guard let text = interp.help(for: n) else {
        let hint = suggestion(for: n, among: interp.registry.names + interp.registry.groups.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
        throw a.fail("no builtin, function, variable or topic named '\(n)'\(hint); help() lists them all")
      }
      a.write(text)
    case .builtin(let b): a.write(b.helpText(width: interp.host.textWidth))
    case .function(let f): a.write(f.helpText)
    case let v: a.write(interp.valueHelp("value", v))
    }
    return .none
  }
}

extension String {
  func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set || s.first == "\t" { s.removeFirst() }
    while s.last == set || s.last == "\t" || s.last == "\n" { s.removeLast() }
    return String(s)
  }
}

// Interpreter: walks the AST. Errors are values: `run` returns `.failure(ScriptError)` with a span
// and the call stack, never traps, and never writes to stdout except through `output`.
import Engine
import Glibc
import Support

/// A variable scope: one per function call, plus the global one. Blocks do not make scopes.
///
/// A function stored in the scope it closes over would form a reference cycle (scope → function →
/// scope) and leak the scope's variables, tensors included, on every call. So such a function is
/// stored holding its scope weakly, and made strong again whenever it is read out.
final class Scope {
  private var vars: [String: Value] = [:]
  let parent: Scope?
  init(parent: Scope?) { self.parent = parent }

  subscript(name: String) -> Value? {
    get {
      guard let v = vars[name] else { return nil }
      if case .function(let c) = v, c.isWeak { return .function(c.strengthened()) }
      return v
    }
    set {
      if case .function(let c)? = newValue, !c.isWeak, c.scope === self {
        vars[name] = .function(c.weakened())
      } else {
        vars[name] = newValue
      }
    }
  }

  var names: [String] { Array(vars.keys) }

  func lookup(_ name: String) -> Value? {
    var s: Scope? = self
    while let c = s {
      if let v = c[name] { return v }
      s = c.parent
    }
    return nil
  }

  /// The scope an assignment to `name` writes: this one if it has `name`, else the nearest
  /// enclosing function scope that has it (never the global scope from inside a function),
  /// else this one.
  func owner(of name: String) -> Scope {
    if vars[name] != nil || parent == nil { return self }
    var s = parent
    while let c = s, c.parent != nil {
      if c[name] != nil { return c }
      s = c.parent
    }
    return self
  }
}

/// Control flow out of a statement list.
enum Flow {
  case normal(Value)
  case breakLoop
  case continueLoop
  case returned(Value)
}

/// A `break`/`continue`/`return` escaping from an `if` used inside a larger expression.
struct FlowEscape: Error { var flow: Flow }

/// The tree-walking interpreter. One instance is one session: globals persist across `run` calls.
public final class Interpreter {
  /// Limits that keep any input from hanging or crashing the host.
  public struct Options: Sendable {
    /// Calls deeper than this stop with "stack overflow: recursion deeper than N calls".
    public var maxCallDepth = 400
    /// Statements, loop iterations and calls allowed per `run` (nil: unlimited).
    public var maxSteps: Int? = nil
    /// The largest list a range may build (`xs = 1..n`); `for` over a range builds none.
    public var maxListLength = 10_000_000
    /// The longest string `+` may build (in characters).
    public var maxStringLength = 1 << 26
    /// How deeply lists and records may nest (`[[1]]` is 2); building a deeper one is an error, so
    /// every value can be compared, printed and freed without running out of native stack.
    public var maxNestingDepth = 1000
    public init() {}
  }

  /// The result of running a piece of source (clox's `InterpretResult`, IPython's `ExecutionResult`).
  public enum Outcome {
    /// The value of the last expression statement (`none` if the last statement was not one).
    case value(Value)
    case failure(ScriptError)

    /// The value, or nil on failure.
    public var value: Value? { if case .value(let v) = self { return v }; return nil }
    /// The error, or nil on success.
    public var error: ScriptError? { if case .failure(let e) = self { return e }; return nil }
  }

  public var options: Options
  /// Where output, figures and questions about the surroundings go (Host.swift).
  public let host: Host
  /// The builtins this interpreter knows; `registry.register(group)` adds more.
  public let registry: BuiltinRegistry

  var globals = Scope(parent: nil)
  /// The scope statements run in: the globals, or the current call's.
  var scope: Scope
  private var frames: [(name: String, file: String, span: SourceSpan)] = []
  private var steps = 0
  /// The lowest stack address calls may reach before they stop with "stack overflow" (the
  /// worker thread's stack minus a safety margin); 0 when unknown.
  private var stackLimit: UInt = 0
  private var currentFile = "<input>"
  private var sources: [String: String] = [:]
  private var imported: Set<String> = []
  private var importing: [String] = []

  public init(options: Options = Options(), registry: BuiltinRegistry, host: Host) {
    // Reads LEBM_MAX_ELEMENTS now (once per process), so an unusable value is reported when a
    // script starts, not at its first tensor.
    _ = MemoryLimit.maxElements
    self.options = options
    self.registry = registry
    self.host = host
    self.scope = globals
  }

  /// An interpreter whose output goes to `output`, on a ``BasicHost``.
  public convenience init(
    options: Options = Options(), registry: BuiltinRegistry,
    output: @escaping (String) -> Void = { Swift.print($0, terminator: "") }
  ) {
    self.init(options: options, registry: registry, host: BasicHost(output: output))
  }

  // MARK: - Public API

  /// Parses and runs `source` (a file, a cell, a REPL line). `file` names it in errors and is the
  /// base for relative imports. Runs on a thread with a big stack; clears any stale interrupt first.
  public func run(_ source: String, file: String = "<input>") -> Outcome {
    let flag = interruptFlag, source = unixNewlines(source)
    return BigStack.run { Interrupt.interruptible(flag) { self.runHere(source, file: file) } }
  }

  /// The script's random stream: `seed(n)` resets it; `randn`, samplers, initialisers and
  /// shuffles draw from it. Each interpreter has its own, so concurrent scripts do not disturb
  /// each other's sequences.
  public var rng = RandomGenerator(seed: 0)

  /// Arguments the script was started with (`lebm run FILE args…`), as the global `args`.
  public var arguments: [String] = [] {
    didSet { globals["args"] = .list(arguments.map { .string($0) }) }
  }

  /// The flag that stops this interpreter's work (loops, samplers, training) between steps:
  /// ``Interrupt/shared`` (Ctrl-C) unless another is set.
  public var interruptFlag: InterruptFlag = Interrupt.shared

  /// Whether `source` is complete, needs more lines, or is invalid. See ``Parser/check(_:)``.
  public static func check(_ source: String) -> Completeness { Parser.check(source) }

  /// Names starting with `prefix`: variables, builtins and keywords; after a dot (`m.si`), the
  /// fields of the record or handle before it (`m.sigma`).
  public func completions(prefix: String) -> [String] {
    if let dot = prefix.lastIndex(of: ".") {
      let base = String(prefix[..<dot]), rest = String(prefix[prefix.index(after: dot)...])
      guard let v = resolvePath(base) else { return [] }
      let fields: [String]
      switch v {
      case .record(let r): fields = r.keys
      case .opaque(let o): fields = o.fieldNames
      case .tensor: fields = ["shape"]
      default: fields = []
      }
      return fields.filter { $0.hasPrefix(rest) }.sorted().map { base + "." + $0 }
    }
    let names = Set(globals.names).union(registry.names).union(TokenKind.keywordNames).union(Interpreter.constantNames)
    return names.filter { $0.hasPrefix(prefix) }.sorted()
  }

  /// The keyword names a builtin or script function accepts (for completing `f(x, n` → `n:`).
  public func keywordNames(of name: String) -> [String] {
    switch globals[name] ?? registry[name].map(Value.builtin) {
    case .builtin(let b): return b.keywordNames
    case .function(let f): return f.decl.params.map(\.name)
    default: return []
    }
  }

  /// The global variables, sorted by name (for a REPL's `:vars`).
  public var variables: [(name: String, value: Value)] {
    globals.names.sorted().compactMap { n in globals[n].map { (n, $0) } }
  }

  /// Reads a global variable.
  public subscript(variable name: String) -> Value? {
    get { globals[name] }
    set { globals[name] = newValue }
  }

  /// Forgets every global variable and import (a REPL's `:reset`).
  public func reset() {
    globals = Scope(parent: nil)
    scope = globals
    imported = []
  }

  /// Calls a function value from Swift (a builtin calling back into the script).
  public func call(_ f: Value, _ arguments: [Value], keywords: [(String, Value)] = [], span: SourceSpan = .unknown) throws -> Value {
    try callValue(f, arguments, keywords, span: span)
  }

  // MARK: - Running

  private func runHere(_ source: String, file: String) -> Outcome {
    // A builtin may call `run` again (loading a file); the outer run's state comes back after.
    let saved = (frames, steps, currentFile, scope, importing, stackLimit)
    defer { (frames, steps, currentFile, scope, importing, stackLimit) = saved }
    var marker: UInt8 = 0
    let base = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    let usable = UInt(BigStack.stackSize - BigStack.stackMargin)
    stackLimit = BigStack.isWorkerThread && base > usable ? base - usable : 0
    steps = 0
    frames = []
    currentFile = file
    scope = globals
    importing = [normalizePath(file)]
    sources[file] = source
    let stmts: [Stmt]
    switch Parser.parse(source, file: file) {
    case .success(let s): stmts = s
    case .failure(let e): return .failure(e)
    }
    do {
      switch try execBlock(stmts) {
      case .normal(let v): return .value(v)
      default: return .value(.none)
      }
    } catch let e as ScriptError {
      return .failure(e)
    } catch {
      return .failure(ScriptError(.runtime, "\(error)", file: file))
    }
  }

  /// An error at `span` in the current file, with the current call stack.
  func error(_ message: String, _ span: SourceSpan, kind: ScriptError.Kind = .runtime) -> ScriptError {
    ScriptError(
      kind, message, file: currentFile, span: span,
      lineText: sources[currentFile].flatMap { ScriptError.line(span.line, of: $0) },
      stack: frames.reversed().map { StackFrame(function: $0.name, file: $0.file, span: $0.span) })
  }

  /// Runs `body`, turning any non-script error into a ScriptError at `span`.
  @inline(__always)
  func at<T>(_ span: SourceSpan, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let e as ScriptError {
      throw e
    } catch let e as FlowEscape {
      throw e
    } catch let e as BuiltinError {
      throw error(e.message, span)
    } catch let e as TensorError {
      throw error(e.description, span)
    } catch is Interrupted {
      throw error("interrupted", span, kind: .interrupted)
    } catch let e as InterruptedWork {
      throw error(e.message, span, kind: .interrupted)
    } catch {
      throw self.error("\(error)", span)
    }
  }

  /// Stops with "stack overflow" when the native stack is nearly used up (deep recursion through
  /// deeply nested expressions), before it can crash the process.
  @inline(__always)
  private func checkStack(_ span: SourceSpan) throws {
    var marker: UInt8 = 0
    let sp = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    if sp < stackLimit {
      throw error("stack overflow: recursion deeper than \(frames.count) calls (out of stack space)", span)
    }
  }

  /// Counts a step; stops on the step budget or an interrupt.
  @inline(__always)
  func tick(_ span: SourceSpan) throws {
    steps &+= 1
    if let m = options.maxSteps, steps > m {
      throw error("step budget exhausted (more than \(m) steps)", span)
    }
    if Interrupt.consume() { throw error("interrupted", span, kind: .interrupted) }
  }

  // MARK: - Statements

  func execBlock(_ stmts: [Stmt]) throws -> Flow {
    var last: Value = .none
    for s in stmts {
      try tick(s.span)
      switch s {
      case .expression(let e):
        if case let .ifExpr(branches, elseBody, _) = e {
          let f = try execIf(branches, elseBody)
          guard case .normal(let v) = f else { return f }
          last = v
        } else {
          last = try eval(e)
        }
        continue
      case let .assign(target, op, valueExpr, span):
        if try growInPlace(target, op, valueExpr, span) { break }
        var v = try eval(valueExpr)
        if let bop = op.binary {
          let old = try eval(target)
          v = try at(span) { try binary(bop, old, v) }
        }
        try assign(target, v, span)
      case .function(let d):
        scope[d.name ?? "<fn>"] = .function(Closure(decl: d, scope: scope))
      case let .forIn(name, seq, body, span):
        let f = try execFor(name, seq, body, span)
        if case .returned = f { return f }
      case let .whileLoop(cond, body, span):
        loop: while try at(cond.span, { try eval(cond).truthy() }) {
          try tick(span)
          switch try execLoopBody(body) {
          case .breakLoop: break loop
          case .returned(let v): return .returned(v)
          default: break
          }
        }
      case .breakLoop: return .breakLoop
      case .continueLoop: return .continueLoop
      case let .returnValue(e, _): return .returned(try e.map(eval) ?? .none)
      case let .importFile(path, span): try importFile(path, span)
      }
      last = .none
    }
    return .normal(last)
  }


  private func execLoopBody(_ body: [Stmt]) throws -> Flow {
    do {
      return try execBlock(body)
    } catch let e as FlowEscape {
      return e.flow
    }
  }

  private func execIf(_ branches: [(Expr, [Stmt])], _ elseBody: [Stmt]?) throws -> Flow {
    for (cond, body) in branches where try at(cond.span, { try eval(cond).truthy() }) {
      return try execBlock(body)
    }
    if let elseBody { return try execBlock(elseBody) }
    return .normal(.none)
  }

  private func execFor(_ name: String, _ seq: Expr, _ body: [Stmt], _ span: SourceSpan) throws -> Flow {
    func step(_ v: Value) throws -> Flow? {
      try tick(span)
      scope[name] = v
      switch try execLoopBody(body) {
      case .breakLoop: return .normal(.none)
      case .returned(let r): return .returned(r)
      default: return nil
      }
    }
    if case let .range(lo, hi, inclusive, rspan) = seq {
      let (a, b) = try rangeBounds(lo, hi, rspan)
      var x = a
      while inclusive ? x <= b : x < b {
        if let f = try step(.number(x)) { return f }
        x += 1
      }
      return .normal(.none)
    }
    let v = try eval(seq)
    switch v {
    case .list(let items):
      for item in items { if let f = try step(item) { return f } }
    case .string(let s):
      for c in s { if let f = try step(.string(String(c))) { return f } }
    case .record(let r):
      for k in r.keys { if let f = try step(.string(k)) { return f } }
    case .tensor(let t):
      guard t.rank >= 1 else { throw error("cannot iterate over a rank-0 tensor", seq.span) }
      for i in 0..<t.shape[0] {
        let row = try at(seq.span) { try tensorIndex(t, [.index(.number(Double(i)))]) }
        if let f = try step(.tensor(row)) { return f }
      }
    case .opaque(let o) where o.makeIterator() != nil:
      let it = o.makeIterator()!
      while let item = try at(seq.span, { try nextItem(it) }) { if let f = try step(item) { return f } }
    default:
      let hint = v.typeName == "number" ? " (did you mean 1..n?)" : ""
      throw error("cannot iterate over \(v.typeWithArticle)\(hint)", seq.span)
    }
    return .normal(.none)
  }

  /// The next value of a handle's iterator; iterators report their own errors as error values.
  private func nextItem(_ it: AnyIterator<Value>) throws -> Value? {
    let v = it.next()
    if case .opaque(let o)? = v, let e = o as? IterationError { throw BuiltinError(e.message) }
    return v
  }

  private func rangeBounds(_ lo: Expr, _ hi: Expr, _ span: SourceSpan) throws -> (Double, Double) {
    guard case .number(let a) = try eval(lo), case .number(let b) = try eval(hi), a.isFinite, b.isFinite else {
      throw error("range bounds must be finite numbers", span)
    }
    return (a, b)
  }

  // MARK: - Assignment

  func assign(_ target: Expr, _ value: Value, _ span: SourceSpan) throws {
    switch target {
    case .variable(let name, _):
      scope.owner(of: name)[name] = value
    case let .index(base, items, ispan):
      let keys = try items.map(evalIndexItem)
      if case .variable(let name, let vspan) = base {
        // Take the value out of its scope so the update is in place (no copy).
        let owner = scope.lookupOwner(name)
        guard let owner, var cur = owner[name] else { throw undefined(name, vspan) }
        owner[name] = Value.none
        defer { owner[name] = cur }
        try at(ispan) { try setIndex(&cur, keys, value) }
      } else {
        var cur = try eval(base)
        try at(ispan) { try setIndex(&cur, keys, value) }
        try assign(base, cur, span)
      }
    case let .field(base, name, fspan):
      var cur = try eval(base)
      guard case .record(var r) = cur else {
        throw error("cannot set field '\(name)' on \(cur.typeWithArticle)", fspan)
      }
      cur = .none
      try at(fspan) { try checkNesting(value, inside: 1) }
      r[name] = value
      try assign(base, .record(r), span)
    default:
      throw error("cannot assign to this expression", span)
    }
  }

  private func setIndex(_ cur: inout Value, _ keys: [IndexKey], _ value: Value) throws {
    if case .tensor(let t) = cur {
      cur = .tensor(try tensorAssign(t, keys, value))
      return
    }
    guard keys.count == 1, case .index(let k) = keys[0] else {
      throw BuiltinError("only a single index can be assigned to (not a slice)")
    }
    if cur.isContainer { try checkNesting(value, inside: 1) }
    switch cur {
    case .list(var l):
      let i = try listIndex(k, count: l.count)
      cur = .none
      l[i] = value
      cur = .list(l)
    case .record(var r):
      guard case .string(let key) = k else { throw BuiltinError("record keys are strings, got \(shown(k))") }
      cur = .none
      r[key] = value
      cur = .record(r)
    default:
      throw BuiltinError("cannot assign by index into \(cur.typeWithArticle)")
    }
  }

  // MARK: - Expressions

  func eval(_ e: Expr) throws -> Value {
    switch e {
    case .number(let x, _): return .number(x)
    case .bool(let b, _): return .bool(b)
    case .none: return .none
    case let .string(parts, span): return .string(try interpolate(parts, span))
    case let .variable(name, span):
      if let v = scope.lookup(name) { return v }
      if let b = registry[name] { return .builtin(b) }
      if let c = Interpreter.constant(name) { return c }
      throw undefined(name, span)
    case .list(let items, let span):
      let list = Value.list(try items.map(eval))
      try at(span) { try checkNesting(list) }
      return list
    case .record(let fields, let span):
      var r = Record()
      for (k, x) in fields { r[k] = try eval(x) }
      try at(span) { try checkNesting(.record(r)) }
      return .record(r)
    case let .unary(op, x, span): return try unary(op, try eval(x), span)
    case let .binary(op, l, r, span):
      let a = try eval(l), b = try eval(r)
      return try at(span) { try binary(op, a, b) }
    case let .logical(isAnd, l, r, span):
      let a = try eval(l)
      let t = try at(span) { try a.truthy() }
      if isAnd ? !t : t { return a }
      return try eval(r)
    case let .range(lo, hi, inclusive, span): return try rangeList(lo, hi, inclusive, span)
    case let .call(calleeExpr, argExprs, span): return try call(calleeExpr, argExprs, span)
    case let .index(base, items, span):
      let v = try eval(base)
      let keys = try items.map(evalIndexItem)
      return try at(span) { try index(v, keys) }
    case let .field(base, name, span):
      return try fieldValue(try eval(base), name, base, span, called: nil)
    case .function(let d):
      return .function(Closure(decl: d, scope: scope))
    case let .ifExpr(branches, elseBody, _):
      let f = try execIf(branches, elseBody)
      guard case .normal(let v) = f else { throw FlowEscape(flow: f) }
      return v
    }
  }

  /// The text of an interpolated string: `"{x:.3f} …"`.
  /// The text of an interpolated string; its length is checked against `maxStringLength` as it is
  /// built, so `"{s}{s}"` in a loop stops with an error instead of allocating without end.
  private func interpolate(_ parts: [InterpolatedPart], _ span: SourceSpan) throws -> String {
    var s = ""
    func append(_ piece: String) throws {
      guard s.utf8.count + piece.utf8.count <= options.maxStringLength else {
        throw error("string too long (more than \(options.maxStringLength) characters)", span)
      }
      s += piece
    }
    for p in parts {
      switch p {
      case .text(let t): try append(t)
      case let .expr(x, format):
        let v = try eval(x)
        try append(format == nil ? v.displayString : try at(x.span) { try FormatSpec.format(v, format!) })
      }
    }
    return s
  }

  /// `-v` and `not v`.
  private func unary(_ op: String, _ v: Value, _ span: SourceSpan) throws -> Value {
    try at(span) {
      if op == "not" { return .bool(!(try v.truthy())) }
      switch v {
      case .number(let n): return .number(-n)
      case .tensor(let t): return .tensor(-t)
      default: throw BuiltinError("cannot negate \(v.typeWithArticle)")
      }
    }
  }

  /// `a..b` (both ends) or `a..<b` (without `b`) as a list of numbers.
  private func rangeList(_ lo: Expr, _ hi: Expr, _ inclusive: Bool, _ span: SourceSpan) throws -> Value {
    let (a, b) = try rangeBounds(lo, hi, span)
    let n = max(0, inclusive ? (b - a).rounded(.down) + 1 : (b - a).rounded(.up))
    guard n <= Double(options.maxListLength) else {
      throw error("range of \(formatNumber(n)) numbers is too long for a list (iterate it with for … in instead)", span)
    }
    return .list((0..<Int(n)).map { .number(a + Double($0)) })
  }

  /// `f(a, b, k: v)`: the callee and the arguments, evaluated left to right, then the call.
  private func call(_ calleeExpr: Expr, _ argExprs: [Argument], _ span: SourceSpan) throws -> Value {
    let callee: Value
    if case let .field(base, name, fspan) = calleeExpr {
      // `x.sum()`: the base once, and a method hint that can mention the call's arguments.
      callee = try fieldValue(try eval(base), name, base, fspan, called: argExprs)
    } else {
      callee = try eval(calleeExpr)
    }
    var positional: [Value] = []
    var keywords: [(String, Value)] = []
    for a in argExprs {
      let v = try eval(a.value)
      if let l = a.label { keywords.append((l, v)) } else { positional.append(v) }
    }
    return try callValue(callee, positional, keywords, span: span, written: argExprs)
  }

  /// Binds a call's arguments; an error about a keyword points at the keyword as `written` (the
  /// call's arguments in the source, when the call was written there).
  private func bind(
    _ binder: Binder, _ function: String, positional: Int, keywords: [String], span: SourceSpan, written: [Argument]
  ) throws -> ([Int?], Range<Int>) {
    do {
      return try binder.bind(function: function, positional: positional, keywords: keywords)
    } catch let e as BuiltinError {
      throw error(e.message, e.keyword.flatMap { k in written.first { $0.label == k }?.labelSpan } ?? span)
    }
  }

  /// `v.name` (`base` is `v` as written); a missing field that a builtin is called gets
  /// ``methodMistake(_:_:_:called:)``'s message instead of "has no field".
  private func fieldValue(_ v: Value, _ name: String, _ base: Expr, _ span: SourceSpan, called: [Argument]?) throws -> Value {
    do {
      return try field(v, name)
    } catch {
      if let message = methodMistake(v, name, base, called: called) { throw self.error(message, span) }
      return try at(span) { throw error }
    }
  }

  /// `x.sum()` or `xs.append(v)`, where the value has no such field but a builtin is called
  /// that (methods are PyTorch's and Python's habit; lebm has functions): how to write it,
  /// "tensors have no methods: write sum(x)". `called` holds the call's arguments when the field
  /// is called. nil for other names, and for records (whose fields may be functions).
  func methodMistake(_ v: Value, _ name: String, _ base: Expr, called: [Argument]?) -> String? {
    guard registry[name] != nil else { return nil }
    let kind: String
    switch v {
    case .tensor: kind = "tensors"
    case .list: kind = "lists"
    case .string: kind = "strings"
    case .number: kind = "numbers"
    case .opaque(let o): kind = "\(o.typeName) values"
    default: return nil
    }
    let shownBase = ExprPrinter.print(base)
    let subject = shownBase == "…" ? "x" : shownBase
    let more = (called?.isEmpty ?? true) ? "" : ", …"
    return "\(kind) have no methods: write \(name)(\(subject)\(more))"
  }

  /// The language's constants, read where no variable or builtin has the name (a variable
  /// called `pi` hides it, as it would hide a builtin).
  static func constant(_ name: String) -> Value? {
    switch name {
    case "pi": return .number(Double.pi)
    default: return nil
    }
  }

  /// The names of ``constant(_:)``, for completion, help and suggestions.
  static let constantNames = ["pi"]

  func undefined(_ name: String, _ span: SourceSpan) -> ScriptError {
    var candidates = registry.names + globals.names + Interpreter.constantNames
    var s: Scope? = scope
    while let c = s { candidates += c.names; s = c.parent }
    let hint = suggestion(for: name, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    return error("undefined variable '\(name)'\(hint)", span)
  }

  // MARK: - Calls

  /// Calls `callee`; `written` are the call's arguments as written in the source (none for a call
  /// made from Swift), so a binding error can point at a keyword.
  func callValue(
    _ callee: Value, _ positional: [Value], _ keywords: [(String, Value)], span: SourceSpan, written: [Argument] = []
  ) throws -> Value {
    try tick(span)
    switch callee {
    case .builtin(let b): return try at(span) { try callBuiltin(b, positional, keywords, span: span, written: written) }
    case .function(let f): return try callFunction(f, positional, keywords, span: span, written: written)
    case .opaque(let o):
      if let v = try at(span, { try o.call(positional, keywords: keywords) }) { return v }
      throw error("cannot call \(callee.typeWithArticle)", span)
    default:
      throw error("cannot call \(callee.typeWithArticle)", span)
    }
  }

  /// A builtin's arguments bound to its parameters and checked against their types, then its body.
  private func callBuiltin(
    _ b: Builtin, _ positional: [Value], _ keywords: [(String, Value)], span: SourceSpan, written: [Argument]
  ) throws -> Value {
    let binder = Binder(
      names: b.params.map(\.name), required: b.params.map(\.isRequired), variadic: b.params.firstIndex { $0.variadic })
    if let mistake = scalarShapeMistake(b, positional) { throw BuiltinError(mistake) }
    let all = positional + keywords.map(\.1)
    let (slots, rest) = try bind(binder, b.name, positional: positional.count, keywords: keywords.map(\.0), span: span, written: written)
    var values: [Value] = []
    for (j, p) in b.params.enumerated() {
      let raw = slots[j].map { all[$0] } ?? p.defaultValue ?? .none
      if p.variadic || slots[j] == nil { values.append(raw); continue }
      guard let v = conform(raw, to: p.type) else {
        throw BuiltinError("\(b.name): '\(p.name)' must be \(p.type.phrase), got \(shown(raw))\(p.type.hint(for: raw))")
      }
      values.append(v)
    }
    var restValues = Array(all[rest])
    if let vi = b.params.firstIndex(where: { $0.variadic }) {
      let p = b.params[vi]
      restValues = try restValues.map { v in
        guard let c = conform(v, to: p.type) else {
          throw BuiltinError("\(b.name): '\(p.name)' must be \(p.type.phrase), got \(shown(v))")
        }
        return c
      }
      values[vi] = .list(restValues)
    }
    let args = Args(name: b.name, params: b.params, values: values, rest: restValues, interpreter: self, span: span)
    return try b.impl(args)
  }

  /// A script function's call: a new scope under its closure's, parameters bound, the body run.
  private func callFunction(
    _ f: Closure, _ positional: [Value], _ keywords: [(String, Value)], span: SourceSpan, written: [Argument]
  ) throws -> Value {
    guard frames.count < options.maxCallDepth else {
      throw error("stack overflow: recursion deeper than \(options.maxCallDepth) calls", span)
    }
    try checkStack(span)
    let d = f.decl
    let binder = Binder(names: d.params.map(\.name), required: d.params.map { $0.defaultValue == nil }, variadic: nil)
    let (slots, _) = try bind(binder, f.name, positional: positional.count, keywords: keywords.map(\.0), span: span, written: written)
    let all = positional + keywords.map(\.1)
    let callScope = Scope(parent: f.scope)
    let savedScope = scope, savedFile = currentFile
    frames.append((f.name, currentFile, span))
    scope = callScope
    currentFile = d.file
    defer {
      scope = savedScope
      currentFile = savedFile
      frames.removeLast()
    }
    for (j, p) in d.params.enumerated() {
      if let k = slots[j] { callScope[p.name] = all[k] } else if let def = p.defaultValue {
        callScope[p.name] = try eval(def)
      }
    }
    let flow: Flow
    do { flow = try execBlock(d.body) } catch let e as FlowEscape { flow = e.flow }
    switch flow {
    case .normal(let v), .returned(let v): return v
    default: return .none
    }
  }

  // MARK: - Imports

  private func importFile(_ path: String, _ span: SourceSpan) throws {
    let joined: String
    if path.hasPrefix("/") {
      joined = path
    } else if let slash = currentFile.lastIndex(of: "/") {
      joined = String(currentFile[...slash]) + path
    } else {
      joined = path
    }
    let resolved = normalizePath(joined)
    if imported.contains(resolved) { return }
    try checkStack(span)
    guard frames.count < options.maxCallDepth else {
      throw error("imports nested deeper than \(options.maxCallDepth) files", span)
    }
    if importing.contains(resolved) { throw error("circular import of '\(path)'", span) }
    // A regular file only (a FIFO or /dev/zero is refused at once), no longer than a string may be.
    let text: String
    do throws(FileError) {
      text = try readTextFile(resolved, limit: options.maxStringLength)
    } catch {
      throw self.error("cannot import \(error)", span)
    }
    let stmts: [Stmt]
    switch Parser.parse(text, file: resolved) {
    case .success(let s): stmts = s
    case .failure(let e): throw e
    }
    sources[resolved] = text
    importing.append(resolved)
    let savedFile = currentFile, savedScope = scope
    currentFile = resolved
    scope = globals
    defer {
      currentFile = savedFile
      scope = savedScope
      importing.removeLast()
    }
    frames.append(("import \"\(path)\"", savedFile, span))
    defer { frames.removeLast() }
    _ = try execBlock(stmts)
    imported.insert(resolved)
  }
}

extension Scope {
  func lookupOwner(_ name: String) -> Scope? {
    var s: Scope? = self
    while let c = s {
      if c[name] != nil { return c }
      s = c.parent
    }
    return nil
  }
}

/// Removes `.` and `dir/..` components, so one file has one name.
func normalizePath(_ path: String) -> String {
  var out: [Substring] = []
  for part in path.split(separator: "/", omittingEmptySubsequences: true) {
    if part == "." { continue }
    if part == "..", let last = out.last, last != ".." { out.removeLast(); continue }
    out.append(part)
  }
  let joined = out.joined(separator: "/")
  return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
}

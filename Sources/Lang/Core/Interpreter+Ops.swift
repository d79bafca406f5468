// Operators, indexing and fields: the value-level semantics behind the syntax.
import Engine
import Glibc
import Support

/// One evaluated item of an index: a value, or a slice with resolved bounds.
enum IndexKey {
  case index(Value)
  case slice(start: Int?, end: Int?, step: Int)
}

extension Interpreter {
  func evalIndexItem(_ item: IndexItem) throws -> IndexKey {
    switch item {
    case .index(let e): return .index(try eval(e))
    case let .slice(s, e, st):
      func bound(_ x: Expr?) throws -> Int? {
        guard let x else { return nil }
        let v = try eval(x)
        if case .none = v { return nil }
        guard case .number(let n) = v, let i = exactInt(n) else {
          throw error("slice bounds must be integers, got \(shown(v))", x.span)
        }
        return i
      }
      let step = try bound(st) ?? 1
      guard step > 0 else { throw error("slice step must be positive, got \(step)", st?.span ?? .unknown) }
      return .slice(start: try bound(s), end: try bound(e), step: step)
    }
  }

  // MARK: - Nesting

  /// Throws when `v`, placed `inside` levels deep in new lists or records, would nest deeper than
  /// ``Options/maxNestingDepth``. Every place that puts a value inside a new list or record
  /// (literals, `r.f = v`, `xs[i] = v`, `append`, `map`) checks; joining lists (`+`) cannot deepen.
  func checkNesting(_ v: Value, inside levels: Int = 0) throws {
    guard v.isContainer else { return }
    let room = options.maxNestingDepth - levels
    if v.nestingDepth(limit: room) > room {
      throw BuiltinError("lists and records nested deeper than \(options.maxNestingDepth) levels")
    }
  }

  // MARK: - Binary operators

  func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
    switch (a, b) {
    case let (.number(x), .number(y)):
      switch op {
      case .add: return .number(x + y)
      case .sub: return .number(x - y)
      case .mul: return .number(x * y)
      case .div: return .number(x / y)
      case .mod: return .number(y == 0 ? .nan : x - y * (x / y).rounded(.down))
      case .pow: return .number(Glibc.pow(x, y))
      case .less: return .bool(x < y)
      case .lessEqual: return .bool(x <= y)
      case .greater: return .bool(x > y)
      case .greaterEqual: return .bool(x >= y)
      case .equal: return .bool(x == y)
      case .notEqual: return .bool(x != y)
      case .matmul: break
      }
    case let (.string(x), .string(y)):
      switch op {
      case .add:
        guard x.utf8.count + y.utf8.count <= options.maxStringLength else {
          throw BuiltinError("string too long (more than \(options.maxStringLength) characters)")
        }
        return .string(x + y)
      case .less: return .bool(x < y)
      case .lessEqual: return .bool(x <= y)
      case .greater: return .bool(x > y)
      case .greaterEqual: return .bool(x >= y)
      default: break
      }
    case let (.list(x), .list(y)) where op == .add:
      guard x.count + y.count <= options.maxListLength else {
        throw BuiltinError("list too long (more than \(options.maxListLength) items)")
      }
      return .list(x + y)
    default:
      break
    }
    if isTensorish(a) && isTensorish(b) && (a.isTensor || b.isTensor || op == .matmul) {
      return .tensor(try tensorBinary(op, try tensorFrom(a), try tensorFrom(b)))
    }
    switch op {
    case .equal: return .bool(a == b)
    case .notEqual: return .bool(a != b)
    default:
      throw BuiltinError("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)")
    }
  }

  private func isTensorish(_ v: Value) -> Bool {
    switch v {
    case .tensor, .number, .list, .bool: return true
    default: return false
    }
  }

  private func tensorBinary(_ op: BinaryOperator, _ x: Tensor, _ y: Tensor) throws -> Tensor {
    switch op {
    case .add: return try x + y
    case .sub: return try x - y
    case .mul: return try x * y
    case .div: return try x / y
    case .pow: return try x.pow(y)
    case .matmul:
      guard x.rank >= 2, y.rank >= 2 else {
        throw BuiltinError("'@' needs matrices (rank 2 or 3), got shapes \(formatShape(x.shape)) and \(formatShape(y.shape))")
      }
      return try Tensor.matmul(x, y)
    case .mod: throw BuiltinError("'%' is not defined on tensors")
    case .less: return try x.compare(.less, y)
    case .lessEqual: return try x.compare(.lessEqual, y)
    case .greater: return try x.compare(.greater, y)
    case .greaterEqual: return try x.compare(.greaterEqual, y)
    case .equal: return try x.compare(.equal, y)
    case .notEqual: return try x.compare(.notEqual, y)
    }
  }

  // MARK: - Indexing

  func index(_ v: Value, _ keys: [IndexKey]) throws -> Value {
    switch v {
    case .tensor(let t): return .tensor(try tensorIndex(t, keys))
    case .opaque(let o) where o.tensorView != nil: return .tensor(try tensorIndex(o.tensorView!, keys))
    case .list(let l):
      guard keys.count == 1 else { throw BuiltinError("a list takes one index, got \(keys.count)") }
      switch keys[0] {
      case .index(let k): return l[try listIndex(k, count: l.count)]
      case let .slice(s, e, st): return .list(sliceIndices(s, e, st, count: l.count).map { l[$0] })
      }
    case .string(let str):
      guard keys.count == 1 else { throw BuiltinError("a string takes one index, got \(keys.count)") }
      let chars = Array(str)
      switch keys[0] {
      case .index(let k): return .string(String(chars[try listIndex(k, count: chars.count)]))
      case let .slice(s, e, st): return .string(String(sliceIndices(s, e, st, count: chars.count).map { chars[$0] }))
      }
    case .record(let r):
      guard keys.count == 1, case .index(.string(let k)) = keys[0] else {
        throw BuiltinError("a record is indexed by a field name string")
      }
      guard let x = r[k] else { throw BuiltinError(noField(k, r.keys)) }
      return x
    default:
      throw BuiltinError("cannot index \(v.typeWithArticle)")
    }
  }

  func listIndex(_ k: Value, count: Int) throws -> Int {
    guard case .number(let x) = k, let i = exactInt(x) else {
      throw BuiltinError("an index must be an integer, got \(shown(k))")
    }
    let j = i < 0 ? i + count : i
    guard j >= 0, j < count else { throw BuiltinError("index \(i) out of range for length \(count)") }
    return j
  }

  private func sliceIndices(_ s: Int?, _ e: Int?, _ step: Int, count n: Int) -> [Int] {
    func clamp(_ i: Int) -> Int { min(max(i < 0 ? i + n : i, 0), n) }
    let lo = clamp(s ?? 0), hi = clamp(e ?? n)
    guard lo < hi else { return [] }
    return Array(stride(from: lo, to: hi, by: step))
  }

  /// `t[i]`, `t[a:b]`, `t[:, 0]`, `t[-1]`; a list or tensor of row numbers gathers rows.
  func tensorIndex(_ t: Tensor, _ keys: [IndexKey]) throws -> Tensor {
    if keys.count == 1, case .index(let k) = keys[0] {
      switch k {
      case .list, .tensor:
        let rows = try tensorFrom(k)
        var idx: [Int] = []
        for x in rows.scalars {
          guard let i = exactInt(Double(x)) else { throw BuiltinError("row indices must be integers") }
          idx.append(i < 0 && t.rank >= 1 ? i + t.shape[0] : i)
        }
        return try t.gather(idx)
      default: break
      }
    }
    var x = t
    var axis = 0
    for key in keys {
      guard axis < x.rank else {
        throw BuiltinError("too many indices (\(keys.count)) for a tensor of shape \(formatShape(t.shape))")
      }
      switch key {
      case .index(let k):
        let n = x.shape[axis]
        let i = try listIndexTensor(k, size: n, axis: axis)
        x = try x.slice(axis: axis, start: i, end: i + 1)
        var s = x.shape
        s.remove(at: axis)
        x = try x.reshaped(s)
      case let .slice(s, e, st):
        x = try x.slice(axis: axis, start: s ?? 0, end: e, step: st)
        axis += 1
      }
    }
    return x
  }

  /// `t[keys] = value`: a copy of `t` with the selected values replaced (value broadcasts to the
  /// selection). The result has no gradient history.
  func tensorAssign(_ t: Tensor, _ keys: [IndexKey], _ value: Value) throws -> Tensor {
    guard t.count <= 1 << 24 else { throw BuiltinError("index assignment works on tensors of up to 2^24 values") }
    let positions = try Tensor(shape: t.shape, scalars: (0..<t.count).map { Float($0) })
    let selected = try tensorIndex(positions, keys)
    let v = try tensorFrom(value).detached().broadcast(to: selected.shape)
    var s = t.scalars
    for (i, x) in zip(selected.scalars, v.scalars) { s[Int(i)] = x }
    return try Tensor(shape: t.shape, scalars: s)
  }

  private func listIndexTensor(_ k: Value, size n: Int, axis: Int) throws -> Int {
    guard case .number(let x) = k, let i = exactInt(x) else {
      throw BuiltinError("a tensor index must be an integer, got \(shown(k))")
    }
    let j = i < 0 ? i + n : i
    guard j >= 0, j < n else { throw BuiltinError("index \(i) out of range for axis \(axis) of size \(n)") }
    return j
  }

  // MARK: - Fields

  func field(_ v: Value, _ name: String) throws -> Value {
    switch v {
    case .record(let r):
      guard let x = r[name] else { throw BuiltinError(noField(name, r.keys)) }
      return x
    case .tensor(let t) where name == "shape":
      return .list(t.shape.map { .number(Double($0)) })
    case .opaque(let o):
      guard let x = o.field(name) else {
        throw BuiltinError("\(o.typeName) has no field '\(name)'" + (o.fieldNames.isEmpty ? "" : " (fields: \(o.fieldNames.joined(separator: ", ")))"))
      }
      return x
    default:
      throw BuiltinError("\(v.typeWithArticle) has no field '\(name)'")
    }
  }

  private func noField(_ name: String, _ keys: [String]) -> String {
    let hint = suggestion(for: name, among: keys).map { " (did you mean '\($0)'?)" } ?? ""
    return "record has no field '\(name)'\(hint)"
  }

  /// Follows `a.b.c` through globals for completion; nil if any part is missing.
  func resolvePath(_ path: String) -> Value? {
    let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard let first = parts.first, var v = globals[first] else { return nil }
    for p in parts.dropFirst() {
      guard let next = try? field(v, p) else { return nil }
      v = next
    }
    return v
  }
}

extension Value {
  var isTensor: Bool { if case .tensor = self { return true }; return false }
}

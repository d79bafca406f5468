// Tensor math builtins: element-wise functions (one row per engine `UnaryOp` / `BinaryOp`) and
// reductions (one row per `ReduceOp`). The `tensor` group that lists them is in Builtins+Tensor.swift.
import Engine
import Glibc

/// The math rows of the `tensor` group, then the code behind them.
enum TensorMathBuiltins {
  /// One row per engine element-wise function, plus leaky_relu and clamp; numbers in give numbers out.
  static var unaryRows: [Builtin] {
    UnaryOp.allCases.map { op in
      Builtin(op.rawValue, params: [Param("x")], doc: "\(op.doc), element-wise.\nA number gives a number; a tensor (or list) gives a tensor, with gradient.",
              impl: unary(op))
    } + [
      Builtin("leaky_relu", params: [Param("x", .tensor), Param("slope", .number, default: .number(0.01))],
              doc: "LeakyReLU: x where x > 0, else slope·x (the reference nets use slope 0.2).",
              impl: leakyRelu),
      Builtin("clamp", params: [Param("x", .tensor), Param("min", .number), Param("max", .number)],
              doc: "min(max(x, min), max) element-wise; the gradient passes where x was inside.",
              impl: clamp),
    ]
  }

  /// One row per engine binary function (add, sub, mul, div, pow, maximum, minimum), plus where.
  static var binaryRows: [Builtin] {
    BinaryOp.allCases.map { op in
      Builtin(op.rawValue, params: [Param("a", .tensor), Param("b", .tensor)],
              doc: "\(op.doc), element-wise with broadcasting (NumPy rules).",
              impl: binary(op))
    } + [
      Builtin("where", params: [Param("cond", .tensor), Param("a", .tensor), Param("b", .tensor)],
              doc: "a where cond ≠ 0, else b, element-wise with broadcasting; gradients flow to a and b.",
              impl: select),
    ]
  }

  /// The parameters of every reduction over axes.
  static var reductionParams: [Param] {
    [Param("x", .tensor), Param("axis", .optional(.axes), default: .none), Param("keepdims", .bool, default: .bool(false))]
  }

  /// One row per engine reduction, plus norm, variance, argmax and the truth tests.
  static var reductionRows: [Builtin] {
    ReduceOp.allCases.map { op in
      Builtin(op.rawValue, params: reductionParams,
              doc: "\(op.doc): over all values, or over `axis` (an axis or a list; negative counts from the end).\nkeepdims: true keeps reduced axes with size 1.",
              impl: reduce(op))
    } + [
      Builtin("norm", params: reductionParams, doc: "The L2 norm √(Σ x²) over all values or over `axis`.", impl: norm),
      Builtin("variance", params: reductionParams, doc: "The variance (1/n) Σ (x − mean)² over all values or over `axis`.", impl: variance),
      Builtin("argmax", params: [Param("x", .tensor), Param("axis", .int, default: .number(-1))],
              doc: "The index of the largest value along `axis` (as numbers in a tensor).",
              impl: argmax),
      Builtin("any", params: [Param("x", .tensor)], doc: "True when some value of x is non-zero.", impl: anyNonZero),
      Builtin("all", params: [Param("x", .tensor)], doc: "True when every value of x is non-zero.", impl: allNonZero),
      Builtin("is_finite", params: [Param("x", .tensor)], doc: "True when no value of x is NaN or infinite.", impl: isFinite),
    ]
  }

  // MARK: - Element-wise

  /// The code of an element-wise function's row: a number gives a number (in double precision where
  /// there is a scalar version), anything else a tensor.
  private static func unary(_ op: UnaryOp) -> (Args) throws -> Value {
    { a in
      if case .number(let x) = a["x"], let f = scalarFunction(op) { return .number(f(x)) }
      guard let t = conform(a["x"], to: .tensor), case .tensor(let x) = t else {
        throw a.fail("'x' must be a number or a tensor, got \(shown(a["x"]))")
      }
      let y = x.apply(op)
      if case .number = a["x"] { return .number(Double(try y.item())) }
      return .tensor(y)
    }
  }

  /// Double versions of the unary functions, so `exp(1)` is exact in double precision.
  private static func scalarFunction(_ op: UnaryOp) -> ((Double) -> Double)? {
    func sig(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Glibc.exp(-x)) : Glibc.exp(x) / (1 + Glibc.exp(x)) }
    func sp(_ x: Double) -> Double { Swift.max(x, 0) + Glibc.log1p(Glibc.exp(-Swift.abs(x))) }
    switch op {
    case .neg: return { -$0 }
    case .abs: return { Swift.abs($0) }
    case .exp: return { Glibc.exp($0) }
    case .log: return { Glibc.log($0) }
    case .sqrt: return { $0.squareRoot() }
    case .square: return { $0 * $0 }
    case .reciprocal: return { 1 / $0 }
    case .sin: return { Glibc.sin($0) }
    case .cos: return { Glibc.cos($0) }
    case .erf: return { Glibc.erf($0) }
    case .tanh: return { Glibc.tanh($0) }
    case .sigmoid: return sig
    case .relu: return { $0 > 0 ? $0 : 0 }
    case .gelu: return { 0.5 * $0 * (1 + Glibc.erf($0 / 2.0.squareRoot())) }
    case .silu: return { $0 * sig($0) }
    case .mish: return { $0 * Glibc.tanh(sp($0)) }
    case .softplus: return sp
    @unknown default: return nil
    }
  }

  private static func leakyRelu(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").leakyRelu(try a.float("slope")))
  }

  private static func clamp(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").clamped(try a.float("min"), try a.float("max")))
  }

  /// The code of a binary function's row.
  private static func binary(_ op: BinaryOp) -> (Args) throws -> Value {
    { a in
      let x = try a.tensor("a"), y = try a.tensor("b")
      switch op {
      case .add: return .tensor(try x + y)
      case .sub: return .tensor(try x - y)
      case .mul: return .tensor(try x * y)
      case .div: return .tensor(try x / y)
      case .pow: return .tensor(try x.pow(y))
      case .maximum: return .tensor(try x.maximum(y))
      case .minimum: return .tensor(try x.minimum(y))
      @unknown default: throw a.fail("not available")
      }
    }
  }

  private static func select(_ a: Args) throws -> Value {
    .tensor(try Tensor.select(try a.tensor("cond"), try a.tensor("a"), try a.tensor("b")))
  }

  // MARK: - Reductions

  private static func axes(_ a: Args) throws -> [Int]? { try a.ints("axis") }

  /// The code of a reduction's row.
  private static func reduce(_ op: ReduceOp) -> (Args) throws -> Value {
    { a in .tensor(try a.tensor("x").reduce(op, axes: try axes(a), keepDims: try a.bool("keepdims"))) }
  }

  private static func norm(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").norm(axes: try axes(a), keepDims: try a.bool("keepdims")))
  }

  private static func variance(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").variance(axes: try axes(a), keepDims: try a.bool("keepdims")))
  }

  private static func argmax(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").argmax(axis: try a.int("axis")))
  }

  private static func anyNonZero(_ a: Args) throws -> Value {
    .bool(try a.tensor("x").scalars.contains { $0 != 0 })
  }

  private static func allNonZero(_ a: Args) throws -> Value {
    .bool(try a.tensor("x").scalars.allSatisfy { $0 != 0 })
  }

  private static func isFinite(_ a: Args) throws -> Value {
    .bool(try a.tensor("x").isFinite)
  }
}

// Tensor builtins: creation, element-wise math (one row per engine `UnaryOp` / `BinaryOp`),
// reductions (one row per `ReduceOp`), shapes, matrix product, autodiff and the RNG.
import Engine
import Glibc

extension BuiltinGroup {
  /// Tensors: creation, math, reductions, shapes, grad, RNG.
  public static var tensor: BuiltinGroup {
    BuiltinGroup(name: "tensor", summary: "tensors: creation, element-wise math, reductions, shapes, autodiff, random numbers",
                 builtins: tensorCreation + unaryRows + binaryRows + reductionRows + shapeRows + autodiffRows)
  }


  static var tensorCreation: [Builtin] {
    [
      Builtin("tensor", params: [Param("data")],
              doc: "A Float32 tensor from a number, a list of numbers, or nested lists (rows of equal shape).\ntensor([[1, 2], [3, 4]]) has shape [2, 2].") { a in
        .tensor(try tensorFrom(a["data"]).detached())
      },
      Builtin("zeros", params: [Param("shape", .shape), Param("grad", .bool, default: .bool(false))],
              doc: "A tensor of zeros of the given shape. grad: true marks it as a leaf that gradients can be taken against.") { a in
        .tensor(leaf(try Tensor.zeros(try checkedShape(a)), try a.bool("grad")))
      },
      Builtin("ones", params: [Param("shape", .shape), Param("grad", .bool, default: .bool(false))],
              doc: "A tensor of ones of the given shape.") { a in
        .tensor(leaf(try Tensor.ones(try checkedShape(a)), try a.bool("grad")))
      },
      Builtin("full", params: [Param("shape", .shape), Param("value", .number)], doc: "A tensor of the given shape filled with `value`.") { a in
        .tensor(try Tensor.full(try checkedShape(a), try a.float("value")))
      },
      Builtin("arange", params: [Param("start", .number), Param("end", .optional(.number), default: .none), Param("step", .number, default: .number(1))],
              doc: "start, start+step, … below end (numpy.arange); arange(n) is 0 … n−1.") { a in
        var lo = try a.number("start"), hi = 0.0
        if a.isNone("end") { hi = lo; lo = 0 } else { hi = try a.number("end") }
        let step = try a.number("step")
        let n = (hi - lo) / step
        guard n.isNaN || Swift.abs(n) <= Double(a.interpreter.options.maxTensorElements) else {
          throw a.fail("too many values (more than \(a.interpreter.options.maxTensorElements))")
        }
        return .tensor(try Tensor.arange(Float(lo), Float(hi), step: Float(step)))
      },
      Builtin("linspace", params: [Param("start", .number), Param("end", .number), Param("count", .positiveInt)],
              doc: "`count` evenly spaced values from start to end, both included.") { a in
        let n = try a.int("count")
        guard n <= a.interpreter.options.maxTensorElements else { throw a.fail("'count' is too large") }
        return .tensor(try Tensor.linspace(try a.float("start"), try a.float("end"), count: n))
      },
      Builtin("randn", params: [Param("shape", .shape), Param("std", .number, default: .number(1))],
              doc: "Normal random values: each entry ~ N(0, std²), from the seeded default generator (see seed).") { a in
        let t = try Tensor.randn(try checkedShape(a), using: &a.interpreter.rng)
        let s = try a.float("std")
        return .tensor(s == 1 ? t : try t * s)
      },
      Builtin("rand", params: [Param("shape", .shape), Param("lo", .number, default: .number(0)), Param("hi", .number, default: .number(1))],
              doc: "Uniform random values in [lo, hi), from the seeded default generator.") { a in
        .tensor(try Tensor.rand(try checkedShape(a), lo: try a.float("lo"), hi: try a.float("hi"), using: &a.interpreter.rng))
      },
      Builtin("randn_like", params: [Param("x", .tensor)], doc: "Standard normal values N(0, 1) with the shape of x.") { a in
        .tensor(try Tensor.randn(try a.tensor("x").shape, using: &a.interpreter.rng))
      },
      Builtin("zeros_like", params: [Param("x", .tensor)], doc: "Zeros with the shape of x.") { a in
        .tensor(try Tensor.zeros(try a.tensor("x").shape))
      },
      Builtin("ones_like", params: [Param("x", .tensor)], doc: "Ones with the shape of x.") { a in
        .tensor(try Tensor.ones(try a.tensor("x").shape))
      },
      Builtin("seed", params: [Param("n", .nonNegativeInt)],
              doc: "Reseeds the script's random generator (xoshiro256**): the same seed gives the same numbers everywhere.") { a in
        a.interpreter.rng = RandomGenerator(seed: UInt64(try a.int("n")))
        return .none
      },
    ]
  }

  /// One row per engine element-wise function; numbers in give numbers out.
  static var unaryRows: [Builtin] {
    UnaryOp.allCases.map { op in
      Builtin(op.rawValue, params: [Param("x")], doc: "\(op.doc), element-wise.\nA number gives a number; a tensor (or list) gives a tensor, with gradient.") { a in
        if case .number(let x) = a["x"], let f = scalarFunction(op) { return .number(f(x)) }
        guard let t = conform(a["x"], to: .tensor), case .tensor(let x) = t else {
          throw a.fail("'x' must be a number or a tensor, got \(shown(a["x"]))")
        }
        let y = x.apply(op)
        if case .number = a["x"] { return .number(Double(try y.item())) }
        return .tensor(y)
      }
    } + [
      Builtin("leaky_relu", params: [Param("x", .tensor), Param("slope", .number, default: .number(0.01))],
              doc: "LeakyReLU: x where x > 0, else slope·x (the reference nets use slope 0.2).") { a in
        .tensor(try a.tensor("x").leakyRelu(try a.float("slope")))
      },
      Builtin("clamp", params: [Param("x", .tensor), Param("min", .number), Param("max", .number)],
              doc: "min(max(x, min), max) element-wise; the gradient passes where x was inside.") { a in
        .tensor(try a.tensor("x").clamped(try a.float("min"), try a.float("max")))
      },
    ]
  }

  /// Double versions of the unary functions, so `exp(1)` is exact in double precision.
  static func scalarFunction(_ op: UnaryOp) -> ((Double) -> Double)? {
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

  /// One row per engine binary function: add, sub, mul, div, pow, maximum, minimum.
  static var binaryRows: [Builtin] {
    BinaryOp.allCases.map { op in
      Builtin(op.rawValue, params: [Param("a", .tensor), Param("b", .tensor)],
              doc: "\(op.doc), element-wise with broadcasting (NumPy rules).") { a in
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
    } + [
      Builtin("where", params: [Param("cond", .tensor), Param("a", .tensor), Param("b", .tensor)],
              doc: "a where cond ≠ 0, else b, element-wise with broadcasting; gradients flow to a and b.") { a in
        .tensor(try Tensor.select(try a.tensor("cond"), try a.tensor("a"), try a.tensor("b")))
      },
    ]
  }

  /// One row per engine reduction, plus norm and variance.
  static var reductionRows: [Builtin] {
    func axes(_ a: Args) throws -> [Int]? { try a.ints("axis") }
    let common = [Param("x", .tensor), Param("axis", .optional(.axes), default: .none), Param("keepdims", .bool, default: .bool(false))]
    let rows: [Builtin] = ReduceOp.allCases.map { op in
      Builtin(op.rawValue, params: common,
              doc: "\(op.doc): over all values, or over `axis` (an axis or a list; negative counts from the end).\nkeepdims: true keeps reduced axes with size 1.") { a in
        .tensor(try a.tensor("x").reduce(op, axes: try axes(a), keepDims: try a.bool("keepdims")))
      }
    }
    return rows + [
      Builtin("norm", params: common, doc: "The L2 norm √(Σ x²) over all values or over `axis`.") { a in
        .tensor(try a.tensor("x").norm(axes: try axes(a), keepDims: try a.bool("keepdims")))
      },
      Builtin("variance", params: common, doc: "The variance (1/n) Σ (x − mean)² over all values or over `axis`.") { a in
        .tensor(try a.tensor("x").variance(axes: try axes(a), keepDims: try a.bool("keepdims")))
      },
      Builtin("argmax", params: [Param("x", .tensor), Param("axis", .int, default: .number(-1))],
              doc: "The index of the largest value along `axis` (as numbers in a tensor).") { a in
        .tensor(try a.tensor("x").argmax(axis: try a.int("axis")))
      },
      Builtin("any", params: [Param("x", .tensor)], doc: "True when some value of x is non-zero.") { a in
        .bool(try a.tensor("x").scalars.contains { $0 != 0 })
      },
      Builtin("all", params: [Param("x", .tensor)], doc: "True when every value of x is non-zero.") { a in
        .bool(try a.tensor("x").scalars.allSatisfy { $0 != 0 })
      },
      Builtin("is_finite", params: [Param("x", .tensor)], doc: "True when no value of x is NaN or infinite.") { a in
        .bool(try a.tensor("x").isFinite)
      },
    ]
  }

  static var shapeRows: [Builtin] {
    [
      Builtin("shape", params: [Param("x", .tensor)], doc: "The shape of x as a list: shape(zeros([2, 3])) is [2, 3].") { a in
        .list(try a.tensor("x").shape.map { .number(Double($0)) })
      },
      Builtin("rank", params: [Param("x", .tensor)], doc: "The number of axes of x.") { a in
        .number(Double(try a.tensor("x").rank))
      },
      Builtin("numel", params: [Param("x", .tensor)], doc: "The number of values in x (the product of its shape).") { a in
        .number(Double(try a.tensor("x").count))
      },
      Builtin("item", params: [Param("x", .tensor)], doc: "The number held by a one-element tensor.") { a in
        .number(Double(try a.tensor("x").item()))
      },
      Builtin("to_list", params: [Param("x", .tensor)], doc: "The values of x as nested lists of numbers (a number for rank 0).") { a in
        let t = try a.tensor("x")
        guard t.count <= a.interpreter.options.maxListLength else { throw a.fail("tensor too large for a list") }
        return nestedList(t.scalars[...], t.shape[...])
      },
      Builtin("reshape", params: [Param("x", .tensor), Param("shape", .intList)],
              doc: "The same values with a new shape; one size may be −1 (inferred).") { a in
        let s = try a.ints("shape") ?? []
        var n = 1
        for d in s where d != -1 {
          let (p, o) = n.multipliedReportingOverflow(by: d)
          guard !o, Swift.abs(p) <= 1 << 40 else { throw a.fail("shape \(formatShape(s)) is too large") }
          n = p
        }
        return .tensor(try a.tensor("x").reshaped(s))
      },
      Builtin("flatten", params: [Param("x", .tensor), Param("start", .nonNegativeInt, default: .number(0))],
              doc: "Merges the axes from `start` on into one: [N, C, H, W] → [N, C·H·W] for start 1.") { a in
        .tensor(try a.tensor("x").flattened(from: try a.int("start")))
      },
      Builtin("permute", params: [Param("x", .tensor), Param("order", .intList)],
              doc: "Reorders the axes: output axis i is input axis order[i].") { a in
        .tensor(try a.tensor("x").permuted(try a.ints("order") ?? []))
      },
      Builtin("transpose", params: [Param("x", .tensor), Param("a", .int, default: .number(-2)), Param("b", .int, default: .number(-1))],
              doc: "Swaps two axes (the last two by default): the matrix transpose.") { a in
        .tensor(try a.tensor("x").transposed(try a.int("a"), try a.int("b")))
      },
      Builtin("concat", params: [Param("tensors", .list), Param("axis", .int, default: .number(0))],
              doc: "Joins tensors along an existing axis; the other sizes must agree.") { a in
        .tensor(try Tensor.concatenate(try tensorList(a, "tensors"), axis: try a.int("axis")))
      },
      Builtin("stack", params: [Param("tensors", .list), Param("axis", .nonNegativeInt, default: .number(0))],
              doc: "Joins same-shaped tensors along a new axis.") { a in
        .tensor(try Tensor.stack(try tensorList(a, "tensors"), axis: try a.int("axis")))
      },
      Builtin("gather", params: [Param("x", .tensor), Param("indices", .intList)],
              doc: "The rows (slices along axis 0) of x at `indices`, in that order; x[[0, 2]] is the same.") { a in
        .tensor(try a.tensor("x").gather(try a.ints("indices") ?? []))
      },
      Builtin("matmul", params: [Param("a", .tensor), Param("b", .tensor), Param("transpose_a", .bool, default: .bool(false)), Param("transpose_b", .bool, default: .bool(false))],
              doc: "The matrix product C[i, j] = Σₖ A[i, k] · B[k, j] (also written a @ b); rank-3 operands multiply batch-wise.\ntranspose_a / transpose_b use Aᵀ / Bᵀ without copying.") { a in
        .tensor(try Tensor.matmul(try a.tensor("a"), try a.tensor("b"), transposeA: try a.bool("transpose_a"), transposeB: try a.bool("transpose_b")))
      },
    ]
  }

  static var autodiffRows: [Builtin] {
    [
      Builtin("grad", params: [Param("f", .function), Param("x")],
              doc: "The gradient ∇ₓ f(x) of a function returning one value, by reverse-mode autodiff.\ngrad(f, [x, y]) calls f(x, y) and returns [∂f/∂x, ∂f/∂y]. A number x gives a number.\nExample: grad(fn(v) { sum(v * v) }, z) is 2·z.") { a in
        let f = a["f"], x = a["x"]
        let several: Bool
        if case .list(let items) = x, !items.isEmpty, items.allSatisfy(\.isTensor) { several = true } else { several = false }
        let inputs: [Tensor]
        if several, case .list(let items) = x {
          inputs = try items.map { try tensorFrom($0).detached().requiringGrad() }
        } else {
          guard let c = conform(x, to: .tensor), case .tensor(let t) = c else {
            throw a.fail("'x' must be a tensor, a number, or a list of tensors, got \(shown(x))")
          }
          inputs = [t.detached().requiringGrad()]
        }
        let y = try a.call(f, inputs.map { .tensor($0) })
        let out: Tensor
        switch y {
        case .tensor(let t): out = t
        case .number(let v): out = Tensor(scalar: Float(v))
        default: throw a.fail("the function must return a tensor with one value, got \(shown(y))")
        }
        let gs = try gradients(of: out, wrt: inputs)
        if several { return .list(gs.map { .tensor($0) }) }
        if case .number = x { return .number(Double(try gs[0].item())) }
        return .tensor(gs[0])
      },
      Builtin("detach", params: [Param("x", .tensor)], doc: "The values of x with no gradient history (gradients stop here).") { a in
        .tensor(try a.tensor("x").detached())
      },
    ]
  }
}

/// A tensor marked as an autodiff leaf when asked.
private func leaf(_ t: Tensor, _ grad: Bool) -> Tensor { grad ? t.requiringGrad() : t }

/// The `shape` argument, checked against the interpreter's size limit.
private func checkedShape(_ a: Args) throws -> [Int] {
  let s = try a.ints("shape") ?? []
  var n = 1
  for d in s {
    let (p, o) = n.multipliedReportingOverflow(by: d)
    guard !o, p <= a.interpreter.options.maxTensorElements else {
      throw a.fail("shape \(formatShape(s)) is too large (more than \(a.interpreter.options.maxTensorElements) values)")
    }
    n = p
  }
  return s
}

private func tensorList(_ a: Args, _ p: String) throws -> [Tensor] {
  try a.list(p).map { v in
    guard let c = conform(v, to: .tensor), case .tensor(let t) = c else {
      throw a.fail("'\(p)' must be a list of tensors, got an item that is \(shown(v))")
    }
    return t
  }
}

private func nestedList(_ values: ArraySlice<Float>, _ shape: ArraySlice<Int>) -> Value {
  guard let n = shape.first else { return .number(Double(values.first ?? 0)) }
  let rest = shape.dropFirst()
  if rest.isEmpty { return .list(values.map { .number(Double($0)) }) }
  let inner = rest.reduce(1, *)
  return .list((0..<n).map { i in
    let start = values.startIndex + i * inner
    return nestedList(values[start..<(start + inner)], rest)
  })
}

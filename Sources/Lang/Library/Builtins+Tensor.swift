// Tensor builtins: creation, shapes, matrix product, autodiff and the RNG. The element-wise math
// and reductions of the same group are in Builtins+TensorMath.swift.
import Engine

extension BuiltinGroup {
  /// Tensors: creation, math, reductions, shapes, grad, RNG.
  public static var tensor: BuiltinGroup {
    BuiltinGroup(name: "tensor", summary: "tensors: creation, element-wise math, reductions, shapes, autodiff, random numbers",
                 builtins: TensorBuiltins.creation + TensorMathBuiltins.unaryRows + TensorMathBuiltins.binaryRows
                   + TensorMathBuiltins.reductionRows + TensorBuiltins.shapes + TensorBuiltins.autodiff)
  }
}

/// The creation, shape and autodiff rows of the `tensor` group, then the code behind them.
enum TensorBuiltins {
  /// Creation: from data, filled, ranges, random values; and reseeding the generator.
  static var creation: [Builtin] {
    [
      Builtin("tensor", params: [Param("data")],
              doc: "A Float32 tensor from a number, a list of numbers, or nested lists (rows of equal shape).\ntensor([[1, 2], [3, 4]]) has shape [2, 2].",
              impl: tensor),
      Builtin("zeros", params: [Param("shape", .shape), Param("grad", .bool, default: .bool(false))],
              doc: "A tensor of zeros of the given shape. grad: true marks it as a leaf that gradients can be taken against.",
              impl: zeros),
      Builtin("ones", params: [Param("shape", .shape), Param("grad", .bool, default: .bool(false))],
              doc: "A tensor of ones of the given shape.",
              impl: ones),
      Builtin("full", params: [Param("shape", .shape), Param("value", .number)], doc: "A tensor of the given shape filled with `value`.",
              impl: full),
      Builtin("arange", params: [Param("start", .number), Param("end", .optional(.number), default: .none), Param("step", .number, default: .number(1))],
              doc: "start, start+step, … below end (numpy.arange); arange(n) is 0 … n−1.",
              impl: arange),
      Builtin("linspace", params: [Param("start", .number), Param("end", .number), Param("count", .positiveInt)],
              doc: "`count` evenly spaced values from start to end, both included.",
              impl: linspace),
      Builtin("randn", params: [Param("shape", .shape), Param("std", .number, default: .number(1)), rngParam],
              doc: "Normal random values: each entry ~ N(0, std²), from the seeded default generator (see seed), or from rng (a random_stream).",
              impl: randn),
      Builtin("rand", params: [Param("shape", .shape), Param("lo", .number, default: .number(0)), Param("hi", .number, default: .number(1))],
              doc: "Uniform random values in [lo, hi), from the seeded default generator.",
              impl: rand),
      Builtin("randn_like", params: [Param("x", .tensor), Param("streams", .any, default: .none)],
              doc: """
                Standard normal values N(0, 1) with the shape of x, from the script's generator; with
                streams: chain_noise(n) (x of n rows), row r comes from stream r, as in the model's chains.
                """, impl: randnLike),
      Builtin("chain_noise", params: [Param("n", .positiveInt), rngParam],
              doc: """
                n random streams, one per chain, seeded as sample_prior seeds its chains: n successive draws of the
                script's generator. sample_prior(m, n) draws z ~ N(0, I) and then the seeds, so
                  z = randn([n, d]); s = chain_noise(n); … z = z − (s²/2)·∇U(z) + s·randn_like(z, streams: s) …
                draws the same noise in the same order as sample_prior(m, n) after the same seed. rng: seed them from a
                random_stream instead.
                """, impl: chainNoise),
      Builtin("zeros_like", params: [Param("x", .tensor)], doc: "Zeros with the shape of x.", impl: zerosLike),
      Builtin("ones_like", params: [Param("x", .tensor)], doc: "Ones with the shape of x.", impl: onesLike),
      Builtin("seed", params: [Param("n", .nonNegativeInt)],
              doc: "Reseeds the script's random generator (xoshiro256**): the same seed gives the same numbers everywhere.",
              impl: seed),
    ]
  }

  /// Shapes: inspecting, reading out, reshaping, joining, gathering; and the matrix product.
  static var shapes: [Builtin] {
    [
      Builtin("shape", params: [Param("x", .tensor)], doc: "The shape of x as a list: shape(zeros([2, 3])) is [2, 3].", impl: shape),
      Builtin("rank", params: [Param("x", .tensor)], doc: "The number of axes of x.", impl: rank),
      Builtin("numel", params: [Param("x", .tensor)], doc: "The number of values in x (the product of its shape).", impl: numel),
      Builtin("item", params: [Param("x", .tensor)], doc: "The number held by a one-element tensor.", impl: item),
      Builtin("to_list", params: [Param("x", .tensor)], doc: "The values of x as nested lists of numbers (a number for rank 0).", impl: toList),
      Builtin("reshape", params: [Param("x", .tensor), Param("shape", .intList)],
              doc: "The same values with a new shape; one size may be −1 (inferred).",
              impl: reshape),
      Builtin("flatten", params: [Param("x", .tensor), Param("start", .nonNegativeInt, default: .number(0))],
              doc: "Merges the axes from `start` on into one: [N, C, H, W] → [N, C·H·W] for start 1.",
              impl: flatten),
      Builtin("permute", params: [Param("x", .tensor), Param("order", .intList)],
              doc: "Reorders the axes: output axis i is input axis order[i].",
              impl: permute),
      Builtin("transpose", params: [Param("x", .tensor), Param("a", .int, default: .number(-2)), Param("b", .int, default: .number(-1))],
              doc: "Swaps two axes (the last two by default): the matrix transpose.",
              impl: transpose),
      Builtin("concat", params: [Param("tensors", .list), Param("axis", .int, default: .number(0))],
              doc: "Joins tensors along an existing axis; the other sizes must agree.",
              impl: concat),
      Builtin("stack", params: [Param("tensors", .list), Param("axis", .nonNegativeInt, default: .number(0))],
              doc: "Joins same-shaped tensors along a new axis.",
              impl: stack),
      Builtin("gather", params: [Param("x", .tensor), Param("indices", .intList)],
              doc: "The rows (slices along axis 0) of x at `indices`, in that order; x[[0, 2]] is the same.",
              impl: gather),
      Builtin("matmul", params: [Param("a", .tensor), Param("b", .tensor), Param("transpose_a", .bool, default: .bool(false)), Param("transpose_b", .bool, default: .bool(false))],
              doc: "The matrix product C[i, j] = Σₖ A[i, k] · B[k, j] (also written a @ b); rank-3 operands multiply batch-wise.\ntranspose_a / transpose_b use Aᵀ / Bᵀ without copying.",
              impl: matmul),
    ]
  }

  /// Autodiff: gradients, and cutting the history.
  static var autodiff: [Builtin] {
    [
      Builtin("grad", params: [Param("f", .function), Param("x")],
              doc: """
                The gradient ∇ₓ f(x) of a function returning one value, by reverse-mode autodiff.
                grad(f, [x, y]) calls f(x, y) and returns [∂f/∂x, ∂f/∂y]. A number x gives a number.
                A record of weights (params(E)) gives a record of gradients under the same names; f takes no
                argument (or the record): grad(fn() { mean(E(z)) }, params(E)). Work for gradients not asked
                for is skipped. Example: grad(fn(v) { sum(v * v) }, z) is 2·z.
                """,
              impl: grad),
      Builtin("detach", params: [Param("x", .tensor)], doc: "The values of x with no gradient history (gradients stop here).", impl: detach),
    ]
  }

  // MARK: - Creation

  private static func tensor(_ a: Args) throws -> Value {
    .tensor(try tensorFrom(a["data"]).detached())
  }

  private static func zeros(_ a: Args) throws -> Value {
    .tensor(leaf(try Tensor.zeros(try a.ints("shape") ?? []), try a.bool("grad")))
  }

  private static func ones(_ a: Args) throws -> Value {
    .tensor(leaf(try Tensor.ones(try a.ints("shape") ?? []), try a.bool("grad")))
  }

  private static func full(_ a: Args) throws -> Value {
    .tensor(try Tensor.full(try a.ints("shape") ?? [], try a.float("value")))
  }

  private static func arange(_ a: Args) throws -> Value {
    var lo = try a.number("start"), hi = 0.0
    if a.isNone("end") { hi = lo; lo = 0 } else { hi = try a.number("end") }
    let step = try a.number("step")
    return .tensor(try Tensor.arange(Float(lo), Float(hi), step: Float(step)))
  }

  private static func linspace(_ a: Args) throws -> Value {
    let n = try a.int("count")
    return .tensor(try Tensor.linspace(try a.float("start"), try a.float("end"), count: n))
  }

  private static func randn(_ a: Args) throws -> Value {
    let shape = try a.ints("shape") ?? []
    let t = try a.withRNG { try Tensor.randn(shape, using: &$0) }
    let s = try a.float("std")
    return .tensor(s == 1 ? t : try t * s)
  }

  private static func rand(_ a: Args) throws -> Value {
    .tensor(try Tensor.rand(try a.ints("shape") ?? [], lo: try a.float("lo"), hi: try a.float("hi"), using: &a.interpreter.rng))
  }

  private static func randnLike(_ a: Args) throws -> Value {
    let shape = try a.tensor("x").shape
    if a.isNone("streams") { return .tensor(try Tensor.randn(shape, using: &a.interpreter.rng)) }
    guard case .opaque(let o) = a["streams"], let noise = o as? ChainNoiseHandle else {
      throw a.fail("'streams' must be made by chain_noise(n), got \(shown(a["streams"]))")
    }
    guard shape.count >= 1, shape[0] == noise.streams.count else {
      throw a.fail("x has \(shape.first ?? 0) rows but there are \(noise.streams.count) streams: one stream per row")
    }
    return .tensor(try noise.normal(shape))
  }

  /// n streams seeded by n draws of the script's generator (LatentEBM's `langevin` seeds its chains so).
  private static func chainNoise(_ a: Args) throws -> Value {
    let n = try a.int("n")
    // One random stream per chain: 32 bytes each, counted against the engine's cap as 8 values.
    try MemoryLimit.check(n * MemoryLayout<RandomGenerator>.stride / 4, op: "chain_noise")
    return .opaque(ChainNoiseHandle(a.withRNG { rng in (0..<n).map { _ in RandomGenerator(seed: rng.next()) } }))
  }

  private static func zerosLike(_ a: Args) throws -> Value {
    .tensor(try Tensor.zeros(try a.tensor("x").shape))
  }

  private static func onesLike(_ a: Args) throws -> Value {
    .tensor(try Tensor.ones(try a.tensor("x").shape))
  }

  private static func seed(_ a: Args) throws -> Value {
    a.interpreter.rng = RandomGenerator(seed: UInt64(try a.int("n")))
    return .none
  }

  // MARK: - Shapes

  private static func shape(_ a: Args) throws -> Value {
    .list(try a.tensor("x").shape.map { .number(Double($0)) })
  }

  private static func rank(_ a: Args) throws -> Value {
    .number(Double(try a.tensor("x").rank))
  }

  private static func numel(_ a: Args) throws -> Value {
    .number(Double(try a.tensor("x").count))
  }

  private static func item(_ a: Args) throws -> Value {
    .number(Double(try a.tensor("x").item()))
  }

  private static func toList(_ a: Args) throws -> Value {
    let t = try a.tensor("x")
    guard t.count <= a.interpreter.options.maxListLength else { throw a.fail("tensor too large for a list") }
    guard t.rank <= a.interpreter.options.maxNestingDepth else {
      throw a.fail("a tensor of rank \(t.rank) makes lists nested deeper than \(a.interpreter.options.maxNestingDepth) levels")
    }
    return nestedList(t.scalars[...], t.shape[...])
  }

  private static func reshape(_ a: Args) throws -> Value {
    let s = try a.ints("shape") ?? []
    var n = 1
    for d in s where d != -1 {
      let (p, o) = n.multipliedReportingOverflow(by: d)
      guard !o, Swift.abs(p) <= 1 << 40 else { throw a.fail("shape \(formatShape(s)) is too large") }
      n = p
    }
    return .tensor(try a.tensor("x").reshaped(s))
  }

  private static func flatten(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").flattened(from: try a.int("start")))
  }

  private static func permute(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").permuted(try a.ints("order") ?? []))
  }

  private static func transpose(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").transposed(try a.int("a"), try a.int("b")))
  }

  private static func concat(_ a: Args) throws -> Value {
    .tensor(try Tensor.concatenate(try tensorList(a, "tensors"), axis: try a.int("axis")))
  }

  private static func stack(_ a: Args) throws -> Value {
    .tensor(try Tensor.stack(try tensorList(a, "tensors"), axis: try a.int("axis")))
  }

  private static func gather(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").gather(try a.ints("indices") ?? []))
  }

  private static func matmul(_ a: Args) throws -> Value {
    .tensor(try Tensor.matmul(try a.tensor("a"), try a.tensor("b"), transposeA: try a.bool("transpose_a"), transposeB: try a.bool("transpose_b")))
  }

  // MARK: - Autodiff

  private static func grad(_ a: Args) throws -> Value { try differentiate(a, a["f"], a["x"]).grad }

  private static func detach(_ a: Args) throws -> Value {
    .tensor(try a.tensor("x").detached())
  }
}

/// A tensor marked as an autodiff leaf when asked.
private func leaf(_ t: Tensor, _ grad: Bool) -> Tensor { grad ? t.requiringGrad() : t }

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

/// f's value and its gradient with respect to x: a tensor or number (f(x)), a list of tensors
/// (f(x, y, …)), or a record of tensors — weights as params(…) gives them, differentiated where
/// they are, or other tensors, as fresh leaves (f() or f(record)).
func differentiate(_ a: Args, _ f: Value, _ x: Value) throws -> (value: Value, grad: Value) {
  enum Shape { case one(number: Bool), several, record([String]) }
  let inputs: [Tensor], shape: Shape, arguments: [Value]
  switch x {
  case .list(let items) where !items.isEmpty && items.allSatisfy(\.isTensor):
    inputs = try items.map { try tensorFrom($0).detached().requiringGrad() }
    shape = .several; arguments = inputs.map { .tensor($0) }
  case .record:
    let named = try gradientRecord(a, "x").map { ($0.0, $0.1.isLeaf ? $0.1 : $0.1.detached().requiringGrad()) }
    guard !named.isEmpty else { throw a.fail("'x' is an empty record: nothing to differentiate with respect to") }
    inputs = named.map(\.1); shape = .record(named.map(\.0))
    let wantsRecord: Bool
    if case .function(let c) = f { wantsRecord = !c.decl.params.isEmpty } else { wantsRecord = true }
    arguments = wantsRecord ? [.record(Record(named.map { ($0.0, .tensor($0.1)) }))] : []
  default:
    guard let c = conform(x, to: .tensor), case .tensor(let t) = c else {
      throw a.fail("'x' must be a tensor, a number, a list of tensors or a record of weights (params(E)), got \(shown(x))")
    }
    if case .number = x { shape = .one(number: true) } else { shape = .one(number: false) }
    inputs = [t.detached().requiringGrad()]; arguments = [.tensor(inputs[0])]
  }
  let y = try a.call(f, arguments)
  let out: Tensor
  switch y {
  case .tensor(let t): out = t
  case .number(let v): out = Tensor(scalar: Float(v))
  default: throw a.fail("the function must return a tensor with one value, got \(shown(y))")
  }
  guard out.count == 1 else {
    throw a.fail("the function must return one value (a loss), got a tensor of shape \(formatShape(out.shape)); sum or mean it first")
  }
  let gs = try gradients(of: out, wrt: inputs)
  let value: Value = out.rank == 0 || out.count == 1 ? .number(Double(try out.item())) : .tensor(out.detached())
  switch shape {
  case .several: return (value, .list(gs.map { .tensor($0) }))
  case .record(let names): return (value, .record(Record(zip(names, gs).map { ($0, .tensor($1)) })))
  case .one(let number): return (value, number ? .number(Double(try gs[0].item())) : .tensor(gs[0]))
  }
}

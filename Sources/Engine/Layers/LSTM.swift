import CKernels
import Glibc

/// A multi-layer long short-term memory network over batch-first sequences, as PyTorch's
/// `nn.LSTM(input, hidden, num_layers, batch_first=True)` (no dropout, one direction).
///
/// Layer `k` reads a sequence `x_1 … x_T` (the input for `k = 0`, layer `k − 1`'s hidden states
/// after) and, from `h_0`, `c_0`, computes for each step
///
///     i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)
///     f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)
///     g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
///     o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
///     c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
///     h_t = o_t ⊙ tanh(c_t)
///
/// The four gates' weights are stacked in PyTorch's order i, f, g, o: `weight_ih_l{k}` is
/// `[4H, in]` (`in` = the input size for layer 0, `H` after), `weight_hh_l{k}` `[4H, H]`,
/// `bias_ih_l{k}` and `bias_hh_l{k}` `[4H]`, all drawn from `U(−1/√H, 1/√H)` as PyTorch does.
///
/// Each layer is one autodiff op (``Tensor/lstmLayer(_:h0:c0:_:)``): one GEMM for the input half
/// of every gate at every step, then per step one recurrent GEMM and the element-wise cell; its
/// backward pass is backpropagation through time (`LSTM+Backward.swift`).
public final class LSTM: Layer {
  /// One layer's weights, under PyTorch's names.
  public struct LayerWeights {
    public let weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor
  }

  public let inputSize: Int, hiddenSize: Int
  public let layers: [LayerWeights]

  /// - Parameters:
  ///   - inputSize: features of each step of the input.
  ///   - hiddenSize: `H`, the size of `h_t` and `c_t`.
  ///   - layers: how many LSTMs are stacked (PyTorch's `num_layers`).
  public init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, using rng: inout RandomGenerator) throws {
    guard inputSize > 0, hiddenSize > 0, layers > 0 else {
      throw TensorError.invalidArgument(op: "LSTM", message:
        "sizes and layers must be positive, got input \(inputSize), hidden \(hiddenSize), layers \(layers)")
    }
    let bound = 1 / Float(hiddenSize).squareRoot()
    var made: [LayerWeights] = []
    for k in 0..<layers {
      let inp = k == 0 ? inputSize : hiddenSize
      func draw(_ shape: [Int]) throws -> Tensor { parameter(try Tensor.rand(shape, lo: -bound, hi: bound, using: &rng)) }
      made.append(LayerWeights(weightIH: try draw([4 * hiddenSize, inp]), weightHH: try draw([4 * hiddenSize, hiddenSize]),
                               biasIH: try draw([4 * hiddenSize]), biasHH: try draw([4 * hiddenSize])))
    }
    self.inputSize = inputSize
    self.hiddenSize = hiddenSize
    self.layers = made
  }

  /// An LSTM over given weights (checked by the first run); tests build one from tracked copies.
  init(layers: [LayerWeights]) {
    inputSize = layers[0].weightIH.shape[1]
    hiddenSize = layers[0].weightHH.shape[1]
    self.layers = layers
  }

  /// The output sequence only (`[B, T, H]`), from zero states: what the LSTM gives as an item of
  /// a ``Sequential``. ``run(_:h0:c0:)`` gives the final states as well.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try run(x).output }

  /// Runs the stack on `x` (`[B, T, inputSize]`, batch first).
  /// - Parameters:
  ///   - h0: the initial hidden states `[layers, B, H]`; zeros when nil.
  ///   - c0: the initial cell states `[layers, B, H]`; zeros when nil.
  /// - Returns: the last layer's hidden state at every step `[B, T, H]`, and each layer's final
  ///   `h_T` and `c_T`, `[layers, B, H]` — PyTorch's `output, (h_n, c_n)`.
  public func run(_ x: Tensor, h0: Tensor? = nil, c0: Tensor? = nil) throws -> (output: Tensor, h: Tensor, c: Tensor) {
    guard x.rank == 3, x.shape[2] == inputSize else {
      throw TensorError.shapeMismatch(op: "lstm", shapes: [x.shape], detail:
        "the input must be [batch, steps, \(inputSize)]"
        + (x.rank == 3 ? ": it has \(x.shape[2]) features, the LSTM takes \(inputSize)" : ""))
    }
    let (b, t, hid) = (x.shape[0], x.shape[1], hiddenSize)
    guard t >= 1 else { throw TensorError.invalidArgument(op: "lstm", message: "the input has no steps (shape \(formatShape(x.shape)))") }
    let stateShape = [layers.count, b, hid]
    for (name, s) in [("h0", h0), ("c0", c0)] {
      if let s, s.shape != stateShape {
        throw TensorError.shapeMismatch(op: "lstm", shapes: [s.shape, stateShape], detail:
          "\(name) must be [layers, batch, hidden] = \(formatShape(stateShape))")
      }
    }
    func state(_ s: Tensor?, _ k: Int) throws -> Tensor {
      guard let s else { return try Tensor.zeros([b, hid]) }
      return layers.count == 1 ? try s.reshaped([b, hid]) : try s.slice(axis: 0, start: k, end: k + 1).reshaped([b, hid])
    }
    var input = x
    var hs: [Tensor] = [], cs: [Tensor] = []
    for (k, w) in layers.enumerated() {
      let y = try Tensor.lstmLayer(input, h0: try state(h0, k), c0: try state(c0, k), w)
      input = try y.slice(axis: 1, start: 0, end: t)
      hs.append(try y.slice(axis: 1, start: t - 1, end: t).reshaped([b, hid]))
      cs.append(try y.slice(axis: 1, start: t, end: t + 1).reshaped([b, hid]))
    }
    return (input, try Tensor.stack(hs), try Tensor.stack(cs))
  }

  public var namedParameters: [(String, Tensor)] {
    layers.enumerated().flatMap { k, w in
      [("weight_ih_l\(k)", w.weightIH), ("weight_hh_l\(k)", w.weightHH), ("bias_ih_l\(k)", w.biasIH), ("bias_hh_l\(k)", w.biasHH)]
    }
  }

  public var description: String {
    "LSTM(\(inputSize) → \(hiddenSize)\(layers.count == 1 ? "" : ", \(layers.count) layers"))"
  }
}

/// The fewest batch rows of a step's cells worth a thread of their own: each cell costs about five
/// exponentials, so a chunk of this many rows is about ``parallelThreshold`` element-wise values.
/// Rows are independent, so any split gives the same bits.
func lstmCellRows(_ hidden: Int) -> Int { Swift.max(2, parallelThreshold / Swift.max(1, 5 * hidden)) }

extension Tensor {
  /// One LSTM layer over a whole sequence as one autodiff op (the equations on ``LSTM``).
  ///
  /// Forward: `A = X·W_ihᵀ + b_ih + b_hh` for all `B·T` rows at once (one GEMM, `[B·T, in] ×
  /// [in, 4H]`), then for each step `A_t += h_{t−1}·W_hhᵀ` (one GEMM into `A`'s rows of step `t`)
  /// and the element-wise cell (its batch rows split across the engine's threads when there are
  /// enough of them). The activated gates, every `c_t` and every `h_t` are kept for the
  /// backward pass; no step allocates.
  ///
  /// - Parameters:
  ///   - x: `[B, T, in]`; `h0`, `c0`: `[B, H]`.
  /// - Returns: `[B, T + 1, H]`: `h_1 … h_T` at steps `0..<T`, then `c_T` at index `T` (one tensor,
  ///   so that one node of the tape holds all three results; ``LSTM/run(_:h0:c0:)`` slices it).
  static func lstmLayer(_ x: Tensor, h0: Tensor, c0: Tensor, _ w: LSTM.LayerWeights) throws -> Tensor {
    let hid = w.weightHH.shape[1], g4 = 4 * hid
    guard x.rank == 3, x.shape[1] >= 1, w.weightIH.shape == [g4, x.shape[2]], w.weightHH.shape == [g4, hid],
          w.biasIH.shape == [g4], w.biasHH.shape == [g4], h0.shape == [x.shape[0], hid], c0.shape == h0.shape else {
      throw TensorError.shapeMismatch(op: "lstm", shapes: [x.shape, h0.shape, c0.shape, w.weightIH.shape, w.weightHH.shape],
                                      detail: "input [B, T, in], states [B, H], weights [4H, in] and [4H, H]")
    }
    let (b, t, inp) = (x.shape[0], x.shape[1], x.shape[2])
    let gates = try Tensor(uninitialized: [b * t, g4], op: "lstm")  // pre-activations, then the activated gates
    let cells = try Tensor(uninitialized: [b, t, hid], op: "lstm")
    let y = try Tensor(uninitialized: [b, t + 1, hid], op: "lstm")
    let ap = gates.storage.pointer, cp = cells.storage.pointer, yp = y.storage.pointer
    let h0p = h0.storage.pointer, c0p = c0.storage.pointer
    let bi = w.biasIH.storage.pointer, bh = w.biasHH.storage.pointer
    for r in 0..<(b * t) { let row = ap + r * g4; for j in 0..<g4 { row[j] = bi[j] + bh[j] } }
    sgemm(false, true, m: b * t, n: g4, k: inp, x.storage.pointer, lda: inp, w.weightIH.storage.pointer, ldb: inp,
          beta: 1, ap, ldc: g4)
    let whh = w.weightHH.storage.pointer
    for s in 0..<t {
      // A_t += h_{t−1}·W_hhᵀ; step s of sequence n is row n·T + s of A.
      let (hPrev, ldh) = s == 0 ? (UnsafePointer(h0p), hid) : (UnsafePointer(yp + (s - 1) * hid), (t + 1) * hid)
      sgemm(false, true, m: b, n: g4, k: hid, hPrev, lda: ldh, whh, ldb: hid, beta: 1, ap + s * g4, ldc: t * g4)
      parallelChunks(b, minimum: lstmCellRows(hid)) { rows in
        for n in rows {
          let a = ap + (n * t + s) * g4
          let cPrev = s == 0 ? c0p + n * hid : cp + (n * t + s - 1) * hid
          let cNow = cp + (n * t + s) * hid, hNow = yp + (n * (t + 1) + s) * hid
          lebm_lstm_cell(a, cPrev, cNow, hNow, hid)
        }
      }
    }
    for n in 0..<b { (yp + (n * (t + 1) + t) * hid).update(from: cp + (n * t + t - 1) * hid, count: hid) }
    let tape = LSTMTape(x: x, h0: h0, c0: c0, weights: w, gates: gates, cells: cells, y: y.detached())
    return y.recorded("lstm", [x, h0, c0, w.weightIH, w.weightHH, w.biasIH, w.biasHH]) { g, need in
      tape.backward(g, need)
    }
  }
}

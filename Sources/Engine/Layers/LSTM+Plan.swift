import CKernels
import Glibc

/// The negative log-likelihood of fixed token rows under an LSTM decoder conditioned on z, and
/// its gradient with respect to z, on buffers allocated once: what a posterior Langevin chain over
/// sentences needs at each of its steps, with no autodiff graph, no allocation and no weight
/// gradients.
///
/// The decoder is the text generator's (an ``Embedding``, a ``Linear`` for the initial states, an
/// ``LSTM`` and a ``Linear`` output layer):
///
///     h_0 = tanh(W_h z + b_h) (every layer's),  c_0 = 0
///     input_t = [embedding(x_{t−1}), z]  with x_0 = <bos>
///     logits_t = W_o h_t + b_o   (h_t of the last layer)
///     L(z) = Σ_t m_t (log Σ_v exp(logits_t,v) − logits_t,x_t),  m_t = [x_t ≠ <pad>]
///
/// What stays fixed along a chain is computed once, in ``setTokens(_:)``: the embedding half of
/// the first layer's gates, `E_prev · W_ih[:, :e]ᵀ + b_ih + b_hh`, for all `B·T` rows in one GEMM.
/// Each ``evaluate(_:gradient:)`` then adds the latent half `z · W_ih[:, e:]ᵀ` (one `[B, 4H]`
/// product, the same for every step of a row), runs the recurrence and the output layer
/// (one GEMM over all `B·T` rows), and goes back: `δlogits = m ⊙ (softmax − onehot)`,
/// `δH = δlogits · W_o` (one GEMM), backpropagation through time layer by layer (the equations on
/// ``LSTMTape``), and for z only what it needs:
///
///     ∂L/∂z = (Σ_t δA_t) · W_ih[:, e:] + (δh_0 ⊙ (1 − h_0²)) · W_h
///
/// — the sum over steps first, so the latent half costs one `[B, 4H] × [4H, d]` product instead
/// of the `[B·T, 4H] × [4H, e + d]` that the full input gradient would. The result agrees with
/// ``gradients(of:wrt:)`` through the same network (tested).
public final class DecoderLikelihoodPlan {
  public let batch: Int, length: Int, latent: Int
  private let embedding: Embedding, initial: Linear, lstm: LSTM, output: Linear
  private let bos: Int, pad: Int
  private let hidden: Int, layers: Int, embed: Int, vocab: Int

  /// Targets `[B·T]` and the previous tokens' embeddings `[B·T, e]` (set by ``setTokens(_:)``).
  private let targets: UnsafeMutablePointer<Int>
  private let embedded: UnsafeMutablePointer<Float>
  /// The first layer's gates' fixed half `[B·T, 4H]`.
  private let fixedGates: UnsafeMutablePointer<Float>
  /// Per layer: the gates (pre-activations, then activated) `[B·T, 4H]`, the cells and hidden
  /// states `[B·T, H]` (row `n·T + t`).
  private let gates: [UnsafeMutablePointer<Float>], cells: [UnsafeMutablePointer<Float>], states: [UnsafeMutablePointer<Float>]
  /// `h_0` of every layer `[B, layers·H]`, the latent half of the gates `[B, 4H]`, the logits
  /// (then their gradient) `[B·T, V]`, each position's loss `[B·T]`.
  private let initialStates, latentGates, logits, losses: UnsafeMutablePointer<Float>
  /// Backward scratch: `δH` `[B·T, H]`, `δA` `[B·T, 4H]`, `δh`, `δc` `[B, H]`, the
  /// gates' gradient summed over steps `[B, 4H]`, `δh_0` `[B, layers·H]`, and a row of zeros (`c_0`).
  private let dStates, dGates, dh, dc, dGatesSum, dInitial, zeros: UnsafeMutablePointer<Float>
  private var allocations: [UnsafeMutableRawPointer] = []
  private var tokensSet = false

  /// Plans the decoder for `batch` rows of `length` tokens and latent vectors of `initial`'s input size.
  /// - Parameters:
  ///   - bos, pad: the ids of `<bos>` (the input before the first token) and `<pad>` (not counted).
  /// - Throws: when the parts do not fit together, or a buffer would pass the engine's limit.
  public init(embedding: Embedding, initial: Linear, lstm: LSTM, output: Linear, batch: Int, length: Int, bos: Int, pad: Int) throws {
    let h = lstm.hiddenSize, l = lstm.layers.count, e = embedding.dimension, v = embedding.vocabulary
    let d = initial.inputSize
    guard batch > 0, length > 0, lstm.inputSize == e + d, initial.outputSize == l * h, output.inputSize == h,
          output.outputSize == v, (0..<v).contains(bos), (0..<v).contains(pad) else {
      throw TensorError.invalidArgument(op: "decoder plan", message:
        "the parts do not fit: embedding \(v)×\(e), initial state \(d) → \(initial.outputSize), LSTM \(lstm.inputSize) → \(h) (\(l) layers), output \(output.inputSize) → \(output.outputSize), batch \(batch), length \(length)")
    }
    self.batch = batch; self.length = length; latent = d
    self.embedding = embedding; self.initial = initial; self.lstm = lstm; self.output = output
    self.bos = bos; self.pad = pad
    hidden = h; layers = l; embed = e; vocab = v
    let rows = batch * length
    for shape in [[rows, v], [rows, 4 * h], [rows, e], [batch, l * h]] { _ = try MemoryLimit.count(of: shape, op: "decoder plan") }
    var made: [UnsafeMutableRawPointer] = []
    func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
      let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n, 1))
      p.initialize(repeating: 0, count: Swift.max(n, 1))
      made.append(UnsafeMutableRawPointer(p))
      return p
    }
    let t = UnsafeMutablePointer<Int>.allocate(capacity: rows)
    t.initialize(repeating: 0, count: rows)
    made.append(UnsafeMutableRawPointer(t))
    targets = t
    embedded = floats(rows * e); fixedGates = floats(rows * 4 * h)
    gates = (0..<l).map { _ in floats(rows * 4 * h) }
    cells = (0..<l).map { _ in floats(rows * h) }
    states = (0..<l).map { _ in floats(rows * h) }
    initialStates = floats(batch * l * h); latentGates = floats(batch * 4 * h)
    logits = floats(rows * v); losses = floats(rows)
    dStates = floats(rows * h); dGates = floats(rows * 4 * h)
    dh = floats(batch * h); dc = floats(batch * h)
    dGatesSum = floats(batch * 4 * h); dInitial = floats(batch * l * h); zeros = floats(h)
    allocations = made
  }

  deinit { allocations.forEach { $0.deallocate() } }

  /// Sets the token rows (`[batch, length]` ids, as floats) for the evaluations that follow, and
  /// computes the first layer's gates' fixed half from the weights as they are now: call again
  /// after the weights change.
  /// - Throws: for an id that is not a whole number in `[0, V)`, named with its row and position.
  public func setTokens(_ x: UnsafePointer<Float>) throws {
    let (b, t, e, g4) = (batch, length, embed, 4 * hidden)
    for i in 0..<(b * t) {
      let f = x[i]
      guard f.isFinite, f >= 0, f < Float(vocab), f.rounded() == f else {
        tokensSet = false
        throw TensorError.invalidArgument(op: "decoder plan", message:
          "token \(formatScalar(f)) at row \(i / t), position \(i % t) is not an id in 0..<\(vocab)")
      }
      targets[i] = Int(f)
    }
    let table = embedding.weight.storage.pointer
    for n in 0..<b {
      for s in 0..<t {
        let previous = s == 0 ? bos : targets[n * t + s - 1]
        (embedded + (n * t + s) * e).update(from: table + previous * e, count: e)
      }
    }
    let w = lstm.layers[0]
    fillBiases(fixedGates, rows: b * t, w.biasIH.storage.pointer, w.biasHH.storage.pointer, width: g4)
    sgemm(false, true, m: b * t, n: g4, k: e, embedded, lda: e, w.weightIH.storage.pointer, ldb: e + latent,
          beta: 1, fixedGates, ldc: g4)
    tokensSet = true
  }

  /// Rows of `b_ih + b_hh`.
  private func fillBiases(_ p: UnsafeMutablePointer<Float>, rows: Int, _ bi: UnsafePointer<Float>, _ bh: UnsafePointer<Float>, width: Int) {
    for r in 0..<rows { let row = p + r * width; for j in 0..<width { row[j] = bi[j] + bh[j] } }
  }

  /// `L(z)` of each row into `rowLosses` (when given) and `∂(Σ_rows L)/∂z` into `gradient`
  /// (`[batch, latent]`), for the tokens last set; returns `Σ_rows L`.
  /// - Precondition: ``setTokens(_:)`` has succeeded.
  @discardableResult
  public func evaluate(_ z: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, rowLosses: UnsafeMutablePointer<Float>? = nil) -> Float {
    precondition(tokensSet, "DecoderLikelihoodPlan.evaluate before setTokens")
    forward(z)
    let total = crossEntropy(rowLosses)
    backward(gradient)
    return total
  }

  /// `h_0`, every layer's gates, cells and states, and the logits.
  private func forward(_ z: UnsafePointer<Float>) {
    let (b, t, h, g4, d, lh) = (batch, length, hidden, 4 * hidden, latent, layers * hidden)
    // h_0 = tanh(W_h z + b_h)
    if let bias = initial.bias?.storage.pointer { for n in 0..<b { (initialStates + n * lh).update(from: bias, count: lh) } }
    sgemm(false, true, m: b, n: lh, k: d, z, lda: d, initial.weight.storage.pointer, ldb: d, beta: initial.bias == nil ? 0 : 1,
          initialStates, ldc: lh)
    lebm_tanh(initialStates, initialStates, b * lh)
    for k in 0..<layers {
      let w = lstm.layers[k], a = gates[k]
      if k == 0 {
        sgemm(false, true, m: b, n: g4, k: d, z, lda: d, w.weightIH.storage.pointer + embed, ldb: embed + d,
              latentGates, ldc: g4)
        for n in 0..<b {
          let zg = latentGates + n * g4
          for s in 0..<t {
            let row = a + (n * t + s) * g4, fixed = fixedGates + (n * t + s) * g4
            for j in 0..<g4 { row[j] = fixed[j] + zg[j] }
          }
        }
      } else {
        fillBiases(a, rows: b * t, w.biasIH.storage.pointer, w.biasHH.storage.pointer, width: g4)
        sgemm(false, true, m: b * t, n: g4, k: h, states[k - 1], lda: h, w.weightIH.storage.pointer, ldb: h, beta: 1, a, ldc: g4)
      }
      let whh = w.weightHH.storage.pointer, c = cells[k], y = states[k], zero = UnsafePointer(zeros)
      for s in 0..<t {
        // A_t += h_{t−1}·W_hhᵀ; step s of row n is row n·T + s.
        let (hPrev, ldh) = s == 0 ? (UnsafePointer(initialStates + k * h), lh) : (UnsafePointer(y + (s - 1) * h), t * h)
        sgemm(false, true, m: b, n: g4, k: h, hPrev, lda: ldh, whh, ldb: h, beta: 1, a + s * g4, ldc: t * g4)
        parallelChunks(b, minimum: lstmCellRows(h)) { range in
          for n in range {
            let r = n * t + s
            lebm_lstm_cell(a + r * g4, s == 0 ? zero : UnsafePointer(c + (r - 1) * h), c + r * h, y + r * h, h)
          }
        }
      }
    }
    let bo = output.bias?.storage.pointer
    if let bo { for r in 0..<(b * t) { (logits + r * vocab).update(from: bo, count: vocab) } }
    sgemm(false, true, m: b * t, n: vocab, k: h, states[layers - 1], lda: h, output.weight.storage.pointer, ldb: h,
          beta: bo == nil ? 0 : 1, logits, ldc: vocab)
  }

  /// Each counted position's `lse − logit[target]` into `losses`, and the logits replaced by their
  /// gradient `m ⊙ (softmax − onehot)`; returns the sum (row by row, in a fixed order).
  private func crossEntropy(_ rowLosses: UnsafeMutablePointer<Float>?) -> Float {
    let v = vocab, rows = batch * length
    parallelChunks(rows, minimum: Swift.max(1, parallelThreshold / Swift.max(v, 1))) { range in
      for p in range {
        let row = logits + p * v, y = targets[p]
        guard y != pad else { row.update(repeating: 0, count: v); losses[p] = 0; continue }
        losses[p] = lebm_softmax_xent(row, v, y)
      }
    }
    var total: Float = 0
    for n in 0..<batch {
      var rowSum: Float = 0
      for s in 0..<length { rowSum += losses[n * length + s] }
      rowLosses?[n] = rowSum
      total += rowSum
    }
    return total
  }

  /// Backpropagation from the logits' gradient to `∂L/∂z`.
  private func backward(_ gradient: UnsafeMutablePointer<Float>) {
    let (b, t, h, g4, d, lh) = (batch, length, hidden, 4 * hidden, latent, layers * hidden)
    sgemm(false, false, m: b * t, n: h, k: vocab, logits, lda: vocab, output.weight.storage.pointer, ldb: h, dStates, ldc: h)
    for k in stride(from: layers - 1, through: 0, by: -1) {
      let w = lstm.layers[k], a = gates[k], c = cells[k]
      throughTime(a, c, initialCells: zeros, whh: w.weightHH.storage.pointer)
      for n in 0..<b { (dInitial + n * lh + k * h).update(from: dh + n * h, count: h) }
      if k > 0 {
        // The layer below's output gradient: δH_{k−1} = δA_k · W_ih.
        sgemm(false, false, m: b * t, n: h, k: g4, dGates, lda: g4, w.weightIH.storage.pointer, ldb: h, dStates, ldc: h)
      } else {
        for n in 0..<b {
          let sum = dGatesSum + n * g4
          sum.update(from: dGates + n * t * g4, count: g4)
          for s in 1..<Swift.max(t, 1) { let row = dGates + (n * t + s) * g4; for j in 0..<g4 { sum[j] += row[j] } }
        }
        sgemm(false, false, m: b, n: d, k: g4, dGatesSum, lda: g4, w.weightIH.storage.pointer + embed, ldb: embed + d,
              gradient, ldc: d)
      }
    }
    // Through h_0 = tanh(W_h z + b_h).
    for i in 0..<(b * lh) { let s = initialStates[i]; dInitial[i] *= 1 - s * s }
    sgemm(false, false, m: b, n: d, k: lh, dInitial, lda: lh, initial.weight.storage.pointer, ldb: d, beta: 1, gradient, ldc: d)
  }

  /// One layer's backpropagation through time from `dStates` (its outputs' gradient) into
  /// `dGates` (`δA`, every step) and `dh` (`∂L/∂h_0`); the final states have no gradient.
  private func throughTime(_ a: UnsafePointer<Float>, _ c: UnsafePointer<Float>, initialCells c0: UnsafePointer<Float>,
                           whh: UnsafePointer<Float>) {
    let (b, t, h, g4) = (batch, length, hidden, 4 * hidden)
    dh.update(repeating: 0, count: b * h)
    dc.update(repeating: 0, count: b * h)
    for s in stride(from: t - 1, through: 0, by: -1) {
      parallelChunks(b, minimum: lstmCellRows(h)) { range in
        for n in range {
          let r = n * t + s
          lebm_lstm_cell_backward(a + r * g4, c + r * h, s == 0 ? c0 : c + (r - 1) * h, dStates + r * h, UnsafePointer(dh + n * h), dc + n * h,
                                  dGates + r * g4, h)
        }
      }
      // δh_{t−1} = δA_t · W_hh
      sgemm(false, false, m: b, n: h, k: g4, dGates + s * g4, lda: t * g4, whh, ldb: h, dh, ldc: h)
    }
  }
}

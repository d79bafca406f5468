import CKernels
import Glibc

/// How ``Tensor/crossEntropy(logits:targets:mask:reduction:)`` reduces the per-position losses.
public enum CrossEntropyReduction: String, CaseIterable, Sendable {
  /// One loss per position, shaped like the targets (masked positions 0).
  case none
  /// One loss per example: the sum over every axis of the targets but the first (`[B, T]` → `[B]`,
  /// the negative log-likelihood of each sentence; `[N]` → `[N]`).
  case rows
  /// The sum over every counted position (a scalar), as PyTorch's `reduction="sum"`.
  case sum
  /// The sum divided by the number of counted positions (a scalar), as PyTorch's
  /// `reduction="mean"` (with `ignore_index`, it divides by the positions not ignored); NaN when
  /// no position counts, as there.
  case mean
}

extension Tensor {
  /// Softmax cross-entropy from unnormalised log-probabilities, as PyTorch's
  /// `F.cross_entropy` with logits of shape `[…, V]` (the classes last) and integer targets.
  ///
  /// Concretely, at each position `p` with logits `x = logits[p, :]` and target id `y = targets[p]`,
  ///
  ///     ℓ_p = m_p · (log Σ_v exp(x_v) − x_y),
  ///
  /// where the log-sum-exp is computed stably as `M + log Σ_v exp(x_v − M)` with `M = max_v x_v`,
  /// and `m_p` is the mask (1: the position counts, 0: padding; all ones when nil). The gradient
  /// with respect to the logits is `∂ℓ_p/∂x_v = m_p · (softmax(x)_v − [v = y])`; targets and mask
  /// have none. `reduction` then sums or averages (see ``CrossEntropyReduction``).
  ///
  /// - Parameters:
  ///   - logits: `[…, V]` (e.g. `[N, V]` or `[B, T, V]`).
  ///   - targets: ids, shaped like `logits` without its last axis; whole numbers in `[0, V)`
  ///     (checked as ``Embedding`` checks ids: the first bad one is named with its position).
  ///   - mask: nil, or 0s and 1s shaped like `targets`.
  public static func crossEntropy(
    logits: Tensor, targets: Tensor, mask: Tensor? = nil, reduction: CrossEntropyReduction = .none
  ) throws -> Tensor {
    guard logits.rank >= 1, targets.shape == Array(logits.shape.dropLast()) else {
      throw TensorError.shapeMismatch(op: "cross_entropy", shapes: [logits.shape, targets.shape],
        detail: "the targets must have the logits' shape without its last axis (the classes)")
    }
    let v = logits.shape[logits.rank - 1]
    guard v > 0 else {
      throw TensorError.invalidArgument(op: "cross_entropy", message: "the logits have no classes (shape \(formatShape(logits.shape)))")
    }
    let ids = try targets.tokenIds(op: "cross_entropy", vocab: v)
    var weights = [Float](repeating: 1, count: ids.count)
    if let mask {
      guard mask.shape == targets.shape else {
        throw TensorError.shapeMismatch(op: "cross_entropy", shapes: [targets.shape, mask.shape],
          detail: "the mask must have the targets' shape")
      }
      let mp = mask.storage.pointer
      for i in 0..<mask.count {
        guard mp[i] == 0 || mp[i] == 1 else {
          throw TensorError.invalidArgument(op: "cross_entropy", message:
            "the mask holds \(formatScalar(mp[i])) at \(formatShape(mask.multiIndex(i))); it must hold 0 (padding) or 1 (counts)")
        }
        weights[i] = mp[i]
      }
    }
    let losses = crossEntropyPerPosition(logits, ids: ids, weights: weights, shape: targets.shape)
    switch reduction {
    case .none: return losses
    case .rows: return targets.rank <= 1 ? losses : try losses.sum(axes: Array(1..<targets.rank))
    case .sum: return try losses.sum()
    case .mean: return try losses.sum() / weights.reduce(0, +)
    }
  }

  /// `m_p · (lse(x_p) − x_p[y_p])` for every position, as one autodiff op over the logits.
  ///
  /// When the result is recorded for a gradient, the forward pass keeps each counted position's
  /// softmax (`exp(x_v − M) / Σ`, the exponentials it computes anyway), so the backward pass is
  /// `m_p · g_p · (softmax − onehot)` without a second round of exponentials.
  private static func crossEntropyPerPosition(_ logits: Tensor, ids: [Int], weights: [Float], shape: [Int]) -> Tensor {
    let v = logits.shape[logits.rank - 1]
    let y = Tensor(sameSizeAs: shape)
    let keep = gradRecording && logits.node != nil
    let softmax = keep ? Tensor(sameSizeAs: logits.shape) : nil
    let xp = logits.storage.pointer, yp = y.storage.pointer, sp = softmax?.storage.pointer
    // Positions are independent, so any split across threads gives the same bits.
    let rows = Swift.max(1, parallelThreshold / Swift.max(v, 1))
    parallelChunks(ids.count, minimum: rows) { range in
      // One row of exponentials: the kept softmax's row, or this chunk's scratch row.
      let scratch = sp == nil ? UnsafeMutablePointer<Float>.allocate(capacity: v) : nil
      defer { scratch?.deallocate() }
      for p in range {
        guard weights[p] != 0 else { yp[p] = 0; continue }
        let row = xp + p * v, e = sp.map { $0 + p * v } ?? scratch!
        // NaN logits are skipped here and make the sum NaN below; ±∞ maxima shift by 0.
        var m = -Float.infinity
        for j in 0..<v where row[j] > m { m = row[j] }
        if !m.isFinite { m = 0 }
        lebm_exp_shifted(row, m, e, v)
        var s: Double = 0
        for j in 0..<v { s += Double(e[j]) }
        let lse = m + Float(Glibc.log(s))
        yp[p] = lse - row[ids[p]]
        if sp != nil {
          let r = Float(1 / s)
          for j in 0..<v { e[j] *= r }
        }
      }
    }
    guard let softmax else { return y }
    return y.recorded("cross_entropy", [logits]) { g, _ in
      let gx = Tensor(sameSizeAs: logits.shape)
      let gxp = gx.storage.pointer, gp = g.storage.pointer, sp = softmax.storage.pointer
      parallelChunks(ids.count, minimum: rows) { range in
        for p in range {
          let out = gxp + p * v
          let scale = gp[p] * weights[p]
          guard scale != 0 else { out.update(repeating: 0, count: v); continue }
          let e = sp + p * v
          for j in 0..<v { out[j] = scale * e[j] }
          out[ids[p]] -= scale
        }
      }
      return [gx]
    }
  }
}

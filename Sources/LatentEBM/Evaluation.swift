// Measures of a trained model: samples, reconstructions, their error, anomaly scores, AUPRC, MMD².
import Datasets
import Engine
import Glibc

extension LatentEBM {
  /// Samples: prior chains from N(0, σ_init² I), pushed through the generator. `[n] + outputShape`.
  /// With the Gaussian prior (no energy net) z is drawn exactly from N(0, σ0² I).
  public func generate(_ n: Int, config: LangevinConfig = .prior, using rng: inout RandomGenerator) throws -> Tensor {
    guard n > 0 else { throw LatentEBMError.invalidArgument("the number of samples must be positive, got \(n)") }
    let z0 = try initialLatents(n, std: energyNet == nil ? priorSigma : config.initStd, using: &rng)
    return try inBlocks(z0) { block in
      let z = energyNet == nil ? block : try samplePrior(from: block, config: config, using: &rng)
      return try withoutGradients { try generator(z) }
    }
  }

  /// Reconstructions g(z⁺) with z⁺ from posterior chains on x (500 rows at a time).
  public func reconstruct(_ x: Tensor, config: LangevinConfig = .posterior, using rng: inout RandomGenerator) throws -> Tensor {
    try checkData(x, "x")
    return try inBlocks(x) { try reconstructBlock($0, config: config, using: &rng) }
  }

  private func reconstructBlock(_ x: Tensor, config: LangevinConfig, using rng: inout RandomGenerator) throws -> Tensor {
    let z = try samplePosterior(x, from: posteriorStarts(x, std: config.initStd, using: &rng), config: config, using: &rng)
    return try withoutGradients { try generator(z).reshaped(x.shape) }
  }

  /// Per-pixel mean squared error between x and its reconstruction (data in [−1, 1]; docs/method.md,
  /// "Evaluation"). For sentences, the share of counted tokens (not `<pad>`) that the greedy
  /// reconstruction gets wrong.
  public func reconstructionError(_ x: Tensor, config: LangevinConfig = .posterior, batchSize: Int = 500, using rng: inout RandomGenerator) throws -> Float {
    try checkData(x, "x")
    var total: Double = 0, counted = 0
    var start = 0
    while start < x.shape[0] {
      let end = Swift.min(x.shape[0], start + Swift.max(batchSize, 1))
      let xb = try x.slice(axis: 0, start: start, end: end)
      let r = try reconstruct(xb, config: config, using: &rng)
      if isText {
        let (xs, rs) = (xb.scalars, r.scalars), pad = Float(Vocabulary.pad)
        for i in 0..<xs.count where xs[i] != pad { counted += 1; if rs[i] != xs[i] { total += 1 } }
      } else {
        total += Double(try (xb - r).square().sum().item())
      }
      start = end
    }
    return Float(total / Double(isText ? Swift.max(counted, 1) : x.count))
  }

  /// Runs `body` on row blocks of at most `size` rows of x and concatenates the results, so large
  /// inputs do not make chain buffers for the whole set at once.
  func inBlocks(_ x: Tensor, size: Int = 500, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    guard x.shape[0] > size else { return try body(x) }
    var parts: [Tensor] = []
    var start = 0
    while start < x.shape[0] {
      parts.append(try body(x.slice(axis: 0, start: start, end: Swift.min(x.shape[0], start + size))))
      start += size
    }
    return try Tensor.concatenate(parts, axis: 0)
  }

  /// The anomaly score (docs/method.md, "Evaluation"), per row of x (higher = more anomalous),
  /// with z from posterior chains: the sum of the chosen ``AnomalyTerms`` of
  /// `‖x − g(z)‖²/(2σ²) + E_α(z) + ‖z‖²/(2σ0²)`. Runs 500 rows at a time.
  public func anomalyScore(
    _ x: Tensor, terms: AnomalyTerms = .all, config: LangevinConfig = .posterior, using rng: inout RandomGenerator
  ) throws -> Tensor {
    try checkData(x, "x")
    guard !terms.isEmpty else { throw LatentEBMError.invalidArgument("the score needs at least one term") }
    return try inBlocks(x) { try anomalyScoreBlock($0, terms: terms, config: config, using: &rng) }
  }

  private func anomalyScoreBlock(_ x: Tensor, terms: AnomalyTerms, config: LangevinConfig, using rng: inout RandomGenerator) throws -> Tensor {
    let n = x.shape[0]
    let xb = try x.reshaped([n] + generator.outputShape)
    let z = try samplePosterior(xb, from: posteriorStarts(xb, std: config.initStd, using: &rng), config: config, using: &rng)
    return try withoutGradients {
      var score = try Tensor.zeros([n])
      if terms.contains(.reconstruction) {
        score = try score + negativeLogLikelihood(xb, given: z)
      }
      if terms.contains(.energy) { score = try score + energy(z) }
      if terms.contains(.gaussian) { score = try score + z.square().sum(axes: [1]) / (2 * priorSigma * priorSigma) }
      return score
    }
  }
}

/// The terms of the anomaly score: the reconstruction term ‖x − g(z)‖²/(2σ²) (for text, −log p_β(x | z)), the learned energy
/// E_α(z), and the base prior's ‖z‖²/(2σ0²).
public struct AnomalyTerms: OptionSet, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  public static let reconstruction = AnomalyTerms(rawValue: 1)
  public static let energy = AnomalyTerms(rawValue: 2)
  public static let gaussian = AnomalyTerms(rawValue: 4)
  public static let all: AnomalyTerms = [.reconstruction, .energy, .gaussian]
  /// The names scripts use, in order.
  public static let names: [(String, AnomalyTerms)] = [("reconstruction", .reconstruction), ("energy", .energy), ("gaussian", .gaussian)]
}

/// The area under the precision–recall curve for `scores` (higher = positive) against `labels`
/// (true = positive, e.g. anomalous): the trapezoidal area under the curve of
/// scikit-learn's `precision_recall_curve`, as Zenati et al. and the latent EBM paper compute it.
public func auprc(scores: [Float], labels: [Bool]) throws -> Float {
  guard scores.count == labels.count, !scores.isEmpty else {
    throw LatentEBMError.invalidArgument("auprc: needs as many labels as scores (got \(scores.count) and \(labels.count)), at least one")
  }
  guard scores.allSatisfy(\.isFinite) else { throw LatentEBMError.invalidArgument("auprc: scores must be finite") }
  let positives = labels.filter { $0 }.count
  guard positives > 0 else { throw LatentEBMError.invalidArgument("auprc: there are no positive labels") }
  // Thresholds at each distinct score, from high to low.
  let order = scores.indices.sorted { scores[$0] > scores[$1] }
  var points: [(recall: Double, precision: Double)] = []
  var tp = 0, fp = 0, i = 0
  while i < order.count {
    let t = scores[order[i]]
    while i < order.count && scores[order[i]] == t {
      if labels[order[i]] { tp += 1 } else { fp += 1 }
      i += 1
    }
    points.append((Double(tp) / Double(positives), Double(tp) / Double(tp + fp)))
  }
  // sklearn appends (recall 0, precision 1) and integrates over recall.
  points.insert((0, 1), at: 0)
  var area = 0.0
  for k in 1..<points.count {
    area += (points[k].recall - points[k - 1].recall) * (points[k].precision + points[k - 1].precision) / 2
  }
  return Float(area)
}

/// The biased estimate of the squared maximum mean discrepancy between two samples, with the sum
/// of Gaussian kernels `k(a, b) = Σ_h exp(−‖a − b‖² / (2h²))`:
///
/// `MMD² = mean k(X, X′) + mean k(Y, Y′) − 2 mean k(X, Y)`.
public func mmd(_ x: Tensor, _ y: Tensor, bandwidths: [Float] = [0.1, 0.3, 1.0]) throws -> Float {
  guard x.rank == 2, y.rank == 2, x.shape[1] == y.shape[1], x.shape[0] > 0, y.shape[0] > 0 else {
    throw LatentEBMError.shape("mmd: samples must be [N, d] and [M, d], got \(formatShape(x.shape)) and \(formatShape(y.shape))")
  }
  guard !bandwidths.isEmpty, bandwidths.allSatisfy({ $0 > 0 }) else {
    throw LatentEBMError.invalidArgument("mmd: bandwidths must be positive")
  }
  return try withoutGradients {
    Float(try meanKernel(x, x, bandwidths) + meanKernel(y, y, bandwidths) - 2 * meanKernel(x, y, bandwidths))
  }
}

/// mean over all pairs (i, j) of Σ_h exp(−‖aᵢ − b_j‖² / (2h²)).
private func meanKernel(_ a: Tensor, _ b: Tensor, _ bandwidths: [Float]) throws -> Double {
  let aa = try a.square().sum(axes: [1], keepDims: true)
  let bb = try b.square().sum(axes: [1], keepDims: true).transposed()
  let d2 = try (aa + bb) - Tensor.matmul(a, b, transposeB: true) * 2
  var total = 0.0
  d2.withUnsafeBufferPointer { p in
    for v in p {
      let dd = Swift.max(v, 0)
      for h in bandwidths { total += Double(expf(-dd / (2 * h * h))) }
    }
  }
  return total / Double(d2.count)
}

/// The expected value of ``mmd(_:_:bandwidths:)`` for two independent samples of sizes `n` and
/// `m` from one distribution, estimated from the sample `y` (at least 2 rows): the noise floor of
/// the biased estimate. With `K₀ = k(a, a)` (the number of bandwidths) and `k̄ = E k(a, b)` over
/// independent a, b (estimated by the mean over the off-diagonal pairs of y),
///
/// `E MMD² = (1/n + 1/m) · (K₀ − k̄)`,
///
/// because the diagonal terms contribute K₀/n and K₀/m and every other pair k̄. An MMD² near the
/// floor means the samples are as close to y as a second sample of the data would be.
public func mmdFloor(_ y: Tensor, n: Int, m: Int, bandwidths: [Float] = [0.1, 0.3, 1.0]) throws -> Float {
  guard y.rank == 2, y.shape[0] >= 2 else {
    throw LatentEBMError.shape("mmd floor: needs [M, d] data with M ≥ 2, got \(formatShape(y.shape))")
  }
  guard n > 0, m > 0 else { throw LatentEBMError.invalidArgument("mmd floor: sample sizes must be positive, got \(n) and \(m)") }
  guard !bandwidths.isEmpty, bandwidths.allSatisfy({ $0 > 0 }) else {
    throw LatentEBMError.invalidArgument("mmd: bandwidths must be positive")
  }
  let rows = Double(y.shape[0]), k0 = Double(bandwidths.count)
  let withDiagonal = try withoutGradients { try meanKernel(y, y, bandwidths) }
  let offDiagonal = (withDiagonal - k0 / rows) / (1 - 1 / rows)
  return Float((1 / Double(n) + 1 / Double(m)) * (k0 - offDiagonal))
}

/// The share of samples near one of a set of centres, and how those near-mode samples divide among
/// the centres: sample i is near centre k when ‖xᵢ − c_k‖ ≤ radius (k the nearest centre).
/// Returns the near-mode share (near / N) and, per centre, its count of near samples.
public func modeCoverage(_ x: Tensor, centres: Tensor, radius: Float) throws -> (near: Float, counts: [Int]) {
  guard x.rank == 2, centres.rank == 2, x.shape[1] == centres.shape[1], x.shape[0] > 0, centres.shape[0] > 0 else {
    throw LatentEBMError.shape("mode coverage: samples must be [N, d] and centres [K, d], got \(formatShape(x.shape)) and \(formatShape(centres.shape))")
  }
  guard radius > 0, radius.isFinite else { throw LatentEBMError.invalidArgument("mode coverage: the radius must be positive, got \(radius)") }
  let p = x.scalars, c = centres.scalars, d = x.shape[1], k = centres.shape[0]
  var counts = [Int](repeating: 0, count: k)
  for i in 0..<x.shape[0] {
    var best = Float.infinity, which = 0
    for j in 0..<k {
      var s: Float = 0
      for t in 0..<d { let u = p[i * d + t] - c[j * d + t]; s += u * u }
      if s < best { best = s; which = j }
    }
    if best <= radius * radius { counts[which] += 1 }
  }
  return (Float(counts.reduce(0, +)) / Float(x.shape[0]), counts)
}

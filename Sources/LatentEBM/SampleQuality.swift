// Sample-quality measures on feature matrices: the Fréchet distance between Gaussian fits, and
// precision and recall from k-nearest-neighbour balls. docs/method.md, "Sample quality".
import Engine
import Glibc

/// The Fréchet distance between Gaussian fits to two sets of feature rows, and its parts.
public struct FrechetDistance: Sendable {
  /// ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{½} Σ₂ Σ₁^{½})^{½}.
  public var distance: Double
  /// ‖μ₁ − μ₂‖², the part from the means.
  public var meanTerm: Double
  /// The rest, from the covariances.
  public var covarianceTerm: Double
  /// Rows in each set, and the feature width.
  public var samples: Int, reference: Int, features: Int
}

/// Improved precision and recall (Kynkäänniemi et al., 2019) of samples against a reference set.
public struct PrecisionRecall: Sendable {
  /// The share of samples inside at least one reference k-NN ball.
  public var precision: Double
  /// The share of reference rows inside at least one sample k-NN ball.
  public var recall: Double
  public var k: Int, samples: Int, reference: Int
}

/// Measures of how close a set of samples lies to a reference set, on feature rows `[N, d]` (a
/// ``FeatureClassifier``'s features, or any other embedding). Everything is computed in Double.
public enum SampleQuality {
  /// The widest feature rows ``frechetDistance(_:_:names:)`` takes: its d × d eigendecompositions
  /// take seconds at this width and grow as d³.
  public static let maximumFeatures = 1024

  /// The Fréchet distance (the squared 2-Wasserstein distance) between the Gaussians fitted to
  /// the rows of `a` and of `b`, as FID computes it on Inception features (Heusel et al., 2017):
  ///
  ///     d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{½} Σ₂ Σ₁^{½})^{½},
  ///
  /// with unbiased covariances (divided by n − 1). tr (Σ₁Σ₂)^{½} equals the last trace because
  /// Σ₁Σ₂ is similar to the symmetric Σ₁^{½} Σ₂ Σ₁^{½}; both square roots come from symmetric
  /// eigendecompositions (``symmetricEigen(_:size:)``), negative eigenvalues from rounding taken as 0.
  /// - Throws: if the widths differ, a set has no more rows than features (its covariance could
  ///   not have full rank), or a value is not finite.
  public static func frechetDistance(_ a: Tensor, _ b: Tensor, names: (String, String) = ("the samples", "the reference")) throws -> FrechetDistance {
    let d = try checkPair(a, b, names)
    guard d <= maximumFeatures else {
      throw LatentEBMError.invalidArgument("\(names.0) have \(d) features; the Fréchet distance takes at most \(maximumFeatures) "
        + "(its eigendecompositions cost d³): measure in a classifier's features, or reduce the rows first")
    }
    for (t, name) in [(a, names.0), (b, names.1)] where t.shape[0] <= d {
      throw LatentEBMError.invalidArgument("\(name) has \(t.shape[0]) rows for \(d) features; a \(d) × \(d) covariance "
        + "needs more rows than features (give at least \(d + 1))")
    }
    let (m1, s1) = moments(a), (m2, s2) = moments(b)
    var meanTerm = 0.0
    for i in 0..<d { meanTerm += (m1[i] - m2[i]) * (m1[i] - m2[i]) }
    var trace = 0.0
    for i in 0..<d { trace += s1[i * d + i] + s2[i * d + i] }
    let root1 = try symmetricSquareRoot(s1, size: d)
    let m = multiply(multiply(root1, s2, d), root1, d)
    let mu = try symmetricEigen(symmetrized(m, d), size: d).values
    let cross = mu.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
    let cov = Swift.max(trace - 2 * cross, 0)
    return FrechetDistance(distance: meanTerm + cov, meanTerm: meanTerm, covarianceTerm: cov,
                           samples: a.shape[0], reference: b.shape[0], features: d)
  }

  /// Improved precision and recall (Kynkäänniemi et al., 2019). Each reference row r_j gets a
  /// ball of radius ρ_k(r_j), the distance to its k-th nearest other reference row; likewise each
  /// sample. Then
  ///
  ///     precision = (1/M) Σ_i [∃ j: ‖s_i − r_j‖ ≤ ρ_k(r_j)],
  ///     recall    = (1/N) Σ_j [∃ i: ‖r_j − s_i‖ ≤ ρ_k(s_i)]:
  ///
  /// precision is the share of samples that look like some data, recall the share of data that
  /// some sample looks like. Distances are Euclidean on the rows, in blocks of 1000 rows.
  /// - Throws: if the widths differ, k ≤ 0 or k ≥ a set's rows, or a value is not finite.
  public static func precisionRecall(samples s: Tensor, reference r: Tensor, k: Int = 3) throws -> PrecisionRecall {
    _ = try checkPair(s, r, ("the samples", "the reference"))
    let smallest = Swift.min(s.shape[0], r.shape[0])
    guard k >= 1, k < smallest else {
      throw LatentEBMError.invalidArgument("k must be in 1…\(smallest - 1) (fewer than the rows of each set: "
        + "\(s.shape[0]) samples, \(r.shape[0]) reference rows), got \(k)")
    }
    let rr = try kthNeighbourRadii(r, k: k), rs = try kthNeighbourRadii(s, k: k)
    let precision = try shareCovered(s, by: r, radii: rr)
    let recall = try shareCovered(r, by: s, radii: rs)
    return PrecisionRecall(precision: precision, recall: recall, k: k, samples: s.shape[0], reference: r.shape[0])
  }

  // MARK: - Pieces

  private static func checkPair(_ a: Tensor, _ b: Tensor, _ names: (String, String)) throws -> Int {
    for (t, name) in [(a, names.0), (b, names.1)] {
      guard t.rank == 2, t.shape[0] >= 1, t.shape[1] >= 1 else {
        throw LatentEBMError.shape("\(name) must be feature rows [N, d], got \(formatShape(t.shape))")
      }
      guard t.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
        throw LatentEBMError.invalidArgument("\(name) hold a value that is not finite")
      }
    }
    guard a.shape[1] == b.shape[1] else {
      throw LatentEBMError.shape("\(names.0) have \(a.shape[1]) features and \(names.1) \(b.shape[1]); they must have the same width")
    }
    return a.shape[1]
  }

  /// The mean and the unbiased covariance (row-major d × d) of the rows of x, in Double.
  static func moments(_ x: Tensor) -> (mean: [Double], covariance: [Double]) {
    let n = x.shape[0], d = x.shape[1]
    var mean = [Double](repeating: 0, count: d)
    var cov = [Double](repeating: 0, count: d * d)
    x.withUnsafeBufferPointer { p in
      for i in 0..<n { for j in 0..<d { mean[j] += Double(p[i * d + j]) } }
      for j in 0..<d { mean[j] /= Double(n) }
      var row = [Double](repeating: 0, count: d)
      for i in 0..<n {
        for j in 0..<d { row[j] = Double(p[i * d + j]) - mean[j] }
        for a in 0..<d where row[a] != 0 {
          let ra = row[a]
          for b in a..<d { cov[a * d + b] += ra * row[b] }
        }
      }
    }
    let scale = 1 / Double(Swift.max(n - 1, 1))
    for a in 0..<d {
      for b in a..<d {
        cov[a * d + b] *= scale
        cov[b * d + a] = cov[a * d + b]
      }
    }
    return (mean, cov)
  }

  static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
    var c = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for k in 0..<n where a[i * n + k] != 0 {
        let aik = a[i * n + k]
        for j in 0..<n { c[i * n + j] += aik * b[k * n + j] }
      }
    }
    return c
  }

  static func symmetrized(_ a: [Double], _ n: Int) -> [Double] {
    var s = a
    for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { let m = (a[i * n + j] + a[j * n + i]) / 2; s[i * n + j] = m; s[j * n + i] = m } }
    return s
  }

  /// The symmetric square root U diag(√max(λ, 0)) Uᵀ of a symmetric positive semi-definite matrix.
  static func symmetricSquareRoot(_ a: [Double], size n: Int) throws -> [Double] {
    let (values, u) = try symmetricEigen(a, size: n)
    var r = [Double](repeating: 0, count: n * n)
    for k in 0..<n {
      let s = Swift.max(values[k], 0).squareRoot()
      guard s > 0 else { continue }
      for i in 0..<n where u[i * n + k] != 0 {
        let uik = s * u[i * n + k]
        for j in 0..<n { r[i * n + j] += uik * u[j * n + k] }
      }
    }
    return r
  }

  /// Eigenvalues and eigenvectors of a symmetric matrix (row-major n × n) by the cyclic Jacobi
  /// method: rotations J(p, q, θ) with tan θ = t, t the smaller root of t² + 2ϑt − 1 = 0,
  /// ϑ = (a_qq − a_pp)/(2 a_pq), zero each off-diagonal entry in turn, A ← Jᵀ A J, V ← V J, until
  /// the off-diagonal sum of squares is below 10⁻²⁴ of the whole (at most 60 sweeps). Column k of
  /// `vectors` belongs to `values[k]`; the values are not sorted. Polls ``Interrupt`` every sweep.
  public static func symmetricEigen(_ matrix: [Double], size n: Int) throws -> (values: [Double], vectors: [Double]) {
    var a = matrix
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    var total = 0.0
    for x in a { total += x * x }
    guard n > 1, total > 0 else { return ((0..<n).map { a[$0 * n + $0] }, v) }
    try a.withUnsafeMutableBufferPointer { a in
      try v.withUnsafeMutableBufferPointer { v in
        for _ in 0..<60 {
          try Interrupt.check()
          var off = 0.0
          for p in 0..<n { for q in (p + 1)..<Swift.max(n, p + 1) { off += a[p * n + q] * a[p * n + q] } }
          if 2 * off <= 1e-24 * total { break }
          for p in 0..<(n - 1) {
            for q in (p + 1)..<n {
              let apq = a[p * n + q]
              guard apq != 0, apq * apq > 1e-36 * total else { continue }
              let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
              let t = Swift.abs(theta) > 1e150 ? 1 / (2 * theta)
                : (theta >= 0 ? 1 : -1) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
              let c = 1 / (t * t + 1).squareRoot(), s = t * c
              for k in 0..<n {
                let akp = a[k * n + p], akq = a[k * n + q]
                a[k * n + p] = c * akp - s * akq
                a[k * n + q] = s * akp + c * akq
              }
              for k in 0..<n {
                let apk = a[p * n + k], aqk = a[q * n + k]
                a[p * n + k] = c * apk - s * aqk
                a[q * n + k] = s * apk + c * aqk
              }
              for k in 0..<n {
                let vkp = v[k * n + p], vkq = v[k * n + q]
                v[k * n + p] = c * vkp - s * vkq
                v[k * n + q] = s * vkp + c * vkq
              }
            }
          }
        }
      }
    }
    return ((0..<n).map { a[$0 * n + $0] }, v)
  }

  /// Squared Euclidean distances between the rows `start..<end` of x and every row of y, as a
  /// row-major block, from ‖x‖² + ‖y‖² − 2 x·y (clamped at 0).
  private static func squaredDistances(_ x: Tensor, _ start: Int, _ end: Int, _ y: Tensor, _ yNorms: [Float]) throws -> [Float] {
    let xb = try x.slice(axis: 0, start: start, end: end)
    let dot = try Tensor.matmul(xb, y, transposeB: true)
    let d = x.shape[1], m = y.shape[0]
    var out = dot.scalars
    xb.withUnsafeBufferPointer { p in
      for i in 0..<(end - start) {
        var nx: Float = 0
        for j in 0..<d { nx += p[i * d + j] * p[i * d + j] }
        for j in 0..<m { out[i * m + j] = Swift.max(nx + yNorms[j] - 2 * out[i * m + j], 0) }
      }
    }
    return out
  }

  private static func rowNorms(_ y: Tensor) -> [Float] {
    let d = y.shape[1]
    return y.withUnsafeBufferPointer { p in (0..<y.shape[0]).map { i in (0..<d).reduce(Float(0)) { $0 + p[i * d + $1] * p[i * d + $1] } } }
  }

  /// For each row, the squared distance to its k-th nearest other row (the (k+1)-th smallest
  /// distance, counting the row itself at 0).
  static func kthNeighbourRadii(_ x: Tensor, k: Int) throws -> [Float] {
    let n = x.shape[0], norms = rowNorms(x)
    var radii = [Float](repeating: 0, count: n)
    var start = 0
    while start < n {
      let end = Swift.min(n, start + 1000)
      try Interrupt.check()
      let block = try squaredDistances(x, start, end, x, norms)
      for i in 0..<(end - start) {
        var best = [Float](repeating: .infinity, count: k + 1)  // ascending
        for j in 0..<n {
          let dij = j == start + i ? 0 : block[i * n + j]
          if dij < best[k] {
            var pos = k
            while pos > 0 && best[pos - 1] > dij { best[pos] = best[pos - 1]; pos -= 1 }
            best[pos] = dij
          }
        }
        radii[start + i] = best[k]
      }
      start = end
    }
    return radii
  }

  /// The share of rows of x within the ball of at least one row of y (squared radii given).
  static func shareCovered(_ x: Tensor, by y: Tensor, radii: [Float]) throws -> Double {
    let n = x.shape[0], m = y.shape[0], norms = rowNorms(y)
    var inside = 0
    var start = 0
    while start < n {
      let end = Swift.min(n, start + 1000)
      try Interrupt.check()
      let block = try squaredDistances(x, start, end, y, norms)
      for i in 0..<(end - start) where (0..<m).contains(where: { block[i * m + $0] <= radii[$0] }) { inside += 1 }
      start = end
    }
    return Double(inside) / Double(n)
  }
}

import CBLAS

/// C = α · op(A) · op(B) + β · C on row-major buffers, through OpenBLAS. Large products are split
/// into two blocks of C's columns (or rows, when it is narrow) that run at once, each on
/// single-threaded OpenBLAS (see ``Threads``).
@inline(__always)
func sgemm(
  _ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  if Threads.count > 1 && !insideParallelWork && m * n * k >= 1 << 20 && (n >= 128 || m >= 128) {
    if n >= 128 {
      let h = (n / 2 + 15) / 16 * 16  // a multiple of 16 columns, for the kernels' alignment
      concurrently(2) { i in
        let n0 = i == 0 ? 0 : h, nn = i == 0 ? h : n - h
        sgemmSerial(transA, transB, m: m, n: nn, k: k, alpha: alpha, a, lda: lda, transB ? b + n0 * ldb : b + n0, ldb: ldb,
                    beta: beta, c + n0, ldc: ldc)
      }
    } else {
      let h = (m / 2 + 15) / 16 * 16
      concurrently(2) { i in
        let m0 = i == 0 ? 0 : h, mm = i == 0 ? h : m - h
        sgemmSerial(transA, transB, m: mm, n: n, k: k, alpha: alpha, transA ? a + m0 : a + m0 * lda, lda: lda, b, ldb: ldb,
                    beta: beta, c + m0 * ldc, ldc: ldc)
      }
    }
    return
  }
  sgemmSerial(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

@inline(__always)
private func sgemmSerial(
  _ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
  beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  if k == 0 {
    if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
    return
  }
  cblas_sgemm(
    CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

extension Tensor {
  /// The matrix product `op(a) · op(b)`, where `op` transposes the last two axes when asked —
  /// without copying: the flags go straight to `cblas_sgemm`. Rank-2 operands give a matrix; a
  /// rank-3 `a` of shape `[B, m, k]` with a rank-2 `b` multiplies each of the B matrices, and two
  /// rank-3 operands with the same B multiply pairwise.
  ///
  /// Concretely, for rank 2: `C[i, j] = Σₖ A[i, k] · B[k, j]`.
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
    guard a.rank >= 2, b.rank >= 2, a.rank <= 3, b.rank <= 3 else {
      throw TensorError.shapeMismatch(op: "matmul", shapes: [a.shape, b.shape], detail: "operands must be matrices or batches of matrices")
    }
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transposeA ? (ac, ar) : (ar, ac)
    let (k2, n) = transposeB ? (bc, br) : (br, bc)
    let batchA = a.rank == 3 ? a.shape[0] : 1, batchB = b.rank == 3 ? b.shape[0] : 1
    guard k == k2, batchA == batchB || batchB == 1 || batchA == 1 else {
      throw TensorError.shapeMismatch(op: "matmul", shapes: [a.shape, b.shape],
        detail: "inner sizes \(k) and \(k2) differ" + (transposeA || transposeB ? " (after transposes)" : ""))
    }
    let batch = Swift.max(batchA, batchB)
    let outShape = (a.rank == 3 || b.rank == 3) ? [batch, m, n] : [m, n]
    let y = try Tensor(uninitialized: outShape, op: "matmul")
    let ap = a.storage.pointer, bp = b.storage.pointer, yp = y.storage.pointer
    if batchB == 1 && a.rank == 3 && !transposeA {
      // One GEMM over the stacked rows of every matrix in a.
      try interruptibleSgemm(false, transposeB, m: batch * m, n: n, k: k, ap, lda: ac, bp, ldb: bc, yp, ldc: n)
    } else {
      for i in 0..<batch {
        try interruptibleSgemm(transposeA, transposeB, m: m, n: n, k: k,
              ap + (batchA == 1 ? 0 : i * ar * ac), lda: ac, bp + (batchB == 1 ? 0 : i * br * bc), ldb: bc,
              yp + i * m * n, ldc: n)
      }
    }
    return y.recorded("matmul", [a, b]) { g, need in
      // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC, with the transposes folded into the flags.
      var ga: Tensor? = nil, gb: Tensor? = nil
      if need[0] {
        let d = transposeA
          ? try matmul(b, g, transposeA: transposeB, transposeB: true)
          : try matmul(g, b, transposeA: false, transposeB: !transposeB)
        ga = try d.sum(to: a.shape)
      }
      if need[1] {
        let d = transposeB
          ? try matmul(g, a, transposeA: true, transposeB: transposeA)
          : try matmul(a, g, transposeA: !transposeA, transposeB: false)
        gb = batchB == 1 && d.rank == 3 ? try d.sum(axes: [0]) : d
      }
      return [ga, gb]
    }
  }

  /// Products of at least this many multiply-adds (m·n·k) run in blocks of
  /// ``interruptibleBlockRows`` rows of the result, with an interrupt check between blocks, so
  /// Ctrl-C stops a long product (`randn([8000, 8000]) @ randn([8000, 8000])`) within a block.
  /// Splitting by rows leaves each result's sum over k as it was. Settable for tests.
  nonisolated(unsafe) static var interruptibleProductSize = 1 << 32
  /// The rows of the result per block of a large product (enough that packing B again for each
  /// block costs little). Settable for tests.
  nonisolated(unsafe) static var interruptibleBlockRows = 256

  /// ``sgemm`` for `matmul`: large products in blocks of rows with ``Interrupt/check()`` between.
  private static func interruptibleSgemm(
    _ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int
  ) throws {
    let rows = Swift.max(1, interruptibleBlockRows)
    guard m >= 2 * rows, m * n * k >= interruptibleProductSize else {
      sgemm(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc)
      return
    }
    var m0 = 0
    while m0 < m {
      if m0 > 0 { try Interrupt.check() }
      let mm = Swift.min(rows, m - m0)
      sgemm(transA, transB, m: mm, n: n, k: k, transA ? a + m0 : a + m0 * lda, lda: lda, b, ldb: ldb, c + m0 * ldc, ldc: ldc)
      m0 += mm
    }
  }

  /// `self · other` (see ``matmul(_:_:transposeA:transposeB:)``).
  public func matmul(_ other: Tensor) throws -> Tensor { try Tensor.matmul(self, other) }
}

infix operator •: MultiplicationPrecedence

extension Tensor {
  /// The matrix product, as the language's `@`.
  public static func • (a: Tensor, b: Tensor) throws -> Tensor { try matmul(a, b) }
}

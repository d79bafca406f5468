import CKernels

extension Conv2d: PlannableLayer {
  func plannedKernels(input: [Int]) throws -> [LayerKernel] {
    [try ConvKernel(transposed: false, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: 0, input: input)]
  }
}

extension ConvTranspose2d: PlannableLayer {
  func plannedKernels(input: [Int]) throws -> [LayerKernel] {
    [try ConvKernel(transposed: true, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, input: input)]
  }
}

/// Conv2d or ConvTranspose2d as GEMMs over chunks of the batch, on scratch its plan keeps (shared by the plan's convolutions).
///
/// The column buffer of a whole batch is large (52 MB for the SVHN generator's third layer), so the
/// batch is cut into chunks whose columns fit in cache (about 8 MB): im2col writes and col2im reads
/// hit cache instead of memory, and the GEMMs stay wide (N = chunk·H·W ≥ 512).
final class ConvKernel: LayerKernel {
  let transposed: Bool, w: Tensor, b: Tensor?
  let n: Int, cin: Int, cout: Int, k: Int
  let geometry: ConvGeometry
  let outputShape: [Int]
  let plane: Int, ck: Int, chunk: Int
  let inCount: Int, outCount: Int
  /// Scratch of `cnCount` and `colCount` floats, which the plan hands out (shared among its layers).
  let cnCount: Int, colCount: Int
  var cn: UnsafeMutablePointer<Float>! = nil, cols: UnsafeMutablePointer<Float>! = nil
  /// A transposed convolution of a 1×1 input without padding (a generator's first layer) is one
  /// product: `y[n, (co, i, j)] = Σ_ci x[n, ci] W[ci, (co, i, j)]`, and `dx = dy Wᵀ`.
  let direct: Bool
  /// W (forward) and Wᵀ (backward) packed, for the direct case, while ``packed`` is on.
  private var packedF: UnsafeMutablePointer<Float>? = nil, packedB: UnsafeMutablePointer<Float>? = nil
  private var packed = false
  /// LeakyReLU's slope when the plan runs the next layer, a LeakyReLU in place, here: applied
  /// to the output with the bias, as col2im writes it.
  var fusedSlope: Float? = nil
  /// A transposed convolution to few output channels (`cout·k·k ≤ 256`, a generator's last layer:
  /// 128 → 3 or 1) runs image by image on the packed kernels, where a general GEMM is slow on
  /// products this thin. Forward: `cols = Wᵀ · x[n]` (x[n] as `[cin, H·W]`, packed), then col2im;
  /// input gradient: `dx[n] = W · im2col(dy[n])` (the columns packed), written in NCHW directly.
  /// Images are shared among up to `parts` threads, each on its own slice of the scratch.
  let perImage: Bool, parts: Int, partFloats: Int

  init(transposed: Bool, weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int, outputPadding op: Int, input: [Int]) throws {
    guard input.count == 4 else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input], detail: "convolution input must be [N, C, H, W]")
    }
    self.transposed = transposed; w = weight; b = bias
    let cnShape: [Int]
    n = input[0]
    let (h, wd) = (input[2], input[3])
    k = weight.shape[2]
    if transposed {
      (cin, cout) = (weight.shape[0], weight.shape[1])
      guard input[1] == cin else { throw TensorError.shapeMismatch(op: "plan", shapes: [input, weight.shape], detail: "channels differ") }
      let oh = (h - 1) * s - 2 * p + k + op, ow = (wd - 1) * s - 2 * p + k + op
      geometry = ConvGeometry(channels: cout, h: oh, w: ow, k: k, stride: s, padding: p, oh: h, ow: wd)
      outputShape = [n, cout, oh, ow]
      plane = h * wd; ck = cout * k * k
      direct = h == 1 && wd == 1 && p == 0 && op == 0
      cnShape = direct ? [1] : [cin, n, plane]
    } else {
      (cout, cin) = (weight.shape[0], weight.shape[1])
      guard input[1] == cin else { throw TensorError.shapeMismatch(op: "plan", shapes: [input, weight.shape], detail: "channels differ") }
      let oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1
      geometry = ConvGeometry(channels: cin, h: h, w: wd, k: k, stride: s, padding: p, oh: oh, ow: ow)
      outputShape = [n, cout, oh, ow]
      plane = oh * ow; ck = cin * k * k
      direct = false
      cnShape = [cout, n, plane]
    }
    inCount = input[1] * h * wd
    outCount = outputShape[1] * outputShape[2] * outputShape[3]
    chunk = ConvChunks(batch: n, columnsPerImage: ck * plane).size
    perImage = transposed && !direct && ck <= 256 && plane >= 16 && PackedGEMM.available
    parts = Swift.max(1, Swift.min(Threads.count, n))
    // Per part: a packed matrix (x[n] or the columns, panels of 16) and the columns, each rounded
    // up to 16 floats so that every part's packed matrix starts 64-byte aligned.
    let packedFloats = lebm_packed_size(Int32(Swift.max(cin, ck)), Int32(plane))
    partFloats = (packedFloats + 15) / 16 * 16 + (ck * plane + 15) / 16 * 16
    // Both scratch sizes are checked against the engine's limit before the plan allocates any.
    cnCount = try MemoryLimit.count(of: perImage ? [ck, cin] : cnShape, op: "plan")
    colCount = try MemoryLimit.count(of: direct ? [1] : perImage ? [parts, partFloats] : [ck, chunk, plane], op: "plan")
  }
  deinit { packedF?.deallocate(); packedB?.deallocate() }

  /// Packs the weight for the direct products that follow (see ``LinearKernel/pack()``).
  func pack() {
    guard direct, PackedGEMM.available else { return }
    if packedF == nil {
      packedF = PackedGEMM.allocate(k: cin, n: ck)
      packedB = PackedGEMM.allocate(k: ck, n: cin)
    }
    lebm_pack(w.storage.pointer, Int32(cin), Int32(ck), packedF)
    lebm_pack_transposed(w.storage.pointer, Int32(cin), Int32(ck), packedB)
    packed = true
  }
  func unpack() { packed = false }

  var scratchCounts: (cn: Int, cols: Int) { (cnCount, colCount) }
  func useScratch(cn: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>) { self.cn = cn; self.cols = cols }

  /// A transposed convolution through col2im takes over a LeakyReLU run in place after it.
  func absorbForward(of next: LayerKernel) -> Bool {
    guard transposed, !direct, let slope = next.leakySlope else { return false }
    fusedSlope = slope
    return true
  }

  /// Calls `body(first, count)` for each chunk of the batch.
  @inline(__always) private func chunks(_ body: (Int, Int) -> Void) {
    var n0 = 0
    while n0 < n { let c = Swift.min(chunk, n - n0); body(n0, c); n0 += c }
  }

  /// Calls `body(image, scratch)` for every image, on up to ``parts`` threads (serially inside
  /// parallel work), each thread with its own slice of the column scratch. What an image's result
  /// is does not depend on which thread computes it.
  private func eachImage(_ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
    let p = insideParallelWork ? 1 : Swift.min(parts, Threads.count)
    if p <= 1 { for i in 0..<n { body(i, cols) }; return }
    let scratch: UnsafeMutablePointer<Float> = cols, size = partFloats, count = n
    concurrently(p) { part in
      var i = part
      while i < count { body(i, scratch + part * size); i += p }
    }
  }

  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let wp = w.storage.pointer, ld = n * plane
    // The transposed products through col2im add the bias (and the fused LeakyReLU) there.
    let bp = b.map { UnsafePointer($0.storage.pointer) }, slope = fusedSlope
    if perImage {
      // A = Wᵀ, [ck, cin] row-major (W is [cin, ck]).
      let wt: UnsafeMutablePointer<Float> = cn
      for ci in 0..<cin { for r in 0..<ck { wt[r * cin + ci] = wp[ci * ck + r] } }
      let packedCount = partFloats - (ck * plane + 15) / 16 * 16
      eachImage { i, scratch in
        let packedX = scratch, colsOut = scratch + packedCount
        lebm_pack(x + i * inCount, Int32(cin), Int32(plane), packedX)
        lebm_packed_gemm(Int32(ck), Int32(plane), Int32(cin), wt, Int32(cin), packedX, colsOut, Int32(plane), 0)
        col2im(colsOut, batch: 1, geometry, y + i * outCount, bias: bp, leaky: slope)
      }
    } else if direct {
      multiply(x, m: n, n: ck, k: cin, byTransposed: false, wp, packed: packed ? packedF : nil, y, accumulate: false)
    } else if transposed {
      swapBatchChannels(x, n: n, c: cin, plane: plane, cn)
      chunks { n0, c in
        sgemm(true, false, m: ck, n: c * plane, k: cin, wp, lda: ck, cn + n0 * plane, ldb: ld, cols, ldc: c * plane)
        col2im(cols, batch: c, geometry, y + n0 * outCount, bias: bp, leaky: slope)
      }
    } else {
      chunks { n0, c in
        im2col(x + n0 * inCount, batch: c, geometry, cols)
        sgemm(false, false, m: cout, n: c * plane, k: ck, wp, lda: ck, cols, ldb: c * plane, cn + n0 * plane, ldc: ld)
      }
      swapBatchChannels(cn, n: cout, c: n, plane: plane, y)
    }
    if perImage || (transposed && !direct) { return }
    let op = outputShape[2] * outputShape[3]
    if let bp {
      for i in 0..<n { for j in 0..<cout { let v = bp[j], row = y + (i * cout + j) * op; for q in 0..<op { row[q] += v } } }
    }
    if let slope { leakyForward(y, y, slope, 0, n * cout * op) }
  }

  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    let wp = w.storage.pointer, ld = n * plane
    if perImage {
      let packedCount = partFloats - (ck * plane + 15) / 16 * 16
      eachImage { i, scratch in
        let packedCols = scratch, colsIn = scratch + packedCount
        im2col(dy + i * outCount, batch: 1, geometry, colsIn)
        lebm_pack(colsIn, Int32(ck), Int32(plane), packedCols)
        lebm_packed_gemm(Int32(cin), Int32(plane), Int32(ck), wp, Int32(ck), packedCols, dx + i * inCount, Int32(plane), 0)
      }
    } else if direct {
      multiply(dy, m: n, n: cin, k: ck, byTransposed: true, wp, packed: packed ? packedB : nil, dx, accumulate: false)
    } else if transposed {
      chunks { n0, c in
        im2col(dy + n0 * outCount, batch: c, geometry, cols)
        sgemm(false, false, m: cin, n: c * plane, k: ck, wp, lda: ck, cols, ldb: c * plane, cn + n0 * plane, ldc: ld)
      }
      swapBatchChannels(cn, n: cin, c: n, plane: plane, dx)
    } else {
      swapBatchChannels(dy, n: n, c: cout, plane: plane, cn)
      chunks { n0, c in
        sgemm(true, false, m: ck, n: c * plane, k: cout, wp, lda: ck, cn + n0 * plane, ldb: ld, cols, ldc: c * plane)
        col2im(cols, batch: c, geometry, dx + n0 * inCount)
      }
    }
  }
}

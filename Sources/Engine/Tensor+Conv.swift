import CKernels
import Synchronization
/// 2-D convolution and transposed convolution on NCHW tensors, as in PyTorch, each done as GEMMs
/// over chunks of the batch plus an im2col or col2im pass.
///
/// The batch is laid out channel-major (`[C, N·H·W]`) so that one `cblas_sgemm` covers many
/// images: for the SVHN generator that turns 100 thin products into a few wide ones. The column
/// matrix is made for one chunk of images at a time (``ConvChunks``), in a scratch buffer freed
/// at once: for the whole batch it would take 52 MB in the SVHN generator's third layer.

/// The geometry of a convolution: an input plane `h × w` seen through a `k × k` window at
/// `stride` with `padding`, giving an output plane `oh × ow`.
struct ConvGeometry: Equatable {
  let channels: Int, h: Int, w: Int, k: Int, stride: Int, padding: Int, oh: Int, ow: Int

  /// A 4×4 kernel at stride 2 and padding 1 between `oh × ow` and `2·oh × 2·ow` (a DCGAN
  /// generator's layers): im2col and col2im have kernels of their own (`CKernels/conv_k4s2.c`).
  var isK4S2P1: Bool { k == 4 && stride == 2 && padding == 1 && h == 2 * oh && w == 2 * ow }
}

/// The output columns `ox` whose input column `ox·s − p + kx` lies inside `0..<w`.
@inline(__always)
func validColumns(_ g: ConvGeometry, _ kx: Int) -> Range<Int> {
  // ox·s − p + kx ≥ 0  ⇔  ox ≥ ⌈(p − kx)/s⌉;   ox·s − p + kx ≤ w − 1  ⇔  ox ≤ ⌊(w − 1 + p − kx)/s⌋.
  let a = g.padding - kx, b = g.w - 1 + g.padding - kx
  let lo = a <= 0 ? 0 : (a + g.stride - 1) / g.stride
  let hi = b < 0 ? 0 : Swift.min(g.ow, b / g.stride + 1)
  return lo..<Swift.max(lo, hi)
}

/// cols[(c·k + ky)·k + kx, (n·oh + oy)·ow + ox] = x[n, c, oy·s − p + ky, ox·s − p + kx] (0 outside).
///
/// (The loops here and in ``col2im`` are `while` loops: `for … in` over ranges was left as generic
/// iterator calls inside these closures in release builds, a few percent of a chain's time.)
func im2col(_ x: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, _ cols: UnsafeMutablePointer<Float>) {
  if g.isK4S2P1 {
    parallelFor(g.channels, work: g.channels * 16 * batch * g.oh * g.ow) { c in
      lebm_im2col_k4s2p1(x, Int32(batch), Int32(g.channels), Int32(c), Int32(g.oh), Int32(g.ow), cols)
    }
    return
  }
  im2colGeneral(x, batch: batch, g, cols)
}

/// ``im2col`` for any geometry, one kernel tap (one row of `cols`) at a time.
func im2colGeneral(_ x: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, _ cols: UnsafeMutablePointer<Float>) {
  let plane = g.oh * g.ow, rowLen = batch * plane, s = g.stride
  parallelFor(g.channels * g.k * g.k, work: g.channels * g.k * g.k * rowLen) { r in
    let c = r / (g.k * g.k), ky = (r / g.k) % g.k, kx = r % g.k
    let dst = cols + r * rowLen
    let valid = validColumns(g, kx), shift = kx - g.padding
    let lo = valid.lowerBound, hi = valid.upperBound
    var n = 0
    while n < batch {
      let src = x + (n * g.channels + c) * g.h * g.w
      var oy = 0
      while oy < g.oh {
        let iy = oy * s - g.padding + ky
        let row = dst + n * plane + oy * g.ow
        oy += 1
        if iy < 0 || iy >= g.h { row.update(repeating: 0, count: g.ow); continue }
        let srow = src + iy * g.w + shift
        if lo > 0 { row.update(repeating: 0, count: lo) }
        if s == 1 {
          (row + lo).update(from: srow + lo, count: hi - lo)
        } else {
          var ox = lo
          while ox < hi { row[ox] = srow[ox * s]; ox += 1 }
        }
        if hi < g.ow { (row + hi).update(repeating: 0, count: g.ow - hi) }
      }
      n += 1
    }
  }
}

/// The adjoint of ``im2col``: x[n, c, iy, ix] = Σ of the cols entries that read it; then, when
/// given, `+ bias[c]` and LeakyReLU with slope `leaky` on each value (in that order, the same
/// arithmetic as separate passes; for the 4×4 stride-2 layers while each row is in cache).
func col2im(
  _ cols: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>,
  bias: UnsafePointer<Float>? = nil, leaky: Float? = nil
) {
  if g.isK4S2P1 {
    let slope = leaky ?? 0, on: Int32 = leaky == nil ? 0 : 1
    parallelFor(g.channels, work: g.channels * 16 * batch * g.oh * g.ow) { c in
      lebm_col2im_k4s2p1_epilogue(cols, Int32(batch), Int32(g.channels), Int32(c), Int32(g.oh), Int32(g.ow), x, bias, on, slope)
    }
    return
  }
  col2imGeneral(cols, batch: batch, g, x)
  guard bias != nil || leaky != nil else { return }
  let plane = g.h * g.w
  parallelFor(g.channels, work: batch * g.channels * plane) { c in
    var n = 0
    while n < batch {
      let row = x + (n * g.channels + c) * plane
      if let bias { let v = bias[c]; var q = 0; while q < plane { row[q] += v; q += 1 } }
      if let leaky { leakyForward(row, row, leaky, 0, plane) }
      n += 1
    }
  }
}

/// ``col2im`` for any geometry: each tap's row of `cols` added into x in turn.
func col2imGeneral(_ cols: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>) {
  let plane = g.oh * g.ow, rowLen = batch * plane, s = g.stride
  parallelFor(g.channels, work: g.channels * g.k * g.k * rowLen) { c in
    var n = 0
    while n < batch { (x + (n * g.channels + c) * g.h * g.w).update(repeating: 0, count: g.h * g.w); n += 1 }
    var r = 0
    while r < g.k * g.k {
      let ky = r / g.k, kx = r % g.k
      let src = cols + (c * g.k * g.k + r) * rowLen
      r += 1
      let valid = validColumns(g, kx), shift = kx - g.padding
      let lo = valid.lowerBound, hi = valid.upperBound
      if lo >= hi { continue }
      var n = 0
      while n < batch {
        let dst = x + (n * g.channels + c) * g.h * g.w
        var oy = 0
        while oy < g.oh {
          let iy = oy * s - g.padding + ky, srow = src + n * plane + oy * g.ow
          oy += 1
          if iy < 0 || iy >= g.h { continue }
          let drow = dst + iy * g.w + shift
          var ox = lo
          if s == 1 {
            while ox < hi { drow[ox] += srow[ox]; ox += 1 }
          } else {
            while ox < hi { drow[ox * s] += srow[ox]; ox += 1 }
          }
        }
        n += 1
      }
    }
  }
}

/// [N, C, P] ↔ [C, N, P]: swaps the batch and channel axes of a batch of planes of P values.
func swapBatchChannels(_ x: UnsafePointer<Float>, n: Int, c: Int, plane: Int, _ y: UnsafeMutablePointer<Float>) {
  parallelFor(c, work: n * c * plane) { ci in
    for ni in 0..<n { (y + (ci * n + ni) * plane).update(from: x + (ni * c + ci) * plane, count: plane) }
  }
}

/// Chunks of a batch whose column matrices (`columnsPerImage` floats each) fit in about
/// ``ConvChunks/floats`` floats, and one scratch buffer for them.
struct ConvChunks {
  /// The size of one chunk's column buffer, in floats (2M = 8 MB). Any value gives the same
  /// results up to the order of the weight gradients' sums; tests make it small through
  /// ``withFloats(_:_:)`` to force chunks.
  nonisolated(unsafe) private(set) static var floats = 2 << 20
  private static let override = Mutex(())

  /// Runs `body` with chunks of `count` floats, one caller at a time (tests run in parallel).
  static func withFloats<R>(_ count: Int, _ body: () throws -> R) throws -> R {
    try override.withLock { _ in
      let saved = floats
      floats = count
      defer { floats = saved }
      return try body()
    }
  }
  let batch: Int, size: Int

  init(batch: Int, columnsPerImage: Int) {
    self.batch = batch
    size = Swift.max(1, Swift.min(batch, ConvChunks.floats / Swift.max(1, columnsPerImage)))
  }

  /// Calls `body(first, count)` for each chunk of the batch.
  @inline(__always) func forEach(_ body: (Int, Int) throws -> Void) rethrows {
    var n0 = 0
    while n0 < batch { let c = Swift.min(size, batch - n0); try body(n0, c); n0 += c }
  }

  /// Runs `body` with a scratch buffer of `count` floats (checked against the engine's limit)
  /// that is freed when it returns, outside the tensors' buffer pool.
  static func withScratch<R>(_ count: Int, op: String, _ body: (UnsafeMutablePointer<Float>) throws -> R) throws -> R {
    let n = try MemoryLimit.count(of: [Swift.max(count, 1)], op: op)
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
    defer { p.deallocate() }
    return try body(p)
  }
}

extension Tensor {
  private static func checkConv(_ op: String, x: Tensor, w: Tensor, bias: Tensor?, stride: Int, padding: Int, inAxis: Int) throws {
    guard x.rank == 4 else {
      throw TensorError.shapeMismatch(op: op, shapes: [x.shape], detail: "input must be [N, C, H, W]")
    }
    guard w.rank == 4, w.shape[2] == w.shape[3], w.shape[2] > 0 else {
      throw TensorError.shapeMismatch(op: op, shapes: [w.shape], detail: "weight must be square-kernel 4-D")
    }
    guard x.shape[1] == w.shape[inAxis] else {
      throw TensorError.shapeMismatch(op: op, shapes: [x.shape, w.shape],
        detail: "input has \(x.shape[1]) channels, weight expects \(w.shape[inAxis])")
    }
    guard stride >= 1, padding >= 0 else {
      throw TensorError.invalidArgument(op: op, message: "stride must be ≥ 1 and padding ≥ 0, got stride \(stride), padding \(padding)")
    }
    let outC = inAxis == 1 ? w.shape[0] : w.shape[1]
    if let b = bias, b.shape != [outC] {
      throw TensorError.shapeMismatch(op: op, shapes: [b.shape, [outC]], detail: "bias must have one value per output channel")
    }
  }

  /// Adds `bias[c]` to every value of channel c of an NCHW buffer.
  private static func addChannelBias(_ y: Tensor, _ bias: Tensor) {
    let (n, c) = (y.shape[0], y.shape[1]), plane = y.shape[2] * y.shape[3]
    let yp = y.storage.pointer, bp = bias.storage.pointer
    for i in 0..<n { for j in 0..<c { let v = bp[j], row = yp + (i * c + j) * plane; for q in 0..<plane { row[q] += v } } }
  }

  /// Σ over N, H, W of an NCHW gradient: the bias gradient.
  private static func channelSums(_ g: Tensor) -> Tensor {
    let (n, c) = (g.shape[0], g.shape[1]), plane = g.shape[2] * g.shape[3]
    let out = Tensor(sameSizeAs: [c])
    let gp = g.storage.pointer, op = out.storage.pointer
    for j in 0..<c {
      var s: Float = 0
      for i in 0..<n { let row = gp + (i * c + j) * plane; for q in 0..<plane { s += row[q] } }
      op[j] = s
    }
    return out
  }

  /// 2-D convolution (cross-correlation, as PyTorch's `Conv2d`).
  ///
  /// Concretely: `y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · x[n, c, i·s − p + u, j·s − p + v]`.
  /// - Parameters:
  ///   - x: input `[N, C, H, W]`.
  ///   - weight: `[O, C, k, k]`.
  ///   - bias: `[O]` or nil.
  /// - Returns: `[N, O, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]`.
  public static func conv2d(_ x: Tensor, weight w: Tensor, bias: Tensor? = nil, stride s: Int = 1, padding p: Int = 0) throws -> Tensor {
    try checkConv("conv2d", x: x, w: w, bias: bias, stride: s, padding: p, inAxis: 1)
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    guard h + 2 * p >= k, wd + 2 * p >= k else {
      throw TensorError.shapeMismatch(op: "conv2d", shapes: [x.shape, w.shape], detail: "kernel larger than the padded input")
    }
    let g = ConvGeometry(channels: c, h: h, w: wd, k: k, stride: s, padding: p, oh: (h + 2 * p - k) / s + 1, ow: (wd + 2 * p - k) / s + 1)
    let plane = g.oh * g.ow, ck = c * k * k, ld = n * plane, inCount = c * h * wd
    let chunks = ConvChunks(batch: n, columnsPerImage: ck * plane)
    let ycn = try Tensor(uninitialized: [o, n * plane], op: "conv2d")
    try ConvChunks.withScratch(ck * chunks.size * plane, op: "conv2d") { cols in
      chunks.forEach { n0, cc in
        im2col(x.storage.pointer + n0 * inCount, batch: cc, g, cols)
        sgemm(false, false, m: o, n: cc * plane, k: ck, w.storage.pointer, lda: ck, cols, ldb: cc * plane, ycn.storage.pointer + n0 * plane, ldc: ld)
      }
    }
    let y = try Tensor(uninitialized: [n, o, g.oh, g.ow], op: "conv2d")
    swapBatchChannels(ycn.storage.pointer, n: o, c: n, plane: plane, y.storage.pointer)
    if let b = bias { addChannelBias(y, b) }
    let inputs = bias.map { [x, w, $0] } ?? [x, w]
    return y.recorded("conv2d", inputs) { gy, need in
      let gcn = try Tensor(uninitialized: [o, n * plane], op: "conv2d")
      swapBatchChannels(gy.storage.pointer, n: n, c: o, plane: plane, gcn.storage.pointer)
      var gx: Tensor? = nil, gw: Tensor? = nil, gb: Tensor? = nil
      if need[0] { gx = Tensor(sameSizeAs: x.shape) }
      if need[1] { gw = Tensor(sameSizeAs: w.shape) }
      try ConvChunks.withScratch(ck * chunks.size * plane, op: "conv2d") { cols in
        chunks.forEach { n0, cc in
          let gc = gcn.storage.pointer + n0 * plane
          if let gx {
            sgemm(true, false, m: ck, n: cc * plane, k: o, w.storage.pointer, lda: ck, gc, ldb: ld, cols, ldc: cc * plane)
            col2im(cols, batch: cc, g, gx.storage.pointer + n0 * inCount)
          }
          if let gw {
            // The weight gradient sums over the chunks, in order (the same at any thread count).
            im2col(x.storage.pointer + n0 * inCount, batch: cc, g, cols)
            sgemm(false, true, m: o, n: ck, k: cc * plane, gc, lda: ld, cols, ldb: cc * plane, beta: n0 == 0 ? 0 : 1, gw.storage.pointer, ldc: ck)
          }
        }
      }
      if need.count > 2 && need[2] { gb = channelSums(gy) }
      return [gx, gw, gb]
    }
  }

  /// 2-D transposed convolution (PyTorch's `ConvTranspose2d`), the adjoint of ``conv2d``.
  ///
  /// Concretely: every input value `x[n, c, i, j]` adds `x · w[c, o, u, v]` to
  /// `y[n, o, i·s − p + u, j·s − p + v]`, then `b[o]` is added.
  /// - Parameters:
  ///   - x: input `[N, Cin, H, W]`.
  ///   - weight: `[Cin, Cout, k, k]` (PyTorch's layout).
  ///   - outputPadding: extra rows and columns on the bottom and right of the output.
  /// - Returns: `[N, Cout, (H − 1)·s − 2p + k + outputPadding, …]`.
  public static func convTranspose2d(
    _ x: Tensor, weight w: Tensor, bias: Tensor? = nil, stride s: Int = 1, padding p: Int = 0, outputPadding op: Int = 0
  ) throws -> Tensor {
    try checkConv("conv_transpose2d", x: x, w: w, bias: bias, stride: s, padding: p, inAxis: 0)
    guard op >= 0, op < s else {
      throw TensorError.invalidArgument(op: "conv_transpose2d", message: "output padding must be in 0..<stride, got \(op)")
    }
    let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (cout, k) = (w.shape[1], w.shape[2])
    let oh = (h - 1) * s - 2 * p + k + op, ow = (wd - 1) * s - 2 * p + k + op
    guard oh > 0, ow > 0 else {
      throw TensorError.shapeMismatch(op: "conv_transpose2d", shapes: [x.shape, w.shape], detail: "output would be empty")
    }
    // The output plane plays the part of conv2d's input; the input plane, of its output.
    let g = ConvGeometry(channels: cout, h: oh, w: ow, k: k, stride: s, padding: p, oh: h, ow: wd)
    let plane = h * wd, ck = cout * k * k, inCount = cin * plane, outCount = cout * oh * ow
    let chunks = ConvChunks(batch: n, columnsPerImage: (ck + cin) * plane)
    // Scratch per chunk: the chunk's input channel-major ([cin, cc·plane]) and its columns. Nothing
    // of the batch's size is kept for the backward pass but x itself.
    let xcnCount = cin * chunks.size * plane, colCount = ck * chunks.size * plane
    let y = try Tensor(uninitialized: [n, cout, oh, ow], op: "conv_transpose2d")
    try ConvChunks.withScratch(xcnCount + colCount, op: "conv_transpose2d") { scratch in
      let xcn = scratch, cols = scratch + xcnCount
      chunks.forEach { n0, cc in
        swapBatchChannels(x.storage.pointer + n0 * inCount, n: cc, c: cin, plane: plane, xcn)
        sgemm(true, false, m: ck, n: cc * plane, k: cin, w.storage.pointer, lda: ck, xcn, ldb: cc * plane, cols, ldc: cc * plane)
        col2im(cols, batch: cc, g, y.storage.pointer + n0 * outCount)
      }
    }
    if let b = bias { addChannelBias(y, b) }
    let inputs = bias.map { [x, w, $0] } ?? [x, w]
    return y.recorded("conv_transpose2d", inputs) { gy, need in
      var gx: Tensor? = nil, gw: Tensor? = nil, gb: Tensor? = nil
      if need[0] { gx = Tensor(sameSizeAs: x.shape) }
      if need[1] { gw = Tensor(sameSizeAs: w.shape) }
      try ConvChunks.withScratch(xcnCount + colCount, op: "conv_transpose2d") { scratch in
        let xcn = scratch, gcols = scratch + xcnCount
        chunks.forEach { n0, cc in
          im2col(gy.storage.pointer + n0 * outCount, batch: cc, g, gcols)
          if let gw {
            // The weight gradient sums over the chunks, in order (the same at any thread count).
            swapBatchChannels(x.storage.pointer + n0 * inCount, n: cc, c: cin, plane: plane, xcn)
            sgemm(false, true, m: cin, n: ck, k: cc * plane, xcn, lda: cc * plane, gcols, ldb: cc * plane,
                  beta: n0 == 0 ? 0 : 1, gw.storage.pointer, ldc: ck)
          }
          if let gx {
            // dx for the chunk, channel-major in the scratch, then into place.
            sgemm(false, false, m: cin, n: cc * plane, k: ck, w.storage.pointer, lda: ck, gcols, ldb: cc * plane, xcn, ldc: cc * plane)
            swapBatchChannels(xcn, n: cin, c: cc, plane: plane, gx.storage.pointer + n0 * inCount)
          }
        }
      }
      if need.count > 2 && need[2] { gb = channelSums(gy) }
      return [gx, gw, gb]
    }
  }
}

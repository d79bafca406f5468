import Testing
@testable import Engine

/// Convolutions against direct nested loops over the definition.
@Suite struct ConvolutionTests {
  func directConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor, s: Int, p: Int) throws -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1
    var y = [Float](repeating: 0, count: n * o * oh * ow)
    for ni in 0..<n { for oi in 0..<o { for i in 0..<oh { for j in 0..<ow {
      var acc = b.scalars[oi]
      for ci in 0..<c { for u in 0..<k { for v in 0..<k {
        let yy = i * s - p + u, xx = j * s - p + v
        if yy >= 0 && yy < h && xx >= 0 && xx < wd {
          acc += try w.value(at: [oi, ci, u, v]) * x.value(at: [ni, ci, yy, xx])
        }
      } } }
      y[((ni * o + oi) * oh + i) * ow + j] = acc
    } } } }
    return try Tensor(shape: [n, o, oh, ow], scalars: y)
  }

  func directConvTranspose2d(_ x: Tensor, _ w: Tensor, _ b: Tensor, s: Int, p: Int) throws -> Tensor {
    let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (cout, k) = (w.shape[1], w.shape[2])
    let oh = (h - 1) * s - 2 * p + k, ow = (wd - 1) * s - 2 * p + k
    var y = [Float](repeating: 0, count: n * cout * oh * ow)
    for ni in 0..<n { for co in 0..<cout { for i in 0..<oh { for j in 0..<ow { y[((ni * cout + co) * oh + i) * ow + j] = b.scalars[co] } } } }
    for ni in 0..<n { for ci in 0..<cin { for i in 0..<h { for j in 0..<wd {
      let v = try x.value(at: [ni, ci, i, j])
      for co in 0..<cout { for u in 0..<k { for q in 0..<k {
        let yy = i * s - p + u, xx = j * s - p + q
        if yy >= 0 && yy < oh && xx >= 0 && xx < ow {
          y[((ni * cout + co) * oh + yy) * ow + xx] += v * (try w.value(at: [ci, co, u, q]))
        }
      } } }
    } } } }
    return try Tensor(shape: [n, cout, oh, ow], scalars: y)
  }

  @Test(arguments: [(1, 0, 3), (2, 1, 3), (2, 0, 2), (1, 2, 5)])
  func conv2dMatchesLoops(_ cfg: (Int, Int, Int)) throws {
    let (s, p, k) = cfg
    let x = sample([3, 2, 7, 6], seed: 50), w = sample([4, 2, k, k], seed: 51), b = sample([4], seed: 52)
    let got = try Tensor.conv2d(x, weight: w, bias: b, stride: s, padding: p)
    let want = try directConv2d(x, w, b, s: s, p: p)
    #expect(got.shape == want.shape)
    #expect(got.isClose(to: want, tolerance: 1e-4))
  }

  @Test(arguments: [(2, 1, 4), (1, 0, 4), (2, 0, 3), (3, 1, 5)])
  func convTranspose2dMatchesLoops(_ cfg: (Int, Int, Int)) throws {
    let (s, p, k) = cfg
    let x = sample([3, 4, 4, 3], seed: 53), w = sample([4, 2, k, k], seed: 54), b = sample([2], seed: 55)
    let got = try Tensor.convTranspose2d(x, weight: w, bias: b, stride: s, padding: p)
    let want = try directConvTranspose2d(x, w, b, s: s, p: p)
    #expect(got.shape == want.shape)
    #expect(got.isClose(to: want, tolerance: 1e-4))
  }

  /// The k4 s2 p1 kernels of im2col and col2im against the general loops, on small planes of odd
  /// and even sides (1×1 up to 7×5), one to three images, one to five channels. im2col copies, so
  /// it must agree bit for bit; col2im sums four entries per value in another order (two taps per
  /// axis), so values of size ≤ 4 agree to a few float roundings: 1e-6.
  @Test func k4s2p1ColumnsMatchTheGeneralLoops() throws {
    var rng = RandomGenerator(seed: 12)
    for (batch, channels, oh, ow) in [(1, 1, 1, 1), (2, 3, 3, 5), (3, 2, 7, 7), (1, 5, 4, 4), (2, 1, 2, 7)] {
      let g = ConvGeometry(channels: channels, h: 2 * oh, w: 2 * ow, k: 4, stride: 2, padding: 1, oh: oh, ow: ow)
      #expect(g.isK4S2P1)
      let x = try Tensor.rand([batch, channels, 2 * oh, 2 * ow], lo: -1, hi: 1, using: &rng)
      let colCount = channels * 16 * batch * oh * ow
      var fast = [Float](repeating: .nan, count: colCount), general = [Float](repeating: .nan, count: colCount)
      x.withUnsafeBufferPointer { xp in
        im2col(xp.baseAddress!, batch: batch, g, &fast)
        im2colGeneral(xp.baseAddress!, batch: batch, g, &general)
      }
      #expect(fast == general, "im2col \(batch)×\(channels)×\(oh)×\(ow)")
      let cols = try Tensor.rand([colCount], lo: -1, hi: 1, using: &rng)
      var back = [Float](repeating: .nan, count: x.count), backGeneral = [Float](repeating: .nan, count: x.count)
      cols.withUnsafeBufferPointer { cp in
        col2im(cp.baseAddress!, batch: batch, g, &back)
        col2imGeneral(cp.baseAddress!, batch: batch, g, &backGeneral)
      }
      #expect(zip(back, backGeneral).allSatisfy { abs($0 - $1) <= 1e-6 }, "col2im \(batch)×\(channels)×\(oh)×\(ow)")
    }
  }

  @Test func svhnGeneratorShapes() throws {
    var rng = RandomGenerator(seed: 1)
    let g = Sequential([
      Reshape([8, 1, 1]),
      try ConvTranspose2d(8, 16, kernelSize: 4, stride: 1, padding: 0, using: &rng), ActivationLayer(.leakyRelu(0.2)),
      try ConvTranspose2d(16, 8, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.leakyRelu(0.2)),
      try ConvTranspose2d(8, 4, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.leakyRelu(0.2)),
      try ConvTranspose2d(4, 3, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.tanh),
    ])
    #expect(try g(Tensor.randn([2, 8])).shape == [2, 3, 32, 32])
  }

  @Test func convErrors() throws {
    let x = sample([1, 2, 5, 5])
    #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: sample([3, 4, 3, 3])) }
    #expect(throws: TensorError.self) { try Tensor.conv2d(sample([2, 5, 5]), weight: sample([3, 2, 3, 3])) }
    #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: sample([3, 2, 7, 7])) }
    #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: sample([3, 2, 3, 3]), stride: 0) }
    #expect(throws: TensorError.self) { try Tensor.convTranspose2d(x, weight: sample([3, 2, 3, 3])) }
    var rng = RandomGenerator(seed: 1)
    let layer = try ConvTranspose2d(4, 2, kernelSize: 4, using: &rng)
    do {
      _ = try layer(x)
      Issue.record("expected an error")
    } catch let e as TensorError {
      #expect(e.description.contains("input has 2 channels, weight expects 4"))
    }
  }
}

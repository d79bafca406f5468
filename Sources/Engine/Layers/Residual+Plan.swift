extension Residual: PlannableLayer {
  func plannedKernels(input: [Int]) throws -> [LayerKernel] { [try ResidualKernel(self, input: input)] }
}

/// `y = x + f(x)`: the block planned on its own buffers; `dx = dy + J_fᵀ dy`.
final class ResidualKernel: LayerKernel {
  let block: InputGradientPlan, count: Int
  var outputShape: [Int] { block.inputShape }
  init(_ r: Residual, input: [Int]) throws {
    block = try InputGradientPlan([r.block], inputShape: input)
    guard block.outputShape == input else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input, block.outputShape], detail: "a residual block must keep its input's shape")
    }
    count = input.reduce(1, *)
  }
  func pack() { block.packWeights() }
  func unpack() { block.unpackWeights() }
  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let fx = block.forward(x)
    for i in 0..<count { y[i] = x[i] + fx[i] }
  }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    block.backward(dy, into: dx)
    for i in 0..<count { dx[i] += dy[i] }
  }
}

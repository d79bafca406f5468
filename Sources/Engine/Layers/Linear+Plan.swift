import CKernels

extension Linear: PlannableLayer {
  func plannedKernels(input: [Int]) throws -> [LayerKernel] { [try LinearKernel(self, input: input)] }
}

/// `y = x · Wᵀ + b` on fixed shapes; `dx = dy · W`.
final class LinearKernel: LayerKernel {
  let w: Tensor, b: Tensor?, rows: Int, inp: Int, out: Int
  let outputShape: [Int]
  /// Wᵀ (forward) and W (backward) packed for ``lebm_packed_gemm``, while ``packed`` is on.
  private var packedT: UnsafeMutablePointer<Float>? = nil, packedN: UnsafeMutablePointer<Float>? = nil
  private(set) var packed = false

  init(_ l: Linear, input: [Int]) throws {
    guard input.last == l.inputSize else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input, l.weight.shape], detail: "Linear takes \(l.inputSize) features")
    }
    w = l.weight; b = l.bias; inp = l.inputSize; out = l.outputSize
    rows = input.reduce(1, *) / inp
    outputShape = Array(input.dropLast()) + [out]
  }
  deinit { packedT?.deallocate(); packedN?.deallocate() }

  /// Packs the current weight for the products that follow (on CPUs with AVX2 and FMA).
  func pack() {
    guard PackedGEMM.available else { return }
    if out > 1 {  // (a layer with one output takes dot products with the weight itself)
      if packedT == nil {
        packedT = PackedGEMM.allocate(k: inp, n: out)
        packedN = PackedGEMM.allocate(k: out, n: inp)
      }
      lebm_pack_transposed(w.storage.pointer, Int32(out), Int32(inp), packedT)
      lebm_pack(w.storage.pointer, Int32(out), Int32(inp), packedN)
    }
    packed = true
  }
  func unpack() { packed = false }

  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    if let b { let bp = b.storage.pointer; for r in 0..<rows { (y + r * out).update(from: bp, count: out) } }
    if packed && out == 1 {
      lebm_dot_rows(Int32(rows), Int32(inp), x, Int32(inp), w.storage.pointer, y, b == nil ? 0 : 1)
    } else {
      multiply(x, m: rows, n: out, k: inp, byTransposed: true, w.storage.pointer, packed: packed ? packedT : nil, y, accumulate: b != nil)
    }
  }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    if out == 1 {
      // A rank-one update (the energy's last layer): dx[r, :] = dy[r] · w.
      let wp = w.storage.pointer
      for r in 0..<rows { let g = dy[r], row = dx + r * inp; for j in 0..<inp { row[j] = g * wp[j] } }
    } else {
      multiply(dy, m: rows, n: inp, k: out, byTransposed: false, w.storage.pointer, packed: packed ? packedN : nil, dx, accumulate: false)
    }
  }
}

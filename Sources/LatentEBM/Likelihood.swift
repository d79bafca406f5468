// p_β(x | z): the one place that knows which likelihood a model's generator has.
import Engine
import Glibc

extension LatentEBM {
  /// `−log p_β(x | z)` per row, `[N]`, with the autodiff graph (gradients reach z and β):
  ///
  /// - Gaussian (images, points): `‖x − g_β(z)‖²/(2σ²)`, plus `(D/2)·log(2πσ²)` when `constant`;
  /// - categorical (a text generator): `Σ_t m_t · cross_entropy(logits_t, x_t)` over the positions
  ///   that are not `<pad>` (``TextDecoder``), a normalised log-probability with no constant.
  ///
  /// x is `[N] + outputShape` (or `[N, D]`), z `[N, latent]`.
  public func negativeLogLikelihood(_ x: Tensor, given z: Tensor, constant: Bool = false) throws -> Tensor {
    let n = x.shape[0]
    if let text = generator.text { return try text.negativeLogLikelihood(try x.reshaped([n, text.length]), given: z) }
    let d = generator.outputShape.reduce(1, *)
    let residual = try (x.reshaped([n, d]) - generator(z).reshaped([n, d])).square().sum(axes: [1])
    let nll = try residual / (2 * sigma * sigma)
    guard constant else { return nll }
    return try nll + Float(Double(d) / 2 * log(2 * Double.pi * Double(sigma) * Double(sigma)))
  }

  /// Whether the generator's likelihood is categorical (sentences).
  public var isText: Bool { generator.text != nil }
}

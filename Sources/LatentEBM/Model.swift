// The latent space EBM prior model: energy on z, generator, σ and σ0.
import Engine
import Synchronization

/// A latent space energy-based prior model (Pang, Han, Nijkamp, Zhu, Wu, NeurIPS 2020):
///
/// ```
/// z ~ p_α(z) = exp(−E_α(z)) · N(0, σ0² I) / Z(α)
/// x = g_β(z) + ε,  ε ~ N(0, σ² I)
/// ```
///
/// With no energy net it is the Gaussian-prior baseline (alternating back-propagation): the same
/// generator with `p(z) = N(0, σ0² I)`.
public final class LatentEBM {
  /// E_α, or nil for the Gaussian-prior baseline.
  public let energyNet: EnergyModel?
  public let generator: Generator
  /// q_φ(z | x), the encoder whose samples start the posterior chains (amortized inference,
  /// docs/method.md "Amortized inference"), or nil: the chains start from N(0, σ_init² I).
  public let encoder: GaussianEncoder?
  /// σ, the standard deviation of the generator's Gaussian noise (default 0.3).
  public var sigma: Float
  /// σ0, the standard deviation of the base prior N(0, σ0² I) (default 1).
  public var priorSigma: Float
  /// Chain buffers and planned networks, kept between sampler calls.
  let workspaces = Mutex<[ChainWorkspace]>([])

  public init(energy: EnergyModel?, generator: Generator, sigma: Float = 0.3, priorSigma: Float = 1, encoder: GaussianEncoder? = nil) throws {
    if let e = energy, e.latent != generator.latent {
      throw LatentEBMError.shape("latent EBM: the energy net takes z of size \(e.latent), the generator \(generator.latent)")
    }
    if let q = encoder {
      guard generator.text == nil else {
        throw LatentEBMError.invalidArgument("latent EBM: amortized inference (an encoder) is built for images and points; a text generator's chains start from N(0, I)")
      }
      guard q.latent == generator.latent else {
        throw LatentEBMError.shape("latent EBM: the encoder gives z of size \(q.latent), the generator takes \(generator.latent)")
      }
      guard q.inputShape.reduce(1, *) == generator.outputShape.reduce(1, *) else {
        throw LatentEBMError.shape("latent EBM: the encoder reads \(formatShape(q.inputShape)), the generator writes \(formatShape(generator.outputShape))")
      }
    }
    guard sigma > 0, priorSigma > 0, sigma.isFinite, priorSigma.isFinite else {
      throw LatentEBMError.invalidArgument("latent EBM: σ and σ0 must be positive, got \(sigma) and \(priorSigma)")
    }
    energyNet = energy; self.generator = generator; self.encoder = encoder; self.sigma = sigma; self.priorSigma = priorSigma
  }

  /// The dimension of z.
  public var latent: Int { generator.latent }

  /// E_α(z) per row (zeros for the Gaussian prior): `[N, latent] → [N]`.
  public func energy(_ z: Tensor) throws -> Tensor {
    if let e = energyNet { return try e(z) }
    try checkLatent(z, "z")
    return try Tensor.zeros([z.shape[0]])
  }

  /// The prior's negative log density up to a constant: `E_α(z) + ‖z‖²/(2σ0²)`, per row.
  public func priorEnergy(_ z: Tensor) throws -> Tensor {
    let gauss = try z.square().sum(axes: [1]) / (2 * priorSigma * priorSigma)
    return try energy(z) + gauss
  }

  /// Checks that `z` is `[N, latent]`; `what` names it in the message ("the prior chains' z").
  func checkLatent(_ z: Tensor, _ what: String) throws {
    guard z.rank == 2, z.shape[1] == latent else {
      throw LatentEBMError.shape("\(what) must have shape [N, \(latent)], got \(formatShape(z.shape))")
    }
  }

  /// Checks that `x` is a batch of the generator's output shape; `what` names it in the message.
  func checkData(_ x: Tensor, _ what: String) throws {
    guard x.rank >= 1, Array(x.shape.dropFirst()) == generator.outputShape || (x.rank == 2 && x.shape[1] == generator.outputShape.reduce(1, *)) else {
      throw LatentEBMError.shape("\(what) must have shape \(formatShape([-1] + generator.outputShape)) (N first), got \(formatShape(x.shape))")
    }
  }

  /// Whether the posterior and prior chains may run at once on two threads: not when the energy
  /// runs on the autodiff path (a script energy calls back into the interpreter, which runs one
  /// thing at a time).
  var chainsMayRunAtOnce: Bool { energyNet.map { $0.plannedLayers != nil } ?? true }

  /// The parameters of G, then E, then the encoder.
  public var parameters: [Tensor] { generator.parameters + (energyNet?.parameters ?? []) + (encoder?.parameters ?? []) }
}

extension LatentEBM: CustomStringConvertible {
  public var description: String {
    var s = "latent EBM: z ∈ ℝ^\(latent), σ = \(formatScalar(sigma)), σ0 = \(formatScalar(priorSigma))\n"
    if let e = energyNet {
      s += "  energy E_α: \(e.summary) (\(e.parameterCount) parameters)\n"
    } else {
      s += "  prior: Gaussian N(0, σ0² I) (no energy net)\n"
    }
    let g = generator.parameters.reduce(0) { $0 + $1.count }
    s += "  generator g_β: \(generator.summary) (\(g) parameters)"
    if let q = encoder {
      s += "\n  encoder q_φ: \(q.summary) (\(q.parameters.reduce(0) { $0 + $1.count }) parameters), starts the posterior chains"
    }
    return s
  }
}

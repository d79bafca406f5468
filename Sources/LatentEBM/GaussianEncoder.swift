// The encoder q_φ(z | x): a Gaussian over codes from a data point, for the VAE baseline and for
// amortized starts of posterior chains.
import Engine

/// The inference network q_φ(z | x) = N(μ_φ(x), diag exp(ℓ_φ(x))): a net whose last layer gives
/// `2 · latent` numbers per row, the mean μ and the log-variance ℓ.
public final class GaussianEncoder {
  /// How the encoder was built, for summaries and checkpoints.
  public enum Kind: Equatable, Sendable {
    /// An MLP over data of `input` values (flattened).
    case mlp(input: Int, hidden: [Int], activation: Activation)
    /// Stride-2 convolutions over `channels × size × size` images, the mirror of
    /// ``Generator/init(latent:imageSize:channels:ngf:using:)``.
    case conv(size: Int, channels: Int, ndf: Int)
  }
  public let latent: Int
  /// The shape of one data point it reads.
  public let inputShape: [Int]
  public let kind: Kind
  public let net: Sequential

  /// An MLP encoder `input → hidden… → 2·latent`.
  public init(latent: Int, input: Int, hidden: [Int], activation: Activation = .leakyRelu(0.2), using rng: inout RandomGenerator) throws {
    guard latent > 0, input > 0, hidden.allSatisfy({ $0 > 0 }) else {
      throw LatentEBMError.invalidArgument("encoder: sizes must be positive")
    }
    self.latent = latent; inputShape = [input]; kind = .mlp(input: input, hidden: hidden, activation: activation)
    net = try mlp([input] + hidden + [2 * latent], activation: activation, using: &rng)
  }

  /// A convolutional encoder for `size × size` images with `channels` channels: the layers of
  /// the conv generator of the same size in reverse. Each stride-2 Conv2d(k4 s2 p1) halves the
  /// side (channels ndf, 2ndf, … up to 8ndf), LeakyReLU(0.2) between layers, and the last layer,
  /// Conv2d(k4 s1 p0) from 4×4 (or k7 from 7×7), gives the 2·latent numbers.
  public init(latent: Int, imageSize size: Int, channels: Int, ndf: Int = 64, using rng: inout RandomGenerator) throws {
    guard latent > 0, channels > 0, ndf > 0 else { throw LatentEBMError.invalidArgument("conv encoder: latent, channels and ndf must be positive") }
    // The generator's plan, read backwards: its first layer (the k4/k7 one from 1×1) is our last.
    let plan = try Generator.convLayers(latent: latent, size: size, channels: channels, ngf: ndf)
    let act = ActivationLayer(.leakyRelu(0.2))
    var layers: [Layer] = []
    for (i, l) in plan.reversed().enumerated() {
      if i > 0 { layers.append(act) }
      let last = i == plan.count - 1
      layers.append(try Conv2d(l.output, last ? 2 * latent : l.input, kernelSize: l.kernel, stride: l.stride, padding: l.padding,
                               init: .xavierNormal(gain: 1), using: &rng))
    }
    layers.append(Reshape([2 * latent]))
    self.latent = latent; inputShape = [channels, size, size]; kind = .conv(size: size, channels: channels, ndf: ndf)
    net = Sequential(layers)
  }

  /// μ and ℓ = log σ² of q_φ(z | x), each `[N, latent]`, for a batch x of ``inputShape``.
  public func callAsFunction(_ x: Tensor) throws -> (mean: Tensor, logVariance: Tensor) {
    guard x.rank >= 1, Array(x.shape.dropFirst()) == inputShape || (x.rank == 2 && x.shape[1] == inputShape.reduce(1, *)) else {
      throw LatentEBMError.shape("the encoder reads x of shape \(formatShape([-1] + inputShape)), got \(formatShape(x.shape))")
    }
    let out = try net(x.reshaped([x.shape[0]] + inputShape))
    return (try out.slice(axis: 1, start: 0, end: latent), try out.slice(axis: 1, start: latent, end: 2 * latent))
  }

  public var parameters: [Tensor] { net.parameters }

  public var summary: String {
    switch kind {
    case let .mlp(input, hidden, act):
      return "MLP \(([input] + hidden + [2 * latent]).map(String.init).joined(separator: " → ")) (\(act)), μ and log σ²"
    case let .conv(size, channels, ndf):
      return "Conv2d stack \(channels)×\(size)×\(size) → 2·\(latent) (ndf \(ndf)), μ and log σ²"
    }
  }
}

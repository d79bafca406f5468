import Engine

/// The form applied to the energy MLP's output (the reference's `e_energy_form`).
public enum EnergyForm: String, CaseIterable, Sendable {
  /// E(z) = f(z), unbounded (the reference default).
  case identity
  /// E(z) = tanh f(z), bounded in (−1, 1).
  case tanh
  /// E(z) = σ(f(z)), bounded in (0, 1).
  case sigmoid
  /// E(z) = softplus f(z), bounded below by 0.
  case softplus

  func apply(_ t: Tensor) -> Tensor {
    switch self {
    case .identity: return t
    case .tanh: return t.apply(.tanh)
    case .sigmoid: return t.apply(.sigmoid)
    case .softplus: return t.apply(.softplus)
    }
  }
}

/// An energy function on the latent vector, `[N, latent] → [N]`: the built-in ``EnergyNet`` or
/// any differentiable function of z (a quadratic for tests, a user's own net).
public protocol EnergyModel: AnyObject {
  /// The dimension of z.
  var latent: Int { get }
  /// Trainable parameters (may be empty).
  var parameters: [Tensor] { get }
  /// E(z) for each row of z.
  func callAsFunction(_ z: Tensor) throws -> Tensor
}

/// The energy net E_α on the latent vector: an MLP `latent → hidden… → 1` and an energy form.
/// The prior it defines is `p_α(z) ∝ exp(−E_α(z)) · N(0, σ0² I)` (Pang et al., 2020, eq. 2).
public final class EnergyNet: EnergyModel {
  public let latent: Int
  public let hidden: [Int]
  public let activation: Activation
  public let form: EnergyForm
  public let net: Sequential

  /// - Parameters:
  ///   - latent: the dimension of z.
  ///   - hidden: hidden widths; the reference uses `[200, 200]`.
  ///   - activation: between layers; the reference uses LeakyReLU(0.2) or GELU.
  ///   - form: applied to the output (default identity).
  public init(
    latent: Int, hidden: [Int] = [200, 200], activation: Activation = .leakyRelu(0.2), form: EnergyForm = .identity,
    using rng: inout RandomGenerator
  ) throws {
    guard latent > 0, hidden.allSatisfy({ $0 > 0 }) else {
      throw LatentEBMError.invalidArgument("energy_net: latent and hidden sizes must be positive")
    }
    self.latent = latent; self.hidden = hidden; self.activation = activation; self.form = form
    net = try mlp([latent] + hidden + [1], activation: activation, using: &rng)
  }

  /// E_α(z) for each row of z: `[N, latent] → [N]`.
  public func callAsFunction(_ z: Tensor) throws -> Tensor {
    guard z.rank == 2, z.shape[1] == latent else {
      throw LatentEBMError.shape("energy: z must have shape [N, \(latent)], got \(formatShape(z.shape))")
    }
    return try form.apply(net(z)).reshaped([z.shape[0]])
  }

  public var parameters: [Tensor] { net.parameters }
}

/// The generator g_β: z ↦ x, an MLP or a stack of transposed convolutions.
public final class Generator {
  /// How the generator was built, for summaries and checkpoints.
  public enum Kind: Equatable, Sendable {
    case mlp(hidden: [Int], activation: Activation)
    /// Transposed convolutions for square images of `size` (28 or 32) with `channels` channels.
    case conv(size: Int, channels: Int, ngf: Int)
  }
  public let latent: Int
  /// The shape of one sample, e.g. `[2]` or `[3, 32, 32]`.
  public let outputShape: [Int]
  public let kind: Kind
  public let net: Sequential

  /// An MLP generator `latent → hidden… → output` (no activation on the output, as in the toy
  /// configuration of DESIGN.md §6).
  public init(latent: Int, hidden: [Int], output: Int, activation: Activation = .leakyRelu(0.2), using rng: inout RandomGenerator) throws {
    guard latent > 0, output > 0, hidden.allSatisfy({ $0 > 0 }) else {
      throw LatentEBMError.invalidArgument("generator: sizes must be positive")
    }
    self.latent = latent; outputShape = [output]; kind = .mlp(hidden: hidden, activation: activation)
    net = try mlp([latent] + hidden + [output], activation: activation, using: &rng)
  }

  /// A transposed-convolution generator for `size × size` images with `channels` channels,
  /// LeakyReLU(0.2) between layers and tanh at the end; convolution weights are Xavier-normal
  /// (as the reference initialises them), biases keep PyTorch's default.
  ///
  /// - size 32 (the reference SVHN net): ConvT(nz→8ngf, k4 s1 p0) → ConvT(8ngf→4ngf, k4 s2 p1) →
  ///   ConvT(4ngf→2ngf, k4 s2 p1) → ConvT(2ngf→C, k4 s2 p1) → tanh: 1 → 4 → 8 → 16 → 32.
  /// - size 28 (its analogue for MNIST-sized images): ConvT(nz→4ngf, k7 s1 p0) →
  ///   ConvT(4ngf→2ngf, k4 s2 p1) → ConvT(2ngf→C, k4 s2 p1) → tanh: 1 → 7 → 14 → 28.
  public init(latent: Int, imageSize size: Int, channels: Int, ngf: Int = 64, using rng: inout RandomGenerator) throws {
    guard latent > 0, channels > 0, ngf > 0 else { throw LatentEBMError.invalidArgument("conv_generator: sizes must be positive") }
    let xavier = Initializer.xavierNormal(gain: 1), act = ActivationLayer(.leakyRelu(0.2))
    var layers: [Layer] = [Reshape([latent, 1, 1])]
    switch size {
    case 32:
      layers += [
        try ConvTranspose2d(latent, ngf * 8, kernelSize: 4, stride: 1, padding: 0, init: xavier, using: &rng), act,
        try ConvTranspose2d(ngf * 8, ngf * 4, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng), act,
        try ConvTranspose2d(ngf * 4, ngf * 2, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng), act,
        try ConvTranspose2d(ngf * 2, channels, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng),
      ]
    case 28:
      layers += [
        try ConvTranspose2d(latent, ngf * 4, kernelSize: 7, stride: 1, padding: 0, init: xavier, using: &rng), act,
        try ConvTranspose2d(ngf * 4, ngf * 2, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng), act,
        try ConvTranspose2d(ngf * 2, channels, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng),
      ]
    default:
      throw LatentEBMError.invalidArgument("conv_generator: image size must be 28 or 32, got \(size)")
    }
    layers.append(ActivationLayer(.tanh))
    self.latent = latent; outputShape = [channels, size, size]; kind = .conv(size: size, channels: channels, ngf: ngf)
    net = Sequential(layers)
  }

  /// g_β(z): `[N, latent] → [N] + outputShape`.
  public func callAsFunction(_ z: Tensor) throws -> Tensor {
    guard z.rank == 2, z.shape[1] == latent else {
      throw LatentEBMError.shape("generator: z must have shape [N, \(latent)], got \(formatShape(z.shape))")
    }
    return try net(z)
  }

  public var parameters: [Tensor] { net.parameters }
}

/// `sizes[0] → sizes[1] → … → sizes.last` with `activation` between the linear layers.
func mlp(_ sizes: [Int], activation: Activation, using rng: inout RandomGenerator) throws -> Sequential {
  var layers: [Layer] = []
  for i in 0..<(sizes.count - 1) {
    layers.append(try Linear(sizes[i], sizes[i + 1], using: &rng))
    if i < sizes.count - 2 { layers.append(ActivationLayer(activation)) }
  }
  return Sequential(layers)
}

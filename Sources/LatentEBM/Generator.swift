// The generator g_β: z ↦ x, an MLP or transposed convolutions.
import Engine

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

  /// An MLP generator `latent → hidden… → output` (no activation on the output, as the
  /// reference's toy configuration).
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

  /// "MLP 2 → 128 → 128 → 2, LeakyReLU(0.2)" or "ConvT 64 → 3×32×32, ngf 64".
  public var summary: String {
    switch kind {
    case let .mlp(hidden, act):
      return "MLP \(([latent] + hidden + outputShape).map(String.init).joined(separator: " → ")), \(act)"
    case let .conv(size, channels, ngf):
      return "ConvT \(latent) → \(channels)×\(size)×\(size), ngf \(ngf)"
    }
  }

  /// The architecture's settings, to rebuild it from a checkpoint.
  var record: [String: JSONValue] {
    switch kind {
    case let .mlp(hidden, act):
      return ["kind": .string("mlp"), "hidden": .array(hidden.map { JSONValue($0) }), "output": JSONValue(outputShape[0])]
        .merging(activationSettings(act)) { a, _ in a }
    case let .conv(size, channels, ngf):
      return ["kind": .string("conv"), "image_size": JSONValue(size), "channels": JSONValue(channels), "ngf": JSONValue(ngf)]
    }
  }

  /// The number of weights the record's generator has, computed without making them.
  static func parameterCount(latent: Int, record r: [String: JSONValue]) throws -> Int {
    switch r["kind"]?.string {
    case "mlp": return mlpParameterCount([latent] + (try r.sizes("hidden")) + [try r.size("output")])
    case "conv":
      let ngf = try r.size("ngf"), c = try r.size("channels")
      // ConvTranspose2d(in, out, k): in·out·k² weights and out biases.
      func convT(_ i: Int, _ o: Int, _ k: Int) -> Int { i * o * k * k + o }
      switch try r.size("image_size") {
      case 32: return convT(latent, 8 * ngf, 4) + convT(8 * ngf, 4 * ngf, 4) + convT(4 * ngf, 2 * ngf, 4) + convT(2 * ngf, c, 4)
      case 28: return convT(latent, 4 * ngf, 7) + convT(4 * ngf, 2 * ngf, 4) + convT(2 * ngf, c, 4)
      default: throw LatentEBMError.invalidArgument("image size must be 28 or 32")
      }
    default: throw LatentEBMError.invalidArgument("unknown generator kind '\(r["kind"]?.string ?? "")'")
    }
  }

  /// A freshly initialised generator from a checkpoint's record (weights are copied after).
  convenience init(latent: Int, record r: [String: JSONValue], using rng: inout RandomGenerator) throws {
    switch r["kind"]?.string {
    case "mlp":
      try r.refuseUnknownKeys(["kind", "hidden", "output", "activation", "slope"], in: "generator")
      try self.init(latent: latent, hidden: try r.sizes("hidden"), output: try r.size("output"), activation: try r.activation(), using: &rng)
    case "conv":
      try r.refuseUnknownKeys(["kind", "image_size", "channels", "ngf"], in: "generator")
      try self.init(latent: latent, imageSize: try r.size("image_size"), channels: try r.size("channels"), ngf: try r.size("ngf"), using: &rng)
    default: throw LatentEBMError.invalidArgument("unknown generator kind '\(r["kind"]?.string ?? "")'")
    }
  }
}

/// `sizes[0] → sizes[1] → … → sizes.last` with `activation` between the linear layers.

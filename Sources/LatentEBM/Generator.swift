// The generator g_β: z ↦ x, an MLP or transposed convolutions; or p_β(x | z) over sentences.
import Datasets
import Engine

/// The generator g_β: z ↦ x, an MLP or a stack of transposed convolutions, with the Gaussian
/// likelihood N(x; g_β(z), σ² I); or an LSTM over sentences (``TextDecoder``) with a categorical
/// likelihood, whose g_β(z) is the most likely sentence.
public final class Generator {
  /// How the generator was built, for summaries and checkpoints.
  public enum Kind: Equatable, Sendable {
    case mlp(hidden: [Int], activation: Activation)
    /// Transposed convolutions for square images of `size` (4·2^k or 7·2^k, k ≥ 1) with `channels` channels.
    case conv(size: Int, channels: Int, ngf: Int)
    /// An LSTM over rows of `length` token ids (``TextDecoder``).
    case lstm(embed: Int, hidden: Int, layers: Int)
  }
  public let latent: Int
  /// The shape of one sample, e.g. `[2]` or `[3, 32, 32]`.
  public let outputShape: [Int]
  public let kind: Kind
  /// The network: a ``Sequential`` for images and points, a ``TextDecoder`` for sentences.
  public let net: any Layer
  /// The sentence network, for a text generator.
  public var text: TextDecoder? { net as? TextDecoder }
  /// The network's layers in order (a text generator is one).
  public var layers: [Layer] { (net as? Sequential)?.layers ?? [net] }

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
  /// (as the reference initialises them), biases keep PyTorch's default. The layers are
  /// ``convLayers(latent:size:channels:ngf:)``'s, built in order:
  ///
  /// - size 4·2^k (8, 16, 32, 64, 128, …): ConvT(nz→8ngf, k4 s1 p0) makes a 4×4 map, then k
  ///   ConvT(k4 s2 p1) layers each double it;
  /// - size 7·2^k (14, 28, 56, …): ConvT(nz→4ngf, k7 s1 p0) makes a 7×7 map, then k doublings;
  /// - each stride-2 layer halves the channels but never below ngf, and the last gives C.
  ///
  /// So size 32 is the reference SVHN net, ConvT(nz→8ngf) → 4ngf → 2ngf → C (1 → 4 → 8 → 16 → 32);
  /// size 64 the paper's CelebA net, nz → 8ngf → 4ngf → 2ngf → ngf → C (1 → 4 → … → 64); size 28
  /// the MNIST-sized analogue, nz → 4ngf → 2ngf → C (1 → 7 → 14 → 28). k ≥ 1 and size ≤ 1024.
  public init(latent: Int, imageSize size: Int, channels: Int, ngf: Int = 64, using rng: inout RandomGenerator) throws {
    guard latent > 0, channels > 0, ngf > 0 else { throw LatentEBMError.invalidArgument("latent, channels and ngf must be positive") }
    let plan = try Self.convLayers(latent: latent, size: size, channels: channels, ngf: ngf)
    let xavier = Initializer.xavierNormal(gain: 1), act = ActivationLayer(.leakyRelu(0.2))
    var layers: [Layer] = [Reshape([latent, 1, 1])]
    for (i, l) in plan.enumerated() {
      if i > 0 { layers.append(act) }
      layers.append(try ConvTranspose2d(l.input, l.output, kernelSize: l.kernel, stride: l.stride, padding: l.padding,
                                        init: xavier, using: &rng))
    }
    layers.append(ActivationLayer(.tanh))
    self.latent = latent; outputShape = [channels, size, size]; kind = .conv(size: size, channels: channels, ngf: ngf)
    net = Sequential(layers)
  }

  /// A text generator over rows of `length` ids of `vocabulary` (``TextDecoder``).
  public init(latent: Int, vocabulary: Vocabulary, length: Int, embed: Int, hidden: Int, layers: Int = 1,
              using rng: inout RandomGenerator) throws {
    let decoder = try TextDecoder(latent: latent, vocabulary: vocabulary, length: length, embed: embed, hidden: hidden,
                                  layers: layers, using: &rng)
    self.latent = latent; outputShape = [length]; kind = .lstm(embed: embed, hidden: hidden, layers: layers)
    net = decoder
  }

  /// The largest image side `conv_generator` builds.
  public static let maximumImageSize = 1024

  /// One transposed convolution of a conv generator: channels in and out, kernel, stride, padding.
  typealias ConvLayer = (input: Int, output: Int, kernel: Int, stride: Int, padding: Int)

  /// The transposed convolutions of the `size × size` generator, first to last: ConvT(nz→w, k, s1 p0)
  /// to a `start × start` map (start 4, w = 8·ngf; or start 7, w = 4·ngf), then one ConvT(k4 s2 p1)
  /// per doubling up to `size`, each halving the channels but never below ngf, the last giving
  /// `channels`. Throws for a size that is not 4·2^k or 7·2^k with k ≥ 1, or is over 1024.
  static func convLayers(latent: Int, size: Int, channels: Int, ngf: Int) throws -> [ConvLayer] {
    var start = 0, doublings = 0
    if size <= maximumImageSize {
      for s in [4, 7] {
        var side = s, k = 0
        while side < size { side *= 2; k += 1 }
        if side == size, k >= 1 { start = s; doublings = k }
      }
    }
    guard start > 0 else {
      throw LatentEBMError.invalidArgument(
        "image size must be 4·2^k or 7·2^k with k ≥ 1, at most \(maximumImageSize) (8, 14, 16, 28, 32, 56, 64, …), got \(size)")
    }
    var width = start == 4 ? 8 * ngf : 4 * ngf
    var layers: [ConvLayer] = [(latent, width, start, 1, 0)]
    for i in 1...doublings {
      let output = i == doublings ? channels : max(width / 2, ngf)
      layers.append((width, output, 4, 2, 1))
      width = output
    }
    return layers
  }

  /// g_β(z): `[N, latent] → [N] + outputShape` (for text, the greedy sentences' ids).
  public func callAsFunction(_ z: Tensor) throws -> Tensor {
    guard z.rank == 2, z.shape[1] == latent else {
      throw LatentEBMError.shape("generator: z must have shape [N, \(latent)], got \(formatShape(z.shape))")
    }
    return try net(z)
  }

  /// The likelihood's name: "gaussian" or "categorical".
  public var likelihood: String { text == nil ? "gaussian" : "categorical" }

  public var parameters: [Tensor] { net.parameters }

  /// "MLP 2 → 128 → 128 → 2, LeakyReLU(0.2)" or "ConvT 64 → 3×32×32, ngf 64".
  public var summary: String {
    switch kind {
    case let .mlp(hidden, act):
      return "MLP \(([latent] + hidden + outputShape).map(String.init).joined(separator: " → ")), \(act)"
    case let .conv(size, channels, ngf):
      return "ConvT \(latent) → \(channels)×\(size)×\(size), ngf \(ngf)"
    case let .lstm(embed, hidden, layers):
      let v = text?.vocabularySize ?? 0
      return "LSTM \(latent) → \(outputShape[0]) tokens of \(v), embed \(embed), hidden \(hidden)\(layers == 1 ? "" : ", \(layers) layers")"
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
    case let .lstm(embed, hidden, layers):
      return ["kind": .string("lstm"), "length": JSONValue(outputShape[0]), "embed": JSONValue(embed), "hidden": JSONValue(hidden),
              "layers": JSONValue(layers), "vocab": .array((text?.vocabulary.words ?? []).map { .string($0) })]
    }
  }

  /// The number of weights the record's generator has, computed without making them.
  static func parameterCount(latent: Int, record r: [String: JSONValue]) throws -> Int {
    switch r["kind"]?.string {
    case "mlp": return mlpParameterCount([latent] + (try r.sizes("hidden")) + [try r.size("output")])
    case "conv":
      // ConvTranspose2d(in, out, k): in·out·k² weights and out biases.
      return try convLayers(latent: latent, size: r.size("image_size"), channels: r.size("channels"), ngf: r.size("ngf"))
        .reduce(0) { $0 + $1.input * $1.output * $1.kernel * $1.kernel + $1.output }
    case "lstm":
      // Every size is at most 2¹⁶ and the vocabulary 2²⁴ words, so no product overflows.
      let v = try r.words("vocab").count, e = try r.size("embed"), h = try r.size("hidden"), l = try r.size("layers")
      guard l <= 16 else { throw LatentEBMError.invalidArgument("'layers' must be 1…16, got \(l)") }
      // embed; init_h; the first layer's gates read [embedding, z], the others h; out.
      return v * e + (latent + 1) * l * h + 4 * h * (e + latent + h + 2) + (l - 1) * 4 * h * (2 * h + 2) + (h + 1) * v
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
    case "lstm":
      try r.refuseUnknownKeys(["kind", "length", "embed", "hidden", "layers", "vocab"], in: "generator")
      let words = try r.words("vocab")
      guard words.count >= Vocabulary.specials.count, Array(words.prefix(Vocabulary.specials.count)) == Vocabulary.specials,
            Set(words).count == words.count else {
        throw LatentEBMError.invalidArgument("the text generator's vocabulary must start with \(Vocabulary.specials.joined(separator: " ")) and name each word once")
      }
      try self.init(latent: latent, vocabulary: Vocabulary(words: words), length: try r.size("length"), embed: try r.size("embed"),
                    hidden: try r.size("hidden"), layers: try r.size("layers"), using: &rng)
    default: throw LatentEBMError.invalidArgument("unknown generator kind '\(r["kind"]?.string ?? "")'")
    }
  }
}

/// `sizes[0] → sizes[1] → … → sizes.last` with `activation` between the linear layers.

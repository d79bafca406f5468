// `lebm bench`: the anchors' training iteration in each configuration, timed, and the kernels' GFLOP/s.
import Datasets
import Engine
import Glibc
import Support

/// `lebm bench`: the training iteration of ../shared/anchors/torch_lebm.py (batch 100, K⁺ = 20,
/// K⁻ = 60, both Adam updates) in its four configurations, timed the same way (two warm-up
/// iterations, then the median, min and max of `iterations`).
public enum Benchmark {
  public struct Configuration: Sendable {
    public let name: String
    /// `convolutional`: the conv generator of image side `data[1]` (32: the SVHN net, 28: the
    /// Fashion-MNIST one, see ``Generator/init(latent:imageSize:channels:ngf:using:)``).
    public let latent: Int, data: [Int], generatorHidden: [Int], convolutional: Bool, ngf: Int, energyHidden: Int
    /// The LSTM text generator's sizes (the anchors' `text`: rows of `data[0]` token ids), or nil.
    public var lstm: (vocabulary: Int, embed: Int, hidden: Int)? = nil

    /// GFLOP per iteration, counted as the anchors count it.
    public var gflop: Double {
      let b = 100.0
      var g: Double
      if let l = lstm {
        // Per token: the gates' product [embed + latent + hidden] → 4·hidden and the output layer;
        // once per row: init_h.
        let (t, h) = (Double(data[0]), Double(l.hidden))
        g = t * (2 * 4 * (Double(l.embed) + Double(latent) + h) * h + 2 * h * Double(l.vocabulary)) + 2 * Double(latent) * h
      } else if convolutional && data[1] == 28 {
        // ConvTranspose multiply-adds = H_in·W_in·Cin·Cout·k·k: 1² → 7² (k7), 7² → 14², 14² → 28² (k4).
        let (n, z, c) = (Double(ngf), Double(latent), Double(data[0]))
        g = 2 * (1 * 1 * z * n * 4 * 49 + 7 * 7 * n * 4 * n * 2 * 16 + 14 * 14 * n * 2 * c * 16)
      } else if convolutional {
        let (n, z) = (Double(ngf), Double(latent))
        g = 2 * (1 * 1 * z * n * 8 * 16 + 4 * 4 * n * 8 * n * 4 * 16 + 8 * 8 * n * 4 * n * 2 * 16 + 16 * 16 * n * 2 * 3 * 16)
      } else {
        let dims = [latent] + generatorHidden + [data[0]]
        g = zip(dims, dims.dropFirst()).reduce(0) { $0 + 2 * Double($1.0 * $1.1) }
      }
      let h = Double(energyHidden), z = Double(latent)
      let e = 2 * (z * h + h * h + h)
      let per = 20 * (2 * g + 2 * e) + 60 * 2 * e + 3 * g + 2 * 3 * e
      return per * b / 1e9
    }
  }

  public static let configurations: [Configuration] = [
    Configuration(name: "toy2d", latent: 2, data: [2], generatorHidden: [128, 128], convolutional: false, ngf: 0, energyHidden: 128),
    Configuration(name: "mlp784", latent: 16, data: [784], generatorHidden: [256, 512], convolutional: false, ngf: 0, energyHidden: 200),
    Configuration(name: "svhn", latent: 100, data: [3, 32, 32], generatorHidden: [], convolutional: true, ngf: 64, energyHidden: 200),
    // The Fashion-MNIST example's net at ngf 64: ConvT 1² → 7²×256 (k7) → 14²×128 → 28²×1.
    Configuration(name: "fmnist", latent: 32, data: [1, 28, 28], generatorHidden: [], convolutional: true, ngf: 64, energyHidden: 200),
    // Sentences of 20 tokens over 1000 ids, an LSTM generator (embedding 64, hidden 128).
    Configuration(name: "text", latent: 32, data: [20], generatorHidden: [], convolutional: false, ngf: 0, energyHidden: 200,
                  lstm: (vocabulary: 1000, embed: 64, hidden: 128)),
  ]

  public struct Result: Sendable {
    public let configuration: Configuration
    public let milliseconds: [Double]
    public let peakResidentMB: Double
    public var median: Double { let s = milliseconds.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
    /// The anchors' line: `CONFIG lebm ms/iter median=… min=… max=… gflop/iter=… gflops=…`.
    public var line: String {
      func f(_ x: Double) -> String { let r = (x * 100).rounded() / 100; return String(r) }
      let gf = configuration.gflop
      return "\(configuration.name) lebm ms/iter median=\(f(median)) min=\(f(milliseconds.min()!)) max=\(f(milliseconds.max()!)) " +
        "gflop/iter=\(String(format3: gf)) gflops=\(f(gf / (median / 1e3))) peak_rss_mb=\(f(peakResidentMB))"
    }
  }

  /// Builds the configuration's model and times `iterations` training iterations on `threads`.
  public static func run(_ name: String, iterations: Int = 10, threads: Int = 2, losses: UnsafeMutablePointer<[Float]>? = nil) throws -> Result {
    guard let c = configurations.first(where: { $0.name == name }) else {
      throw LatentEBMError.invalidArgument("bench: unknown configuration '\(name)'; choose one of \(configurations.map(\.name).joined(separator: ", "))")
    }
    guard iterations >= 1, threads >= 1 else { throw LatentEBMError.invalidArgument("bench: iterations and threads must be at least 1") }
    return try Threads.with(threads) { try timeIterations(c, iterations: iterations, losses: losses) }
  }

  private static func timeIterations(_ c: Configuration, iterations: Int, losses: UnsafeMutablePointer<[Float]>?) throws -> Result {
    var rng = RandomGenerator(seed: 0)
    let g: Generator
    if let l = c.lstm {
      let words = Vocabulary(words: (Vocabulary.specials.count..<l.vocabulary).map { "w\($0)" })
      g = try Generator(latent: c.latent, vocabulary: words, length: c.data[0], embed: l.embed, hidden: l.hidden, using: &rng)
    } else if c.convolutional {
      g = try Generator(latent: c.latent, imageSize: c.data[1], channels: c.data[0], ngf: c.ngf, using: &rng)
    } else {
      g = try Generator(latent: c.latent, hidden: c.generatorHidden, output: c.data[0], using: &rng)
    }
    let e = try EnergyNet(latent: c.latent, hidden: [c.energyHidden, c.energyHidden], using: &rng)
    let model = try LatentEBM(energy: e, generator: g)
    let trainer = try Trainer(model: model, config: TrainConfig(), seed: 0)
    // Token ids drawn uniformly from 1 … vocabulary − 1, as the anchors' torch.randint(1, vocab).
    let x: Tensor
    if let l = c.lstm {
      x = try Tensor(shape: [100] + c.data, scalars: (0..<(100 * c.data[0])).map { _ in Float(1 + rng.int(below: l.vocabulary - 1)) })
    } else {
      x = try Tensor.rand([100] + c.data, lo: -1, hi: 1, using: &rng)
    }
    for _ in 0..<2 { _ = try trainer.step(x) }
    var times: [Double] = []
    var ls: [Float] = []
    for _ in 0..<iterations {
      let t0 = monotonicSeconds()
      let s = try trainer.step(x)
      times.append((monotonicSeconds() - t0) * 1e3)
      ls += [s.lossG, s.lossE]
    }
    losses?.pointee = ls
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Result(configuration: c, milliseconds: times, peakResidentMB: Double(usage.ru_maxrss) / 1024)
  }
}

extension Benchmark {
  /// GFLOP/s of each ConvTranspose2d of the SVHN and Fashion-MNIST generators (batch 100), forward
  /// and input-gradient, through the planned kernels the Langevin chains use (for a layer from a
  /// 1×1 input, also with its weights packed, as the chains run it); and of `cblas_sgemm` on square
  /// 1024 matrices for comparison. One line each.
  public static func kernels(threads: Int = 2, repeats: Int = 5) throws -> [String] {
    try Threads.with(threads) { try measureKernels(repeats: repeats) }
  }

  /// GFLOP/s of `cblas_sgemm` on square 1024 matrices, best of `repeats` (under a second): the
  /// machine's speed at this moment, to read a configuration's GFLOP/s against (the machine's
  /// speed drifts, so measure it just before and after).
  public static func sgemm(threads: Int = 2, repeats: Int = 5) throws -> String {
    try Threads.with(threads) { try measureSGEMM(repeats: repeats) }
  }

  /// The shortest of `repeats` timed runs of `body`, after one untimed run.
  private static func bestSeconds(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var t = Double.infinity
    for _ in 0..<repeats { let t0 = monotonicSeconds(); try body(); t = Swift.min(t, monotonicSeconds() - t0) }
    return t
  }

  private static func measureSGEMM(repeats: Int) throws -> String {
    var rng = RandomGenerator(seed: 0)
    let a = try Tensor.randn([1024, 1024], using: &rng), b = try Tensor.randn([1024, 1024], using: &rng)
    let t = try bestSeconds(repeats) { _ = try Tensor.matmul(a, b) }
    return "sgemm 1024x1024x1024: \(String((2 * 1024 * 1024 * 1024 / t / 1e8).rounded() / 10)) GFLOP/s"
  }

  private static func measureKernels(repeats: Int) throws -> [String] {
    var rng = RandomGenerator(seed: 0)
    func best(_ body: () throws -> Void) rethrows -> Double { try bestSeconds(repeats, body) }
    func f(_ x: Double) -> String { String((x * 10).rounded() / 10) }
    var lines = [try measureSGEMM(repeats: repeats)]
    // (in, out, kernel, stride, padding, input size) of the reference SVHN generator (ngf = 64) and
    // of the Fashion-MNIST one (`bench fmnist`).
    let nets = [
      ("SVHN", [(100, 512, 4, 1, 0, 1), (512, 256, 4, 2, 1, 4), (256, 128, 4, 2, 1, 8), (128, 3, 4, 2, 1, 16)]),
      ("Fashion-MNIST", [(32, 256, 7, 1, 0, 1), (256, 128, 4, 2, 1, 7), (128, 1, 4, 2, 1, 14)]),
    ]
    for (net, layers) in nets {
      var totalFlop = 0.0, totalF = 0.0, totalB = 0.0
      for (cin, cout, k, st, p, h) in layers {
        let layer = try ConvTranspose2d(cin, cout, kernelSize: k, stride: st, padding: p, init: .xavierNormal(gain: 1), using: &rng)
        let plan = try InputGradientPlan([layer], inputShape: [100, cin, h, h])
        let x = try Tensor.randn([100, cin, h, h], using: &rng)
        let dy = try Tensor.randn(plan.outputShape, using: &rng)
        let dx = try Tensor.zeros(x.shape)
        let forward = { x.withUnsafeBufferPointer { _ = plan.forward($0.baseAddress!) } }
        let backward = { dy.withUnsafeBufferPointer { d in dx.withUnsafeMutableBufferPointer { plan.backward(d.baseAddress!, into: $0.baseAddress!) } } }
        let tf = best(forward), tb = best(backward)
        let flop = 2.0 * 100 * Double(h * h * cin * cout * k * k)
        totalFlop += flop; totalF += tf; totalB += tb
        var line = "ConvTranspose2d \(cin)→\(cout) k\(k) s\(st) p\(p) \(h)×\(h): forward \(f(flop / tf / 1e9)) GFLOP/s, input-gradient \(f(flop / tb / 1e9)) GFLOP/s"
        if h == 1 {
          plan.packWeights()
          let pf = best(forward), pb = best(backward)
          plan.unpackWeights()
          line += "; weights packed: forward \(f(flop / pf / 1e9)), input-gradient \(f(flop / pb / 1e9))"
        }
        lines.append(line)
      }
      lines.append("\(net) generator (\(layers.count) layers, batch 100): forward \(f(totalFlop / totalF / 1e9)) GFLOP/s, input-gradient \(f(totalFlop / totalB / 1e9)) GFLOP/s")
    }
    return lines
  }
}

extension String {
  init(format3 x: Double) { let r = (x * 1000).rounded() / 1000; self = String(r) }
}

// export_torch's files: written deterministically and refused for a bad folder (always run), and,
// when LEBM_TEST_PYTHON names a Python with torch, checked against lebm: the energies, g(z) and the
// noise-free samplers agree, and torchrun's checkpoints load back and train on.
import Engine
import Foundation
import Support
import Testing

@testable import LatentEBM

@Suite struct TorchExportTests {
  /// A small trained model: the toy MLP pair, or a residual energy with a conv generator of
  /// `imageSize` (28×28 with one channel; 64×64, the paper's CelebA net, with three).
  static func trained(conv: Bool, imageSize: Int = 28, config: TrainConfig? = nil) throws -> (LatentEBM, Trainer) {
    var rng = RandomGenerator(seed: conv ? 7 : 3)
    let m: LatentEBM
    if conv {
      m = try LatentEBM(energy: ResidualEnergyNet(latent: 8, width: 16, blocks: 1, activation: .gelu, form: .tanh, using: &rng),
                        generator: Generator(latent: 8, imageSize: imageSize, channels: imageSize == 28 ? 1 : 3, ngf: 4, using: &rng),
                        sigma: 0.3)
    } else {
      m = try LatentEBM(energy: EnergyNet(latent: 2, hidden: [32, 32], using: &rng),
                        generator: Generator(latent: 2, hidden: [32, 32], output: 2, using: &rng), sigma: 0.3, priorSigma: 1.5)
    }
    var c = config ?? TrainConfig()
    if config == nil { c.prior.steps = 10; c.posterior.steps = 5 }
    let t = try Trainer(model: m, config: c, seed: 11)
    let x = try Tensor.randn([16] + m.generator.outputShape, using: &rng).tanh()
    for _ in 0..<3 { _ = try t.step(x) }
    return (m, t)
  }

  /// The sentence the export prints: train.py's rates as `Run.apply_schedule` sets them, and
  /// the quick-start's example in docs/pytorch.md (its cool-down rates after 220 epochs).
  @Test func ratesNoteSaysWhatTrainPyStartsFrom() {
    var c = TrainConfig()
    c.lrG = 1e-4; c.lrE = 1e-5
    let note = TorchExport.ratesNote(c, epoch: 220, hasEnergy: true)
    #expect(note == "train.py trains with lr_g=0.0001, lr_e=1.0e-5, decayed by lr_decay^epoch = 0.998^220 = 0.6438 at its start (epoch 220)")
    let doc = (try? String(contentsOfFile: TorchTemplateTests.sources + "/../../../docs/pytorch.md", encoding: .utf8)) ?? ""
    #expect(doc.contains(note + " (the model's settings)"), "docs/pytorch.md shows the quick-start's line")
    #expect(TorchExport.ratesNote(TrainConfig(), epoch: 0, hasEnergy: false) == "train.py trains with lr_g=0.0001, decaying by 0.998 per epoch")
    c.lrDecay = 1
    #expect(TorchExport.ratesNote(c, epoch: 220, hasEnergy: true) == "train.py trains with lr_g=0.0001, lr_e=1.0e-5")
  }

  @Test func writesTheFilesTheSameWayTwice() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    let (m, t) = try Self.trained(conv: false)
    let a = try TorchExport.write(m, trainer: t, to: dir + "/a"), b = try TorchExport.write(m, trainer: t, to: dir + "/b/nested")
    #expect(a.map(baseName) == TorchExport.files)
    for (p, q) in zip(a, b) {
      let bytes = try readFileBytes(p)
      #expect(bytes.count > 1000, "\(p) is written")
      #expect(bytes == (try readFileBytes(q)), "\(baseName(p)) is the same in both exports")
    }
    let modelPy = try readTextFile(a[0]), trainPy = try readTextFile(a[1])
    #expect(modelPy.contains("\"energy\":{\"activation\":\"leaky_relu\"") && modelPy.contains("\"prior_sigma\":1.5"))
    #expect(trainPy.contains("\"prior_steps\": 10,") && trainPy.contains("\"clip_g\": None,") && !trainPy.contains("{{"))
    // weights.safetensors is a checkpoint lebm loads, training state included.
    let (m2, t2) = try Checkpoint.load(a[2])
    #expect(m2.description == m.description && t2?.step == 3 && t2?.config == t.config)
  }

  @Test func refusesAFolderThatIsAFile() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    let (m, _) = try Self.trained(conv: false)
    try writeFile(dir + "/file", "x")
    #expect { try TorchExport.write(m, to: dir + "/file/out") } throws: { e in
      "\(e)".contains("cannot export to '\(dir)/file/out': '\(dir)/file' is a file, not a folder")
    }
    #expect { try TorchExport.write(m, to: "") } throws: { e in "\(e)".contains("no folder given") }
    #expect { try TorchExport.write(m, to: "/proc/lebm-no/out") } throws: { e in "\(e)".contains("cannot make the folder '/proc/lebm-no'") }
  }

  /// The sorted names in `folder`.
  func listing(_ folder: String) throws -> [String] { try listDirectory(folder).map(\.name).sorted() }

  @Test func refusesAFolderThatHoldsAnythingUnlessOverwriting() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    let (m, t) = try Self.trained(conv: false)
    let folder = dir + "/out"
    try makeFolders(folder)
    try writeFile(folder + "/model.py", "mine")
    try writeFile(folder + "/notes.txt", "keep")
    #expect { try TorchExport.write(m, trainer: t, to: folder) } throws: { e in
      "\(e)".contains("cannot export to '\(folder)': the folder is not empty (it holds model.py, notes.txt); pass overwrite: true")
    }
    #expect(try readTextFile(folder + "/model.py") == "mine" && listing(folder) == ["model.py", "notes.txt"])
    #expect(try listing(dir) == ["out"], "nothing staged is left beside it")
    // overwrite: the four files are replaced, others stay, and they are those of a fresh export.
    let paths = try TorchExport.write(m, trainer: t, to: folder, overwrite: true)
    let fresh = try TorchExport.write(m, trainer: t, to: dir + "/fresh")
    #expect(try listing(folder) == (TorchExport.files + ["notes.txt"]).sorted() && readTextFile(folder + "/notes.txt") == "keep")
    for (p, q) in zip(paths, fresh) { #expect(try readFileBytes(p) == readFileBytes(q), "\(baseName(p))") }
    #expect(try listing(dir) == ["fresh", "out"])
    // An empty folder takes an export as a missing one does.
    try makeFolders(dir + "/empty")
    #expect(try TorchExport.write(m, to: dir + "/empty/").count == 4 && listing(dir + "/empty") == TorchExport.files.sorted())
    // A FIFO where a file goes is refused even with overwrite, and stays a FIFO.
    try removeTree(folder + "/train.py")
    #expect(mkfifo(folder + "/train.py", 0o600) == 0)
    #expect { try TorchExport.write(m, to: folder, overwrite: true) } throws: { e in
      "\(e)".contains("'train.py' is a FIFO (named pipe), not a regular file")
    }
    var st = stat()
    #expect(lstat(folder + "/train.py", &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
  }

  @Test func aFailedExportLeavesNothingPartial() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    struct Midway: Error {}
    // Two files written, the third fails.
    let writers: [(name: String, write: (String) throws -> Void)] = [
      ("a.py", { try writeFile($0, "new") }), ("b.py", { try writeFile($0, "new") }), ("c.py", { _ in throw Midway() }),
    ]
    #expect(throws: Midway.self) { try TorchExport.install(writers, into: dir + "/new/deeper", overwrite: false) }
    #expect(try listing(dir) == ["new"] && listing(dir + "/new") == [], "only the parent is made; nothing staged is left")
    try makeFolders(dir + "/old")
    for f in ["a.py", "b.py", "c.py"] { try writeFile(dir + "/old/" + f, "old") }
    #expect(throws: Midway.self) { try TorchExport.install(writers, into: dir + "/old", overwrite: true) }
    for f in ["a.py", "b.py", "c.py"] { #expect(try readTextFile(dir + "/old/" + f) == "old") }
    #expect(try listing(dir) == ["new", "old"])
  }

  // MARK: - Against PyTorch

  /// LEBM_TEST_PYTHON when it imports torch, safetensors and numpy.
  static let python: String? = {
    guard let p = environmentValue("LEBM_TEST_PYTHON"), !p.isEmpty else { return nil }
    return (try? runProcess(p, ["-c", "import torch, safetensors, numpy"]))?.status == 0 ? p : nil
  }()

  /// Runs a program; returns its exit status and its output (stdout and stderr). Killed after `limit` s.
  static func runProcess(_ program: String, _ arguments: [String], in folder: String? = nil, limit: Double = 300) throws
    -> (status: Int32, output: String) {
    let p = Process(), pipe = Pipe()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = arguments
    if let folder { p.currentDirectoryURL = URL(fileURLWithPath: folder) }
    p.standardOutput = pipe; p.standardError = pipe
    try p.run()
    let timer = DispatchWorkItem { p.terminate() }
    DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: timer)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    timer.cancel()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// Writes z and x to `folder/inputs.json` and a `check.py` that loads the export's weights with
  /// model.py, reads them (x shaped by the model's output) and prints `outputs` (a Python dict of
  /// tensors, over m, z and x, importing `imports` from model.py) as JSON lists; runs it and returns them.
  static func runCheck(_ python: String, in folder: String, z: Tensor, x: Tensor, imports: String, outputs: String) throws -> [String: [Double]] {
    try writeFile(folder + "/inputs.json", "{\"z\": \(json(z)), \"x\": \(json(x))}")
    try writeFile(folder + "/check.py", """
      import json, torch
      from model import load_checkpoint, \(imports)
      m, _, _ = load_checkpoint("weights.safetensors")
      inputs = json.load(open("inputs.json"))
      z = torch.tensor(inputs["z"]).reshape(-1, m.latent)
      x = torch.tensor(inputs["x"]).reshape([-1] + m.output_shape)
      out = \(outputs)
      print(json.dumps({k: v.flatten().tolist() for k, v in out.items()}))
      """)
    let (status, output) = try runProcess(python, ["check.py"], in: folder)
    try #require(status == 0, "check.py failed: \(output)")
    let last = output.split(separator: "\n").last.map(String.init) ?? ""
    return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: [Double]])
  }

  static func json(_ t: Tensor) -> String { "[" + t.scalars.map { "\($0)" }.joined(separator: ",") + "]" }

  @Test(.enabled(if: python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"),
        arguments: [0, 28, 64])
  func modelPyAgreesWithLebm(imageSize: Int) throws {
    let python = try #require(Self.python)
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    let conv = imageSize > 0
    let (m, _) = try Self.trained(conv: conv, imageSize: imageSize)
    try TorchExport.write(m, to: dir)
    var rng = RandomGenerator(seed: 5)
    let z = try Tensor.randn([6, m.latent], using: &rng)
    let x = try m.generator(try Tensor.randn([6, m.latent], using: &rng)) + (try Tensor.randn([6] + m.generator.outputShape, using: &rng)) * 0.1
    let prior = LangevinConfig(steps: 10, stepSize: 0.4, noise: false), posterior = LangevinConfig(steps: 10, stepSize: 0.1, noise: false)
    let lebm: [String: Tensor] = [
      "energy": try m.energy(z), "decode": try m.generator(z),
      "prior": try m.samplePrior(from: z, config: prior, using: &rng),
      "posterior": try m.samplePosterior(x, from: z, config: posterior, using: &rng),
    ]
    let torch = try Self.runCheck(python, in: dir, z: z, x: x, imports: "sample_posterior, sample_prior", outputs: """
      {"energy": m.energies(z).detach(), "decode": m.decode(z).detach(),
       "prior": sample_prior(m, z, 10, 0.4, noise=False), "posterior": sample_posterior(m, x, z, 10, 0.1, noise=False)}
      """)
    for (name, tolerance) in [("energy", 1e-5), ("decode", 1e-5), ("prior", 1e-4), ("posterior", 1e-4)] {
      let a = lebm[name]!.scalars, b = try #require(torch[name])
      #expect(a.count == b.count)
      let worst = zip(a, b).map { abs(Double($0) - $1) }.max() ?? .infinity
      #expect(worst <= tolerance, "\(conv ? "conv \(imageSize)" : "MLP") \(name): |lebm − torch| up to \(worst)")
      // The comparison means something only if the outputs vary.
      #expect((a.max() ?? 0) - (a.min() ?? 0) > 1e-3, "\(name) is constant")
    }
  }

  /// A model with an encoder (an MLP over points, a conv one over 28×28 images), trained a few
  /// steps and exported: model.py's `encode` gives lebm's mean and log-variance.
  @Test(.enabled(if: python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"), arguments: [false, true])
  func modelPyReproducesTheEncoder(conv: Bool) throws {
    let python = try #require(Self.python)
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch-encoder")
    defer { try? removeTree(dir) }
    var rng = RandomGenerator(seed: 13)
    let g = conv ? try Generator(latent: 8, imageSize: 28, channels: 1, ngf: 4, using: &rng)
      : try Generator(latent: 2, hidden: [16], output: 3, using: &rng)
    let q = conv ? try GaussianEncoder(latent: 8, imageSize: 28, channels: 1, ndf: 4, using: &rng)
      : try GaussianEncoder(latent: 2, input: 3, hidden: [16, 8], using: &rng)
    let m = try LatentEBM(energy: EnergyNet(latent: g.latent, hidden: [8], using: &rng), generator: g, sigma: 0.3, encoder: q)
    var c = TrainConfig()
    c.prior.steps = 5; c.posterior.steps = 2
    let t = try Trainer(model: m, config: c, seed: 3)
    let data = try Tensor.randn([8] + g.outputShape, using: &rng).tanh()
    for _ in 0..<3 { _ = try t.step(data) }
    try TorchExport.write(m, trainer: t, to: dir)
    let x = try Tensor.randn([5] + g.outputShape, using: &rng).tanh()
    let lebm = try q(x)
    let torch = try Self.runCheck(python, in: dir, z: try Tensor.zeros([1, m.latent]), x: x, imports: "LatentEBM", outputs: """
      dict(zip(["mean", "log_var"], [t.detach() for t in m.encode(x)]))
      """)
    for (name, values) in [("mean", lebm.mean.scalars), ("log_var", lebm.logVariance.scalars)] {
      let b = try #require(torch[name])
      #expect(values.count == b.count)
      let worst = zip(values, b).map { abs(Double($0) - $1) }.max() ?? .infinity
      #expect(worst <= 1e-5, "\(conv ? "conv" : "MLP") encoder \(name): |lebm − torch| up to \(worst)")
      #expect((values.max() ?? 0) - (values.min() ?? 0) > 1e-3, "\(name) is constant")
    }
  }

  /// The Debian package's Fashion-MNIST, or (without it) an IDX file of random images.
  static func fashionSubset(_ dir: String) throws -> String {
    let debian = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
    if isRegularFile(debian) { return debian }
    var bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 200, 0, 0, 0, 28, 0, 0, 0, 28]
    var rng = RandomGenerator(seed: 1)
    for _ in 0..<(200 * 28 * 28) { bytes.append(UInt8(rng.int(below: 256))) }
    try writeFile(dir + "/images.idx", bytes)
    return dir + "/images.idx"
  }

  static func isRegularFile(_ path: String) -> Bool { (try? readFilePrefix(path, count: 1)) != nil }

  /// train.py's loader gives each of two processes its half of a PNG folder, a .npy and an IDX
  /// file (gzip-compressed or not): examples rank, rank + 2, …, the ones one process sees at
  /// those positions, with only its own PNGs decoded and the .npy memory-mapped, not read. With
  /// Pillow installed, its PNG reader and the pure-Python one give the same pixels.
  @Test(.enabled(if: python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"))
  func eachProcessLoadsItsShareOfTheData() throws {
    let python = try #require(Self.python)
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    let (m, _) = try Self.trained(conv: true)
    try TorchExport.write(m, to: dir)
    try writeFile(dir + "/shards.py", #"""
      import gzip, json, os, struct, zlib
      import numpy as np
      import train

      rng = np.random.default_rng(0)
      images = rng.integers(0, 256, (11, 1, 28, 28), dtype=np.uint8)
      np.save("x.npy", images)
      header = struct.pack(">BBBB3I", 0, 0, 8, 3, 11, 28, 28)
      open("x.idx", "wb").write(header + images.tobytes())
      with gzip.open("x.idx.gz", "wb") as f:
          f.write(header + images.tobytes())
      os.mkdir("pngs")
      def chunk(kind, body):
          return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
      for i, image in enumerate(images):  # 8-bit gray, each row with filter 0
          rows = b"".join(b"\x00" + row.tobytes() for row in image[0])
          png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
          open(f"pngs/{i:02d}.png", "wb").write(png + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

      decoded = []
      reader = train.read_png
      train.read_png = lambda path: decoded.append(os.path.basename(path)) or reader(path)
      out = {}
      for data in ["pngs", "x.npy", "x.idx", "x.idx.gz"]:
          for limit in [None, 7]:
              whole = train.read_data(data, [1, 28, 28], limit)
              every = whole.batch(np.arange(len(whole))).numpy()
              for rank in [0, 1]:
                  decoded.clear()
                  share = train.read_data(data, [1, 28, 28], limit, rank, 2)
                  rows = share.batch(np.arange(len(share))[::-1]).numpy()
                  out[f"{data} {limit} {rank}"] = {
                      "total": share.total, "count": len(share), "decoded": len(decoded),
                      "same": bool((rows == every[rank::2][::-1]).all()), "dtype": str(rows.dtype),
                      "mapped": isinstance(share.share, np.memmap),
                  }
          out[data] = bool((every == images[:len(every)] / np.float32(127.5) - 1).all())
      # With Pillow, its reader and the pure-Python one agree on every 8-bit kind of PNG, rows
      # filtered as Pillow chooses (Sub, Up, Average, Paeth).
      try:
          from PIL import Image
          y, x = np.mgrid[0:20, 0:24]
          smooth = lambda c: ((x[..., None] * 7 + y[..., None] * 5 + rng.integers(0, 9, (20, 24, c))) % 256).astype(np.uint8)
          kinds = [("L", smooth(1)[..., 0]), ("LA", smooth(2)), ("RGB", smooth(3)), ("RGBA", smooth(4))]
          for mode, pixels in kinds + [("P", smooth(3))]:
              image = Image.fromarray(pixels, "RGB" if mode == "P" else mode)
              (image.quantize(64) if mode == "P" else image).save(f"{mode}.png")
          out["pillow"] = all(np.array_equal(train.read_png_pure(f"{m}.png"), train.read_png_pillow(f"{m}.png"))
                              for m in ["L", "LA", "RGB", "RGBA", "P"])
      except ImportError:
          out["pillow"] = None
      print(json.dumps(out))
      """#)
    let (status, output) = try Self.runProcess(python, ["shards.py"], in: dir)
    try #require(status == 0, "shards.py failed: \(output)")
    let last = output.split(separator: "\n").last.map(String.init) ?? ""
    let json = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    #expect(json["pillow"] is NSNull || json["pillow"] as? Bool == true, "Pillow's pixels differ from the pure-Python reader's")
    for data in ["pngs", "x.npy", "x.idx", "x.idx.gz"] {
      #expect(json[data] as? Bool == true, "\(data): one process reads the images as lebm scales them")
      for (limit, total, counts) in [("None", 11, [6, 5]), ("7", 7, [4, 3])] {
        for rank in [0, 1] {
          let share = try #require(json["\(data) \(limit) \(rank)"] as? [String: Any])
          #expect(share["total"] as? Int == total && share["count"] as? Int == counts[rank], "\(data) \(limit) \(rank): \(share)")
          #expect(share["same"] as? Bool == true && share["dtype"] as? String == "float32", "\(data) \(limit) \(rank)")
          #expect(share["decoded"] as? Int == (data == "pngs" ? counts[rank] : 0), "\(data) \(limit) \(rank): only its own PNGs")
          #expect(share["mapped"] as? Bool == (data == "x.npy" || data == "x.idx"), "\(data): mapped, not read")
        }
      }
    }
  }

  @Test(.enabled(if: python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"))
  func torchrunCheckpointsLoadBackAndTrain() throws {
    let python = try #require(Self.python)
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    var c = TrainConfig()
    c.prior.steps = 5; c.posterior.steps = 5; c.persistentChains = 50; c.clipE = 1; c.energyPenalty = 0.1; c.lrDecay = 0.9
    let (m, t) = try Self.trained(conv: true, config: c)
    try TorchExport.write(m, trainer: t, to: dir)
    let data = try Self.fashionSubset(dir)
    let (status, output) = try Self.runProcess(python, [
      "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "train.py", data, "--limit", "200",
      "--batch", "20", "--iterations", "20", "--checkpoint-every", "10", "--out", "ck", "--device", "cpu", "--stats", "stats.jsonl",
    ], in: dir)
    try #require(status == 0, "torchrun failed: \(output)")
    #expect(output.contains("on 2 process(es)"))
    // 3 steps in lebm, then 20 under torchrun: two epochs of 200 / 20 batches.
    let (m2, t2) = try Checkpoint.load(dir + "/ck/step-000023.safetensors")
    let trainer = try #require(t2)
    #expect(trainer.step == 23 && trainer.epoch == 2 && trainer.optimizerG.stepCount == 23 && trainer.optimizerE?.stepCount == 23)
    #expect(trainer.config == c)
    #expect(abs(trainer.optimizerG.learningRate - c.lrG * 0.81) < 1e-9, "the rates decayed twice")
    #expect(trainer.persistent?.shape == [50, 8])
    #expect(m2.generator.parameters.map(\.scalars) != m.generator.parameters.map(\.scalars), "train.py changed the weights")
    let log = try readTextFile(dir + "/stats.jsonl").split(separator: "\n")
    #expect(log.count == 20)
    var rng = RandomGenerator(seed: 2)
    let s = try trainer.step(try Tensor.randn([10, 1, 28, 28], using: &rng).tanh())
    #expect(s.step == 24 && s.lossG.isFinite && s.lossE.isFinite)
  }
}

import Testing
import Engine
import Glibc
import Support
@testable import LatentEBM

/// Hostile input to training and checkpoints: a clean error naming the problem (and the file),
/// and nothing the user had changes.
@Suite struct HardeningTests {
  func tinyModel(seed: UInt64) throws -> LatentEBM {
    var rng = RandomGenerator(seed: seed)
    return try LatentEBM(energy: EnergyNet(latent: 2, hidden: [8], using: &rng), generator: Generator(latent: 2, hidden: [8], output: 2, using: &rng))
  }

  func scratch() throws -> (dir: String, remove: () -> Void) {
    let dir = try makeTemporaryDirectory(prefix: "lebm-hardening")
    return (dir, { try? removeTree(dir) })
  }

  // MARK: - Training never reports success over a broken model

  @Test(arguments: [Float(1e6), 1e20, 1e38])
  func hugeLearningRatesAreUndone(_ lr: Float) throws {
    let m = try tinyModel(seed: 1)
    var c = TrainConfig(); c.prior.steps = 3; c.posterior.steps = 3; c.persistentChains = 16
    let t = try Trainer(model: m, config: c, seed: 2)
    var rng = RandomGenerator(seed: 3)
    let x = try Tensor.randn([8, 2], using: &rng)
    _ = try t.step(x)
    let weights = m.parameters.map(\.scalars), moments = t.optimizerG.secondMoments.map(\.scalars) + t.optimizerE!.firstMoments.map(\.scalars)
    let chains = t.persistent!.scalars, state = t.rng.state, adamSteps = t.optimizerG.stepCount
    var g1 = RandomGenerator(seed: 9)
    let samples = try m.generate(5, config: LangevinConfig(steps: 3, stepSize: 0.4), using: &g1).scalars
    c.lrG = lr; c.lrE = lr
    try t.configure(c)
    do { _ = try t.step(x); Issue.record("lr \(lr): no error") } catch let e as LatentEBMError {
      guard case .diverged(let message) = e else { Issue.record("\(e)"); return }
      #expect(message.contains("step 2: the update would leave") && message.contains("as they were after step 1") && message.contains("Remedies"))
    }
    #expect(m.parameters.map(\.scalars) == weights)
    #expect(t.optimizerG.secondMoments.map(\.scalars) + t.optimizerE!.firstMoments.map(\.scalars) == moments)
    #expect(t.persistent!.scalars == chains && t.rng.state == state && t.step == 1 && t.optimizerG.stepCount == adamSteps)
    var g2 = RandomGenerator(seed: 9)
    #expect(try m.generate(5, config: LangevinConfig(steps: 3, stepSize: 0.4), using: &g2).scalars == samples)
    #expect(t.history.count == 1)
  }

  // MARK: - Checkpoints are validated before anything is built

  /// The checkpoint at `path` with its header rewritten by `edit` (and its length field updated
  /// unless `lengthDelta` says otherwise).
  func rewrite(_ path: String, lengthDelta: Int = 0, _ edit: (String) -> String) throws {
    let bytes = try readFileBytes(path)
    var n = 0
    for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
    let header = edit(String(decoding: bytes[8..<(8 + n)], as: UTF8.self))
    var out: [UInt8] = []
    let length = UInt64(header.utf8.count + lengthDelta)
    for i in 0..<8 { out.append(UInt8((length >> (8 * UInt64(i))) & 0xff)) }
    out += Array(header.utf8) + bytes[(8 + n)...]
    try writeFile(path, out)
  }

  func expectError(_ path: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do { _ = try Checkpoint.load(path); Issue.record("no error (\(text))", sourceLocation: sourceLocation) } catch {
      #expect("\(error)".hasPrefix(path) && "\(error)".contains(text), "\(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func craftedCheckpointsAreCleanErrors() throws {
    let (dir, remove) = try scratch()
    defer { remove() }
    let m = try tinyModel(seed: 4)
    var c = TrainConfig(); c.prior.steps = 2; c.posterior.steps = 2; c.persistentChains = 4
    let t = try Trainer(model: m, config: c, seed: 5)
    var rng = RandomGenerator(seed: 6)
    _ = try t.step(try Tensor.randn([4, 2], using: &rng))
    let good = dir + "/good.safetensors", path = dir + "/bad.safetensors"
    try Checkpoint.save(m, trainer: t, to: good)
    func fresh() throws { try writeFile(path, try readFileBytes(good)) }
    func escaped(_ s: String) -> String { s.replacing("\"", with: "\\\"") }

    // A huge architecture in the metadata: refused before any allocation.
    try fresh()
    try rewrite(path) { $0.replacing(escaped("\"hidden\":[8],\"kind\":\"mlp\",\"output\":2"), with: escaped("\"hidden\":[60000,60000],\"kind\":\"mlp\",\"output\":2")) }
    expectError(path, "describes 3600360035 weights but the file holds 75")
    // Header length 1–3 bytes too small (the padding cut): the data would start early.
    for delta in [-1, -2, -3] {
      try fresh()
      try rewrite(path, lengthDelta: delta) { $0 }
      do { _ = try Checkpoint.load(path); Issue.record("length \(delta): no error") } catch { #expect("\(error)".hasPrefix(path)) }
    }
    // Every offset 0, or two tensors overlapping.
    try fresh()
    try rewrite(path) { h in
      var out = "", rest = Substring(h)
      while let r = rest.firstRange(of: "\"data_offsets\":[") {
        out += rest[..<r.upperBound] + "0,"
        rest = rest[r.upperBound...].drop(while: { $0 != "," }).dropFirst()
      }
      return out + rest
    }
    expectError(path, "does not match its byte range")
    // Non-finite weights, negative or NaN Adam second moments.
    for (tensor, value) in [("energy.0.weight", Float.nan), ("optimizer_g.v.0", -1), ("optimizer_e.v.1", .nan), ("persistent_chains", .infinity)] {
      try fresh()
      let (tensors, meta) = try Safetensors.read(path)
      var named = tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      let i = named.firstIndex { $0.0 == tensor }!
      named[i].1 = named[i].1.copy()
      named[i].1.withUnsafeMutableBufferPointer { $0[0] = value }
      try Safetensors.write(named, metadata: meta, to: path)
      expectError(path, tensor)
    }
    // Implausible settings and counts, a wrong-shaped persistent buffer.
    for (from, to, message) in [("\"epoch\":0", "\"epoch\":1000000000000000", "step counts"),
                                ("\"prior_steps\":2", "\"prior_steps\":1000000000000", "'prior_steps' must be a whole number from 0 to 100000"),
                                ("\"persistent\":4", "\"persistent\":5", "persistent_chains has shape [4, 2]"),
                                ("\"lr_e\":2e-05", "\"lr_e\":-1", "'lr_e' must be a positive number")] {
      try fresh()
      try rewrite(path) { $0.replacing(escaped(from), with: escaped(to)) }
      #expect(try readTextFile(path).contains(escaped(to)), "\(from) not found in the header")
      expectError(path, message)
    }
    #expect(try Checkpoint.load(good).trainer?.step == 1)
  }

  /// Every number, type and key of a record is checked (#23): out of Float32's range, wrong
  /// types, misspelt keys and keys given twice are errors naming the key, not silent defaults.
  @Test func craftedRecordsAreRefusedNamingTheKey() throws {
    let (dir, remove) = try scratch()
    defer { remove() }
    let m = try tinyModel(seed: 4)
    var c = TrainConfig(); c.prior.steps = 2; c.posterior.steps = 2
    let t = try Trainer(model: m, config: c, seed: 5)
    var rng = RandomGenerator(seed: 6)
    _ = try t.step(try Tensor.randn([4, 2], using: &rng))
    let good = dir + "/good.safetensors", path = dir + "/bad.safetensors"
    try Checkpoint.save(m, trainer: t, to: good)
    func escaped(_ s: String) -> String { s.replacing("\"", with: "\\\"") }
    for (from, to, message) in [
      ("\"slope\":0.2", "\"slope\":1e308", "'slope' must be a finite number within Float32's range (±3.4e38), got 1e+308"),
      ("\"slope\":0.2", "\"slope\":3e38", "'slope' must be a finite number in -1000…1000"),
      ("\"slope\":0.2", "\"slope\":\"abc\"", "'slope' must be a number, got \"abc\""),
      ("\"activation\":\"leaky_relu\"", "\"activation\":7", "'activation' must be a string, got 7"),
      ("\"sigma\":0.3", "\"sigma\":1e-60", "'sigma' must be a positive number (as a Float32), got 1e-60"),
      ("\"sigma\":0.3", "\"sigma\":\"0.3\"", "'sigma' must be a number, got \"0.3\""),
      ("\"latent\":2", "\"latent\":2,\"latnet\":2", "unknown key 'latnet' (did you mean 'latent'?) in the model record"),
      ("\"form\":\"identity\"", "\"form\":\"identity\",\"hiden\":[8]", "unknown key 'hiden' (did you mean 'hidden'?) in the energy record"),
      ("\"energy_penalty\":0", "\"elergy_penalty\":0", "unknown key 'elergy_penalty' (did you mean 'energy_penalty'?) in the training settings record"),
      ("\"epoch\":0", "\"epoch\":0,\"epochs\":0", "unknown key 'epochs' (did you mean 'epoch'?) in the training record"),
      ("\"lr_e\":2e-05", "\"lr_e\":1e308", "'lr_e' must be a finite number within Float32's range"),
      ("\"clip_g\":null", "\"clip_g\":1e39", "'clip_g' must be a number ≥ 0 (0: off) within Float32's range"),
      ("\"adam_steps_e\":1", "\"adam_steps_e\":\"1\"", "step counts must be whole numbers"),
      ("\"latent\":2", "\"latent\":2,\"latent\":3", "the 'model' record has a duplicate key \"latent\""),
    ] {
      try writeFile(path, try readFileBytes(good))
      try rewrite(path) { $0.replacing(escaped(from), with: escaped(to)) }
      #expect(try readTextFile(path).contains(escaped(to)), "\(from) not found in the header")
      expectError(path, message)
    }
    // A tensor named twice in the header: safetensors' readers keep the last, so it is refused.
    try writeFile(path, try readFileBytes(good))
    try rewrite(path) { "{\"energy.0.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}," + $0.dropFirst() }
    expectError(path, "corrupt header: the key \"energy.0.bias\" is given twice (at byte ")
    #expect(try Checkpoint.load(good).trainer?.step == 1)
  }

  /// The 8-byte header length: over the format's limit, or implausible for a file that is not
  /// safetensors at all.
  @Test func headerLengthsAreReportedForWhatTheyAre() throws {
    let (dir, remove) = try scratch()
    defer { remove() }
    let csv = dir + "/toy.csv", big = dir + "/big.safetensors", cut = dir + "/cut.safetensors"
    try writeFile(csv, "x,y\n1,2\n3,4\n")
    expectError(csv, "not a safetensors file: its first 8 bytes do not give a plausible header length")
    var length = UInt64(200_000_000).littleEndian
    try writeFile(big, withUnsafeBytes(of: &length) { Array($0) } + Array("{\"a\":1}".utf8) + [UInt8](repeating: 32, count: 64))
    expectError(big, "the header claims 200000000 bytes, over the format's limit of 100000000 bytes (100 MB)")
    length = UInt64(1000).littleEndian
    try writeFile(cut, withUnsafeBytes(of: &length) { Array($0) } + Array("{\"a\":1}".utf8))
    expectError(cut, "truncated or corrupt: the header claims 1000 bytes but the file has 7 after the length")
  }

  // MARK: - Saving

  @Test func savingReclaimsLeftoversFollowsLinksAndTakesLongNames() throws {
    let (dir, remove) = try scratch()
    defer { remove() }
    let m = try tinyModel(seed: 7)
    // A leftover of a save killed midway is reclaimed.
    try writeFile(dir + "/.m.safetensors.lebm-tmp", [UInt8](repeating: 7, count: 1000))
    try Checkpoint.save(m, to: dir + "/m.safetensors")
    #expect(try listDirectory(dir).map(\.name).sorted() == ["m.safetensors"])
    // A link stays a link; the file it names gets the checkpoint.
    #expect(symlink("m.safetensors", dir + "/link.safetensors") == 0)
    try Checkpoint.save(m, to: dir + "/link.safetensors")
    var st = stat()
    #expect(lstat(dir + "/link.safetensors", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
    #expect(try Checkpoint.load(dir + "/link.safetensors").model.description == m.description)
    // A 253-byte name: the temporary file's affixes must not push it past the 255-byte limit.
    let long = dir + "/" + String(repeating: "x", count: 241) + ".safetensors"
    try Checkpoint.save(m, to: long)
    #expect(try Checkpoint.load(long).model.description == m.description)
    do { try Checkpoint.save(m, to: ""); Issue.record("no error") } catch { #expect("\(error)".contains("the path is empty")) }
    // A FIFO (or a link to one) is refused, not replaced, and the save does not block on it.
    #expect(mkfifo(dir + "/pipe", 0o600) == 0 && symlink("pipe", dir + "/to-pipe") == 0)
    for target in [dir + "/pipe", dir + "/to-pipe"] {
      do { try Checkpoint.save(m, to: target); Issue.record("saved into a FIFO") } catch {
        #expect("\(error)".contains("is a FIFO (named pipe), not a regular file"), "\(error)")
      }
    }
    #expect(lstat(dir + "/pipe", &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
  }
}


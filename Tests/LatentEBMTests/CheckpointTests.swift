import Testing
import Engine
import Glibc
import Support
@testable import LatentEBM

@Suite struct CheckpointTests {
  /// A path in a fresh scratch folder; `remove` deletes the folder.
  func tempPath(_ name: String) throws -> (path: String, remove: () -> Void) {
    let dir = try makeTemporaryDirectory(prefix: "lebm-checkpoint")
    return (dir + "/" + name, { try? removeTree(dir) })
  }

  @Test func roundTripGivesIdenticalOutputs() throws {
    var rng = RandomGenerator(seed: 1)
    let m = try LatentEBM(energy: EnergyNet(latent: 3, hidden: [6, 5], activation: .gelu, form: .softplus, using: &rng),
                          generator: Generator(latent: 3, hidden: [7], output: 4, using: &rng), sigma: 0.2)
    var c = TrainConfig(); c.prior.steps = 2; c.posterior.steps = 2; c.persistentChains = 8; c.clipE = 2
    let t = try Trainer(model: m, config: c, seed: 5)
    let x = try Tensor.randn([4, 4], using: &rng)
    _ = try t.step(x); t.endEpoch(); _ = try t.step(x)
    let (path, remove) = try tempPath("round.safetensors")
    defer { remove() }
    try Checkpoint.save(m, trainer: t, to: path)
    let (m2, t2) = try Checkpoint.load(path)
    let z = try Tensor.randn([5, 3], using: &rng)
    #expect(try m2.energy(z).scalars == m.energy(z).scalars)
    #expect(try m2.generator(z).scalars == m.generator(z).scalars)
    #expect(m2.sigma == 0.2 && m2.description == m.description)
    let t2u = try #require(t2)
    #expect(t2u.step == 2 && t2u.epoch == 1 && t2u.config == t.config)
    #expect(t2u.optimizerE!.learningRate == t.optimizerE!.learningRate)
    // Training continues identically from the restored state.
    let a = try t.step(x), b = try t2u.step(x)
    #expect(a == b)
  }

  @Test func historyRoundTripsAndOlderFilesLoadWithout() throws {
    var rng = RandomGenerator(seed: 4)
    let m = try LatentEBM(energy: EnergyNet(latent: 2, hidden: [4], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    var c = TrainConfig(); c.prior.steps = 2; c.posterior.steps = 2
    let t = try Trainer(model: m, config: c, seed: 1)
    let x = try Tensor.randn([4, 3], using: &rng)
    for _ in 0..<3 { _ = try t.step(x) }
    let (path, remove) = try tempPath("history.safetensors")
    defer { remove() }
    try Checkpoint.save(m, trainer: t, to: path)
    let loaded = try #require(try Checkpoint.load(path).trainer)
    #expect(loaded.history.steps == [1, 2, 3])
    #expect(loaded.history == t.history)
    // Steps continue after the loaded ones, and the next save keeps them all as one run.
    _ = try loaded.step(x)
    try Checkpoint.save(m, trainer: loaded, to: path)
    #expect(try #require(try Checkpoint.load(path).trainer).history.steps == [1, 2, 3, 4])

    // A checkpoint written before histories were kept: no `history` tensor or record.
    var (tensors, meta) = try Safetensors.read(path)
    tensors["history"] = nil
    guard case var .object(train) = try JSONValue.decode(meta["train"] ?? "") else { Issue.record("no train record"); return }
    let historyRecord = train["history"]
    train["history"] = nil
    meta["train"] = try JSONValue.object(train).encoded()
    try Safetensors.write(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: meta, to: path)
    let old = try #require(try Checkpoint.load(path).trainer)
    #expect(old.step == 4 && old.history.count == 0)

    // A history whose runs claim more steps than its table holds is an error, not a trap.
    tensors["history"] = try Tensor(shape: [1, TrainStats.names.count], scalars: [Float](repeating: 1, count: TrainStats.names.count))
    train["history"] = historyRecord
    meta["train"] = try JSONValue.object(train).encoded()
    try Safetensors.write(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: meta, to: path)
    #expect(throws: LatentEBMError.self) { try Checkpoint.load(path) }
  }

  @Test func convGeneratorRoundTrip() throws {
    var rng = RandomGenerator(seed: 2)
    let m = try LatentEBM(energy: nil, generator: Generator(latent: 4, imageSize: 28, channels: 1, ngf: 2, using: &rng))
    let (path, remove) = try tempPath("conv.safetensors")
    defer { remove() }
    try Checkpoint.save(m, to: path)
    let (m2, t2) = try Checkpoint.load(path)
    #expect(t2 == nil && m2.energyNet == nil)
    let z = try Tensor.randn([2, 4], using: &rng)
    #expect(try m2.generator(z).scalars == m.generator(z).scalars)
  }

  @Test func corruptFilesAreErrorsAndLeaveTheModelAlone() throws {
    var rng = RandomGenerator(seed: 3)
    let m = try LatentEBM(energy: EnergyNet(latent: 2, hidden: [4], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    let (path, remove) = try tempPath("corrupt.safetensors")
    defer { remove() }
    try Checkpoint.save(m, to: path)
    let f = fopen(path, "rb")!
    var bytes = [UInt8](repeating: 0, count: 1 << 16)
    let n = fread(&bytes, 1, bytes.count, f); fclose(f)
    func write(_ b: ArraySlice<UInt8>) { let g = fopen(path, "wb")!; _ = Array(b).withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, g) }; fclose(g) }
    let before = m.parameters.map(\.scalars)

    write(bytes[0..<(n - 10)])  // truncated body
    do { try Checkpoint.loadWeights(path, into: m); Issue.record("no error") } catch let e as LatentEBMError {
      #expect(e.description.hasPrefix(path) && e.description.contains("truncated"))
    }
    write(bytes[0..<5])  // truncated length
    #expect(throws: LatentEBMError.self) { try Checkpoint.load(path) }
    var bad = Array(bytes[0..<n]); bad[8] = 0x78  // corrupt JSON: "x" instead of "{"
    write(bad[...])
    do { _ = try Checkpoint.load(path); Issue.record("no error") } catch let e as LatentEBMError {
      #expect(e.description.contains("corrupt header"))
    }
    // A checkpoint of another architecture.
    let other = try LatentEBM(energy: EnergyNet(latent: 2, hidden: [9], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    try Checkpoint.save(other, to: path)
    do { try Checkpoint.loadWeights(path, into: m); Issue.record("no error") } catch let e as LatentEBMError {
      #expect(e.description.contains("tensor 'energy.0.weight' has shape [9, 2], the model needs [4, 2]"))
    }
    #expect(m.parameters.map(\.scalars) == before)
    #expect(throws: LatentEBMError.self) { try Checkpoint.load("/nonexistent/x.safetensors") }
    #expect(throws: LatentEBMError.self) { try Checkpoint.save(m, to: "/nonexistent/dir/x.safetensors") }
  }
}

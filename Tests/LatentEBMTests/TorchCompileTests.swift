// train.py's --compile modes on the CPU: `auto` (eager there) and `graphs` (the CUDA graph's code,
// run uncaptured: the static buffers filled by eager's draws in eager's order) give the eager
// iteration's statistics bit for bit, so on a GPU only the capture itself is left to check; and
// the eager numbers are those train.py gave before the modes existed.
import Engine
import Foundation
import Support
import Testing

@testable import LatentEBM

@Suite struct TorchCompileTests {
  @Test(.enabled(if: TorchExportTests.python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"))
  func everyModeOnTheCPUGivesEagersNumbers() throws {
    let python = try #require(TorchExportTests.python)
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch")
    defer { try? removeTree(dir) }
    var c = TrainConfig()
    c.prior.steps = 6; c.posterior.steps = 4; c.persistentChains = 30
    let (m, t) = try TorchExportTests.trained(conv: true, config: c)
    try TorchExport.write(m, trainer: t, to: dir)
    let data = try TorchExportTests.fashionSubset(dir)
    var runs: [String: [[String: Double]]] = [:]
    for mode in ["none", "auto", "graphs"] {
      let (status, output) = try TorchExportTests.runProcess(python, [
        "train.py", data, "--limit", "60", "--batch", "20", "--iterations", "4", "--device", "cpu", "--compile", mode,
        "--out", "ck-\(mode)", "--stats", "stats-\(mode).jsonl", "--seed", "3",
      ], in: dir)
      try #require(status == 0, "--compile \(mode) failed: \(output)")
      #expect(output.contains(mode == "graphs" ? "compile: graphs needs CUDA" : "compile: none (eager); precision fp32"), "\(output)")
      runs[mode] = try readTextFile(dir + "/stats-\(mode).jsonl").split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double])
      }
    }
    let eager = try #require(runs["none"])
    #expect(eager.count == 4 && eager.allSatisfy { $0.count == 12 }, "\(eager.first ?? [:])")
    #expect(runs["auto"]! == eager && runs["graphs"]! == eager, "every statistic of every step, bit for bit")
    // The checkpoints agree too, and carry the history lebm reads.
    let a = try Checkpoint.load(dir + "/ck-none/step-000007.safetensors"), b = try Checkpoint.load(dir + "/ck-graphs/step-000007.safetensors")
    #expect(a.model.parameters.map(\.scalars) == b.model.parameters.map(\.scalars))
    let history = try #require(b.trainer?.history)
    #expect(history.steps == Array(1...7) && history.columns[0].suffix(4) == eager.map { Float($0["loss_g"]!) }[...])
  }
}

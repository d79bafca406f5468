// Per-chain random streams in scripts: the noise sample_prior's chains draw, for samplers written by hand.
import Engine

/// `chain_noise(n)` in a script: n random streams, one per chain, seeded as the model's samplers
/// seed theirs — n successive draws of the script's generator. `randn_like(z, streams: s)` fills
/// row r of z's shape from stream r, so a hand-written Langevin loop draws the numbers
/// `sample_prior` draws, in the same order.
final class ChainNoiseHandle: OpaqueValue {
  var streams: [RandomGenerator]
  init(_ streams: [RandomGenerator]) { self.streams = streams }
  var typeName: String { "chain_noise" }
  var summary: String { "<chain_noise: \(streams.count) streams>" }
  func field(_ name: String) -> Value? { name == "count" ? .number(Double(streams.count)) : nil }
  var fieldNames: [String] { ["count"] }

  /// N(0, 1) values of `shape` ([n, …], n = the number of streams, checked by the caller); row r
  /// from stream r, as `LatentEBM`'s chains fill their noise.
  func normal(_ shape: [Int]) throws -> Tensor {
    let rows = streams.count, rowSize = shape.dropFirst().reduce(1, *)
    return try Tensor.make(shape) { p in
      for r in 0..<rows { streams[r].fillNormal(p.baseAddress! + r * rowSize, count: rowSize) }
    }
  }
}

// Weights as values: what `params(x)` asks of a net, a layer or a model.
import Engine
import LatentEBM

/// A script value that holds trainable weights: an energy net, a generator, a model, a layer.
/// `params(x)` gives its weights as a record of live tensors (autodiff leaves whose memory
/// optimizers update in place), under the names a checkpoint gives them.
protocol ParameterHolder: OpaqueValue {
  /// The live weights under their checkpoint names, in a fixed order.
  var namedParameters: [(String, Tensor)] { get }
}

extension EnergyNetHandle: ParameterHolder {
  /// `energy.0.weight`, …; empty for an energy that cannot name its weights.
  var namedParameters: [(String, Tensor)] { (net.namedParameters ?? []).map { ("energy.\($0.0)", $0.1) } }
}

extension GeneratorHandle: ParameterHolder {
  /// `generator.0.weight`, …
  var namedParameters: [(String, Tensor)] { generator.net.namedParameters.map { ("generator.\($0.0)", $0.1) } }
}

extension ModelHandle: ParameterHolder {
  /// The generator's then the energy's, as `save` writes them.
  var namedParameters: [(String, Tensor)] {
    GeneratorHandle(model.generator).namedParameters + (model.energyNet.map { EnergyNetHandle($0).namedParameters } ?? [])
  }
}

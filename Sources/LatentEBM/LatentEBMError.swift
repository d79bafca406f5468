// The errors of the method's layer.

/// An error from the latent EBM layer: a bad argument, a shape mismatch, a diverged training
/// step (with the statistics that showed it), or a bad checkpoint file.
public enum LatentEBMError: Error, CustomStringConvertible, Equatable {
  case invalidArgument(String)
  case shape(String)
  /// Training stopped before applying an update that would have left the model broken.
  case diverged(String)
  case checkpoint(path: String, problem: String)

  public var description: String {
    switch self {
    case let .invalidArgument(m), let .shape(m): return m
    case let .diverged(m): return "training diverged: \(m)"
    case let .checkpoint(path, problem): return "\(path): \(problem)"
    }
  }
}

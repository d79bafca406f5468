// PlotError: what was wrong with the input to a figure, named with the figure.

/// An error from building or saving a figure: `"<figure>: <what was wrong>"`, e.g.
/// `scatter: points must have shape [N, 2], got [5, 3]`.
public struct PlotError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The figure or layer kind that found the problem (`scatter`, `heatmap`, `image grid`, …).
  public let figure: String
  /// What was wrong.
  public let reason: String

  /// An error for `figure` saying `reason`.
  public init(_ figure: String, _ reason: String) {
    self.figure = figure
    self.reason = reason
  }

  public var description: String { "\(figure): \(reason)" }
}

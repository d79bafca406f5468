// The seam between the interpreter and the program it runs in (the REPL, a script, a notebook,
// the Jupyter kernel, a test): everything the language sends out or asks about its surroundings
// goes through one protocol, and the interpreter holds no host state of its own.
import Support

/// What the interpreter asks of its host.
public protocol Host: AnyObject {
  /// Writes the program's output (`print`, `help`, warnings).
  func write(_ text: String)
  /// A figure file was written (PNG, SVG or PDF, as Plot wrote it), in order with the output.
  func figureWritten(_ figure: FigureOutput)
  /// How `train` reports while it runs: a live line on a terminal, summaries alone elsewhere, a
  /// line per epoch in the Jupyter kernel.
  var progress: ProgressDisplay { get }
  /// The folder that relative paths of files a script writes (figures, checkpoints) are taken
  /// from; nil: the working directory.
  var outputFolder: String? { get }
  /// The width `help` wraps its prose at (a terminal's); nil keeps docs as written.
  var textWidth: Int? { get }
  /// PNG figures are written at this multiple of their `dpi` (a notebook page asks 2, to show
  /// them sharp on high-density screens at their layout size).
  var figureScale: Double { get }
}

/// A host whose answers are settable properties: output goes to a closure, figures are kept until
/// taken. The REPL's backend keeps one; tests and programs that embed the language use it too.
public final class BasicHost: Host {
  public var output: (String) -> Void
  /// Figures written since the last ``takeFigures()``.
  public private(set) var figures: [FigureOutput] = []
  /// Called as each figure is written (the REPL prints its `[figure]` line then).
  public var onFigure: ((FigureOutput) -> Void)? = nil
  public var progress: ProgressDisplay = .summaries
  public var outputFolder: String? = nil
  public var textWidth: Int? = nil
  public var figureScale: Double = 1

  public init(output: @escaping (String) -> Void = { Swift.print($0, terminator: "") }) {
    self.output = output
  }

  public func write(_ text: String) { output(text) }

  public func figureWritten(_ figure: FigureOutput) {
    figures.append(figure)
    onFigure?(figure)
  }

  /// The figures written since the last call, forgetting them.
  public func takeFigures() -> [FigureOutput] {
    defer { figures = [] }
    return figures
  }
}

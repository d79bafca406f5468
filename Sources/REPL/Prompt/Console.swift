// Where the REPL writes: stdout and stderr in the program, strings in tests.
import Glibc

/// Two text sinks: normal output (values, figures, program output) and diagnostics (errors).
public final class Console {
  /// Writes normal output.
  public let out: (String) -> Void
  /// Writes errors and notices.
  public let err: (String) -> Void

  /// A console writing through the given closures.
  public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void) {
    self.out = out
    self.err = err
  }

  /// The process's stdout and stderr. Stdout is flushed before anything goes to stderr, and
  /// after each write when `flushEachWrite` (an interactive session).
  public static func standard(flushEachWrite: Bool) -> Console {
    Console(
      out: { text in
        fputs(text, stdout)
        if flushEachWrite { fflush(stdout) }
      },
      err: { text in
        fflush(stdout)
        fputs(text, stderr)
      })
  }

  /// A console that collects everything in memory, in order; `.err` text is also kept apart.
  public static func capturing() -> (Console, CapturedText) {
    let captured = CapturedText()
    let console = Console(
      out: { captured.all += $0; captured.out += $0 },
      err: { captured.all += $0; captured.err += $0 })
    return (console, captured)
  }
}

/// Text written to a capturing ``Console``.
public final class CapturedText {
  /// Everything, in order.
  public var all = ""
  /// Only normal output.
  public var out = ""
  /// Only errors.
  public var err = ""
}

// Stopping running lebm code from outside: the host (the REPL's Ctrl-C handler) asks, and the
// interpreter's loops and the engine's long operations stop at their next check. Hosts use this
// instead of reaching into Engine.
import Engine

/// Interrupt requests for code the interpreter runs.
public enum Interruption {
  /// Asks the running work to stop at its next check. Async-signal-safe (one atomic store), so a
  /// signal handler may call it.
  public static func request() { Interrupt.request() }

  /// Forgets a pending request.
  public static func clear() { Interrupt.clear() }

  /// Whether a request is pending.
  public static var isRequested: Bool { Interrupt.isRequested }

  /// Runs `body` with the shared request flag as the one its checks poll.
  public static func interruptible<R>(_ body: () -> R) -> R {
    Interrupt.interruptible(Interrupt.shared, body)
  }
}

/// An interruption that says where the work stopped and what it kept ("interrupted after step
/// 257 of 1000; …"): thrown by a builtin instead of ``Interrupted``, it becomes the
/// `.interrupted` script error with this message, which the host prints instead of "interrupted".
public struct InterruptedWork: Error, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

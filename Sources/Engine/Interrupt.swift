import Glibc
import Synchronization

/// A request to stop long work between steps — Ctrl-C in the REPL. Samplers and training loops
/// poll it with ``check()`` (R's `R_CheckUserInterrupt` pattern) and throw ``Interrupted``.
///
/// Only work run inside ``interruptible(_:)`` responds, so a request aimed at the REPL's command
/// never stops work on other threads. The request is cleared when thrown, so the next command
/// runs normally. ``request()`` is safe to call from a signal handler.
public enum Interrupt {
  private static let flag = Atomic<Bool>(false)

  /// Asks running interruptible work to stop at its next check.
  public static func request() { flag.store(true, ordering: .relaxed) }
  /// Whether a stop has been asked for.
  public static var isRequested: Bool { flag.load(ordering: .relaxed) }
  /// Forgets a pending request.
  public static func clear() { flag.store(false, ordering: .relaxed) }

  /// Runs `body` so that ``check()`` calls inside it, on this thread, respond to requests.
  public static func interruptible<R>(_ body: () throws -> R) rethrows -> R {
    let saved = pthread_getspecific(key)
    pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    defer { pthread_setspecific(key, saved) }
    return try body()
  }

  /// Whether this thread is running interruptible work (so helpers it starts can be too).
  public static var isInterruptible: Bool { pthread_getspecific(key) != nil }

  /// Throws ``Interrupted`` (and clears the request) if a stop was asked for and this thread is
  /// running interruptible work.
  public static func check() throws {
    guard pthread_getspecific(key) != nil else { return }
    if flag.exchange(false, ordering: .relaxed) { throw Interrupted() }
  }

  private static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
  }()
}

/// Thrown when work stopped because of ``Interrupt/request()``.
public struct Interrupted: Error, CustomStringConvertible, Equatable {
  public init() {}
  public var description: String { "interrupted" }
}

import Glibc
import Synchronization

/// A stop request that long work polls between steps (R's `R_CheckUserInterrupt` pattern).
/// ``request()`` is lock-free and safe to call from a signal handler.
public final class InterruptFlag: @unchecked Sendable {
  private let flag = Atomic<Bool>(false)
  public init() {}
  /// Asks work watching this flag to stop at its next check.
  public func request() { flag.store(true, ordering: .relaxed) }
  /// Forgets a pending request.
  public func clear() { flag.store(false, ordering: .relaxed) }
  /// Whether a stop has been asked for.
  public var isRequested: Bool { flag.load(ordering: .relaxed) }
  /// Whether a stop was asked for; if so, clears it.
  public func consume() -> Bool { flag.load(ordering: .relaxed) && flag.exchange(false, ordering: .relaxed) }
}

/// Interruption of long work — Ctrl-C in the REPL. Samplers, training loops and the interpreter
/// poll with ``check()`` or ``consume()``; they answer only the flag of the ``interruptible(_:_:)``
/// block they run in, on their own thread, so a request never stops unrelated work elsewhere (a
/// test, another notebook). The REPL's SIGINT handler calls ``request()``, on ``shared``.
public enum Interrupt {
  /// The flag Ctrl-C sets.
  public static let shared = InterruptFlag()

  /// Requests a stop on ``shared``.
  public static func request() { shared.request() }
  /// Clears ``shared``.
  public static func clear() { shared.clear() }
  /// Whether ``shared`` has a pending request.
  public static var isRequested: Bool { shared.isRequested }

  /// Runs `body` so that checks on this thread inside it answer `flag`.
  public static func interruptible<R>(_ flag: InterruptFlag = shared, _ body: () throws -> R) rethrows -> R {
    let saved = pthread_getspecific(key)
    pthread_setspecific(key, Unmanaged.passUnretained(flag).toOpaque())
    defer { pthread_setspecific(key, saved) }
    return try body()
  }

  /// The flag this thread's work answers, if it runs inside ``interruptible(_:_:)``.
  public static var current: InterruptFlag? {
    pthread_getspecific(key).map { Unmanaged<InterruptFlag>.fromOpaque($0).takeUnretainedValue() }
  }

  /// Whether this thread's flag has a pending request; if so, clears it.
  public static func consume() -> Bool { current?.consume() ?? false }

  /// Throws ``Interrupted`` (clearing the request) if this thread's flag was set.
  public static func check() throws {
    if consume() { throw Interrupted() }
  }

  private static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
  }()
}

/// Thrown when work stopped because of an interrupt request.
public struct Interrupted: Error, CustomStringConvertible, Equatable {
  public init() {}
  public var description: String { "interrupted" }
}

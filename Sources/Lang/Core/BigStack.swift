// BigStack: runs a closure on a fresh thread with a large stack, so deep (but bounded) recursion in
// the parser and the tree-walking interpreter cannot overflow a small caller's stack.
import Glibc
import Synchronization

/// Runs work on a thread with a large stack and waits for it.
public enum BigStack {
  /// The stack size of the worker thread (256 MiB of address space; pages are touched lazily).
  public static let stackSize = 256 << 20
  /// Stack kept free below the interpreter's deepest call, for the expression and builtin it is
  /// evaluating.
  static let stackMargin = 32 << 20

  /// Whether the current thread is a BigStack worker.
  static var isWorkerThread: Bool { workerDepth > 0 }
  nonisolated(unsafe) private static var workers = Set<UInt>()
  private static let lock = Mutex<Void>(())
  static var workerDepth: Int {
    let me = UInt(pthread_self())
    return lock.withLock { _ in workers.contains(me) ? 1 : 0 }
  }

  fileprivate final class Box<R> {
    let body: () -> R
    var result: R?
    init(_ body: @escaping () -> R) { self.body = body }
  }

  fileprivate static func register(_ thread: UInt, _ on: Bool) {
    lock.withLock { _ in if on { workers.insert(thread) } else { workers.remove(thread) } }
  }

  /// Runs `body` on a new thread with ``stackSize`` bytes of stack and returns its result.
  /// Falls back to the calling thread if a thread cannot be created.
  public static func run<R>(_ body: @escaping () -> R) -> R {
    let box = Box(body)
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setstacksize(&attr, stackSize)
    let ctx = Unmanaged.passRetained(box as AnyObject).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, &attr, { raw in
      let obj = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue()
      (obj as! Runnable).runBody()
      return nil
    }, ctx)
    if rc != 0 {
      Unmanaged<AnyObject>.fromOpaque(ctx).release()
      return body()
    }
    pthread_join(tid, nil)
    return box.result!
  }
}

private protocol Runnable: AnyObject { func runBody() }

extension BigStack.Box: Runnable {
  func runBody() {
    let me = UInt(pthread_self())
    BigStack.register(me, true)
    result = body()
    BigStack.register(me, false)
  }
}

import Glibc
import CBLAS
import Dispatch

/// How many threads the engine uses: for its element-wise loops, im2col and col2im, and for
/// matrix products, which it splits into column (or row) blocks itself and runs each block on
/// single-threaded OpenBLAS. (OpenBLAS's own worker threads spin with `sched_yield` between
/// products, which cost a third of the time on two cores; they are never given work.) Results do
/// not depend on the count: a split never cuts the summed axis.
public enum Threads {
  nonisolated(unsafe) private static var global: Int = {
    let n = max(1, Int(openblas_get_num_threads()))
    openblas_set_num_threads(1)
    return n
  }()

  /// The number of threads in use on this thread: the count set by ``with(_:_:)`` around the
  /// caller, else the process-wide one.
  public static var count: Int {
    if let p = pthread_getspecific(scopedKey) { return Int(bitPattern: p) }
    return global
  }

  /// Sets the process-wide number of threads (at least 1).
  public static func set(_ n: Int) {
    _ = global
    global = max(1, n)
  }

  /// Runs `body` with `n` threads for the work this thread starts, leaving other threads' count
  /// alone (a benchmark at 1 thread does not change a training running beside it).
  public static func with<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
    _ = global
    let saved = pthread_getspecific(scopedKey)
    pthread_setspecific(scopedKey, UnsafeRawPointer(bitPattern: max(1, n)))
    defer { pthread_setspecific(scopedKey, saved) }
    return try body()
  }

  private static let scopedKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()
}

/// Whether this thread is already one of several doing work at once (then loops and products
/// inside it run serially instead of splitting again).
var insideParallelWork: Bool {
  get { pthread_getspecific(parallelKey) != nil }
  set { pthread_setspecific(parallelKey, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
}

private let parallelKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key, nil)
  return key
}()

/// Runs `body(i)` for `i` in `0..<n` on the calling thread and the pool's workers, each thread
/// taking every P-th index (P = threads in use); inside, loops and products run serially.
@inline(__always)
func concurrently(_ n: Int, _ body: (Int) -> Void) {
  let p = Swift.min(n, Threads.count)
  if p <= 1 { for i in 0..<n { body(i) }; return }
  WorkerPool.shared.run(p) { part in
    var i = part
    while i < n { body(i); i += p }
  }
}

/// Element loops shorter than this run on one thread: below it, waking a second core costs more
/// than it saves.
let parallelThreshold = 1 << 15

/// Runs `body(range)` over `0..<n` split into contiguous chunks across the engine's threads
/// (one chunk when `n` is small or one thread is set).
@inline(__always)
func parallelChunks(_ n: Int, minimum: Int = parallelThreshold, _ body: (Range<Int>) -> Void) {
  let t = Threads.count
  if t <= 1 || n < minimum || insideParallelWork {
    body(0..<n)
    return
  }
  let chunks = min(t, (n + minimum / 2 - 1) / (minimum / 2))
  let step = (n + chunks - 1) / chunks
  concurrently(chunks) { c in
    let lo = c * step, hi = min(n, lo + step)
    if lo < hi { body(lo..<hi) }
  }
}

/// Runs `body(i)` for each `i` in `0..<n` across threads, when the total `work` is large enough.
@inline(__always)
func parallelFor(_ n: Int, work: Int, _ body: (Int) -> Void) {
  if Threads.count <= 1 || work < parallelThreshold || n < 2 || insideParallelWork {
    var i = 0
    while i < n { body(i); i += 1 }
    return
  }
  concurrently(n, body)
}

/// Whether work started on this thread now would be shared among several threads: more than one
/// is set and this thread is not already one of several working at once.
public var canRunConcurrently: Bool { Threads.count > 1 && !insideParallelWork }

/// Runs two pieces of work at once, one per core (one after the other when one thread is set);
/// products and loops inside each run on that core alone. Interruptible callers get interruptible
/// workers; an interruption in one stops the other too. Rethrows the first error.
public func runConcurrently(_ a: () throws -> Void, _ b: () throws -> Void) throws {
  try runConcurrently(2) { try $0 == 0 ? a() : b() }
}

/// Runs `body(i)` for `i` in `0..<parts` at once on the engine's threads (in order on this thread
/// when one thread is set or it is already inside parallel work); products and loops inside each
/// part run serially. Interruptible callers get interruptible workers, and an interruption in one
/// part stops the others. Rethrows the first error.
public func runConcurrently(_ parts: Int, _ body: (Int) throws -> Void) throws {
  if parts <= 1 || !canRunConcurrently {
    for i in 0..<parts { try body(i) }
    return
  }
  let flag = Interrupt.current
  var errors = [Error?](repeating: nil, count: parts)
  withoutActuallyEscaping(body) { body in
    errors.withUnsafeMutableBufferPointer { errs in
      concurrently(parts) { i in
        do {
          if let flag { try Interrupt.interruptible(flag) { try body(i) } } else { try body(i) }
        } catch {
          if error is Interrupted { flag?.request() }  // stop the others as well
          errs[i] = error
        }
      }
    }
  }
  if errors.contains(where: { $0 is Interrupted }) {
    flag?.clear()
    throw Interrupted()
  }
  if let e = errors.compactMap({ $0 }).first { throw e }
}

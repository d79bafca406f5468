import CBLAS
import Dispatch

/// How many threads the engine uses: OpenBLAS's for matrix products, and the engine's own for
/// element-wise loops, im2col and col2im on large tensors. Results do not depend on it beyond
/// floating-point summation order inside OpenBLAS.
public enum Threads {
  nonisolated(unsafe) private static var current = max(1, Int(openblas_get_num_threads()))

  /// The number of threads in use.
  public static var count: Int { current }

  /// Sets the number of threads (at least 1).
  public static func set(_ n: Int) {
    current = max(1, n)
    openblas_set_num_threads(Int32(current))
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
  if t <= 1 || n < minimum {
    body(0..<n)
    return
  }
  let chunks = min(t, (n + minimum / 2 - 1) / (minimum / 2))
  let step = (n + chunks - 1) / chunks
  DispatchQueue.concurrentPerform(iterations: chunks) { c in
    let lo = c * step, hi = min(n, lo + step)
    if lo < hi { body(lo..<hi) }
  }
}

/// Runs `body(i)` for each `i` in `0..<n` across threads, when the total `work` is large enough.
@inline(__always)
func parallelFor(_ n: Int, work: Int, _ body: (Int) -> Void) {
  if Threads.count <= 1 || work < parallelThreshold || n < 2 {
    for i in 0..<n { body(i) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: n, execute: body)
}

/// Runs `body` with OpenBLAS on one thread, restoring ``Threads/count`` after. Work that keeps both
/// cores busy itself (two chains at once) uses it so OpenBLAS's own worker does not compete.
public func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
  openblas_set_num_threads(1)
  defer { openblas_set_num_threads(Int32(Threads.count)) }
  return try body()
}

/// Runs two pieces of work at once, one per core (one after the other when one thread is set).
/// Call it inside ``withSingleThreadedBLAS(_:)`` so each product runs on its own core.
/// Interruptible callers get interruptible workers; an interruption in one stops the other too.
/// Rethrows the first error.
public func runConcurrently(_ a: () throws -> Void, _ b: () throws -> Void) throws {
  if Threads.count < 2 {
    try a(); try b()
    return
  }
  let flag = Interrupt.current
  var errors: [Error?] = [nil, nil]
  withoutActuallyEscaping(a) { a in
    withoutActuallyEscaping(b) { b in
      errors.withUnsafeMutableBufferPointer { errs in
        DispatchQueue.concurrentPerform(iterations: 2) { i in
          let work = i == 0 ? a : b
          do {
            if let flag { try Interrupt.interruptible(flag, work) } else { try work() }
          } catch {
            if error is Interrupted { flag?.request() }  // stop the other one as well
            errs[i] = error
          }
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

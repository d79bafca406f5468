import Glibc
import Synchronization

/// The engine's helper threads: `Threads.count − 1` workers that the calling thread shares work
/// with. A worker spins briefly after each task (a Langevin chain hands it a product every few
/// tens of microseconds, and waking a sleeping thread costs about as much), then sleeps on a
/// condition variable. Everything parallel in the engine — split products, element loops,
/// im2col/col2im, concurrent chains — goes through it, so there are never more busy threads than
/// cores.
final class WorkerPool: @unchecked Sendable {
  static let shared = WorkerPool()

  private final class Worker: @unchecked Sendable {
    /// 0 idle, 1 task posted, 2 task done.
    let state = Atomic<Int>(0)
    var task: ((Int) -> Void)? = nil
    var index = 0
    var mutex = pthread_mutex_t()
    var cond = pthread_cond_t()
    init() {
      pthread_mutex_init(&mutex, nil)
      pthread_cond_init(&cond, nil)
    }
  }

  private let lock = Mutex<Void>(())
  /// Taken by the thread sharing work; a second thread that finds it taken runs its work alone.
  private let busy = Atomic<Bool>(false)
  private var workers: [Worker] = []
  /// The process whose threads `workers` are (a forked child has none of them).
  private var owner = getpid()
  /// Spins before a worker sleeps (about 100 µs).
  private let spinLimit = 20_000

  /// Makes sure at least `n` workers exist.
  private func ensure(_ n: Int) {
    lock.withLock { _ in
      while workers.count < n {
        let w = Worker()
        workers.append(w)
        let box = Unmanaged.passRetained(w).toOpaque()
        var tid = pthread_t()
        pthread_create(&tid, nil, { raw in
          let w = Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue()
          WorkerPool.loop(w)
          return nil
        }, box)
        pthread_detach(tid)
      }
    }
  }

  private static func loop(_ w: Worker) {
    insideParallelWork = true
    while true {
      var spins = 0
      while w.state.load(ordering: .acquiring) != 1 {
        spins += 1
        if spins > WorkerPool.shared.spinLimit {
          pthread_mutex_lock(&w.mutex)
          while w.state.load(ordering: .acquiring) != 1 { pthread_cond_wait(&w.cond, &w.mutex) }
          pthread_mutex_unlock(&w.mutex)
        }
      }
      w.task?(w.index)
      w.task = nil
      w.state.store(2, ordering: .releasing)
    }
  }

  /// Runs `body(i)` for `i` in `0..<parts`: part 0 on the calling thread, the others on workers
  /// (parts beyond the workers run on the caller too). Returns when all are done.
  func run(_ parts: Int, _ body: (Int) -> Void) {
    let helpers = Swift.min(parts - 1, Threads.count - 1)
    if owner != getpid() {
      // A forked child: the workers belong to the parent. Work alone.
      for i in 0..<parts { body(i) }
      return
    }
    if helpers <= 0 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
      let saved = insideParallelWork
      insideParallelWork = true
      for i in 0..<parts { body(i) }
      insideParallelWork = saved
      return
    }
    defer { busy.store(false, ordering: .releasing) }
    ensure(helpers)
    let ws = lock.withLock { _ in Array(workers.prefix(helpers)) }
    withoutActuallyEscaping(body) { body in
      for (k, w) in ws.enumerated() {
        w.task = body
        w.index = k + 1
        pthread_mutex_lock(&w.mutex)
        w.state.store(1, ordering: .releasing)
        pthread_cond_signal(&w.cond)
        pthread_mutex_unlock(&w.mutex)
      }
      let saved = insideParallelWork
      insideParallelWork = true
      body(0)
      for i in (helpers + 1)..<Swift.max(parts, helpers + 1) { body(i) }
      insideParallelWork = saved
      for w in ws {
        var spins = 0
        while w.state.load(ordering: .acquiring) != 2 {
          spins += 1
          if spins > 1000 { sched_yield() }
        }
        w.state.store(0, ordering: .relaxed)
      }
    }
  }
}

import Synchronization

/// The memory behind a tensor: a Float32 buffer that returns itself to a pool when the last
/// tensor using it goes away, so loops that make tensors of the same sizes every step (Langevin
/// chains, training iterations) reuse buffers instead of allocating.
final class Storage: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  /// A buffer of `count` floats whose contents are unspecified.
  init(uninitialized count: Int) {
    self.count = count
    self.pointer = BufferPool.shared.take(count)
  }

  /// A buffer of `count` zeros.
  convenience init(zeros count: Int) {
    self.init(uninitialized: count)
    pointer.initialize(repeating: 0, count: count)
  }

  deinit { BufferPool.shared.give(pointer, count: count) }

  var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}

/// A size-keyed free list of Float buffers. It holds at most `limitBytes` of idle memory; a buffer
/// that would push it over is freed instead.
final class BufferPool: @unchecked Sendable {
  static let shared = BufferPool()
  private let free = Mutex<[Int: [UnsafeMutablePointer<Float>]]>([:])
  private let held = Atomic<Int>(0)
  var limitBytes = 128 << 20

  func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    let n = max(count, 1)
    if let p = free.withLock({ $0[n]?.popLast() }) {
      held.subtract(n * 4, ordering: .relaxed)
      return p
    }
    return .allocate(capacity: n)
  }

  func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
    let n = max(count, 1)
    if held.load(ordering: .relaxed) + n * 4 > limitBytes {
      p.deallocate()
      return
    }
    held.add(n * 4, ordering: .relaxed)
    free.withLock { $0[n, default: []].append(p) }
  }

  /// Frees every idle buffer.
  func drain() {
    let all = free.withLock { d -> [UnsafeMutablePointer<Float>] in
      let ps = d.values.flatMap { $0 }
      d.removeAll()
      return ps
    }
    for p in all { p.deallocate() }
    held.store(0, ordering: .relaxed)
  }
}

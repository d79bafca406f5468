// The monotonic clock, for timing code (wall time that never jumps backwards).
import Glibc

/// Seconds on the monotonic clock since an arbitrary start; subtract two readings to time code.
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

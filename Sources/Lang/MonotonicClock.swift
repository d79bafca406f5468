// Transitional: Builtins+Model.swift (being rewritten elsewhere) calls `monotonicSeconds()`
// without importing Support. This forwards to Support's clock until that file imports Support
// itself; then delete this file.
import Support

/// Seconds on the monotonic clock (``Support/monotonicSeconds()``).
func monotonicSeconds() -> Double { Support.monotonicSeconds() }

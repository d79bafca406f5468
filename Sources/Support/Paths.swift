// Path and environment helpers.
import Glibc

/// The last component of `path`: `a/b/c.lebm` → `c.lebm`, `a/b/` → `b`.
public func baseName(_ path: String) -> String {
  path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
}

/// The environment variable `name`, or nil when it is not set.
public func environmentValue(_ name: String) -> String? {
  getenv(name).map { String(cString: $0) }
}

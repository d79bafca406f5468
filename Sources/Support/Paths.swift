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

/// The absolute path of this process's executable (read from /proc/self/exe), or nil.
public func executablePath() -> String? {
  var buf = [CChar](repeating: 0, count: 4096)
  let n = readlink("/proc/self/exe", &buf, buf.count - 1)
  guard n > 0 else { return nil }
  return String(cString: buf)
}

/// The folder holding this process's executable, or nil.
public func executableFolder() -> String? {
  guard let path = executablePath() else { return nil }
  return path.lastIndex(of: "/").map { String(path[..<$0]) }
}

/// The executable `name` beside this process's own (`swift build` puts a test bundle and
/// `lebm` in one folder), or nil when there is none.
public func siblingExecutable(_ name: String) -> String? {
  guard let folder = executableFolder() else { return nil }
  let path = folder + "/" + name
  return access(path, X_OK) == 0 ? path : nil
}

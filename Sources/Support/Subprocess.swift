// Subprocess: a program run in the background (posix_spawn, no Foundation), its standard output
// and error read line by line as they come, and a signal to stop it. `train(…, on: "torch")`
// runs train.py this way.
import Glibc

/// A running program whose standard output and standard error arrive, joined, through one pipe.
/// It runs in a process group of its own, so Ctrl-C at the terminal reaches only lebm, which
/// passes it on (``signal(_:)``) when it chooses.
public final class Subprocess {
  /// What ``next(timeout:)`` found.
  public enum Event: Equatable {
    /// A line of output, without its newline.
    case line(String)
    /// Nothing arrived within the time given.
    case quiet
    /// The output ended (the program closed it or exited); ``wait()`` gives the status.
    case end
  }

  /// The program's process id.
  public let pid: pid_t
  private var fd: Int32
  private var pending: [UInt8] = []
  private var status: Int32?

  /// Starts `program` (looked up in `PATH` when it has no `/`) with `arguments` and lebm's
  /// environment. SIGINT is reset to its default in the program.
  /// - Throws: ``FileError`` naming the program when the pipe cannot be made or the program
  ///   cannot be started (not found, not executable).
  public init(_ program: String, _ arguments: [String]) throws(FileError) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw FileError(path: program, problem: "cannot make a pipe: \(errnoMessage())") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t(), none = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var child = pid_t()
    let result = posix_spawnp(&child, program, &actions, &attributes, argv, environ)
    close(fds[1])
    guard result == 0 else {
      close(fds[0])
      throw FileError(path: program, problem: "cannot run it: \(String(cString: strerror(result)))", kind: result == ENOENT ? .notFound : .system)
    }
    pid = child
    fd = fds[0]
  }

  deinit {
    if fd >= 0 { close(fd) }
    if status == nil { kill(pid, SIGKILL); _ = wait() }
  }

  /// The next line of output, waiting at most `timeout` seconds for it (a last line without a
  /// newline comes when the output ends).
  public func next(timeout: Double) -> Event {
    let deadline = monotonicSeconds() + timeout
    while true {
      if let i = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[..<i], as: UTF8.self)
        pending.removeSubrange(...i)
        return .line(line)
      }
      guard fd >= 0 else {
        if pending.isEmpty { return .end }
        defer { pending = [] }
        return .line(String(decoding: pending, as: UTF8.self))
      }
      let left = deadline - monotonicSeconds()
      if left <= 0 { return .quiet }
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&p, 1, Int32(min(left * 1000, 1_000_000).rounded(.up)))
      if ready < 0 && errno == EINTR { continue }
      if ready == 0 { return .quiet }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        close(fd)
        fd = -1
      } else {
        pending += chunk[..<n]
      }
    }
  }

  /// Sends `signal` (SIGINT, SIGKILL, …) to the program.
  public func signal(_ signal: Int32) {
    if status == nil { kill(pid, signal) }
  }

  /// Waits for the program to end; its exit status, or 128 + the signal that ended it.
  @discardableResult
  public func wait() -> Int32 {
    if let status { return status }
    var raw: Int32 = 0
    while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
    let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    status = code
    return code
  }
}

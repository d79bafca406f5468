// The REPL through a pseudo-terminal: the child (forkpty) runs a Session with the libedit reader
// and the fake backend; the test writes keys to the master side and reads until the expected
// text appears (generous timeouts, so a slow machine only makes the tests slower).
import Glibc
import Testing

@testable import REPL
import Support

/// A child process on a pseudo-terminal, and what it has written so far.
final class PseudoTerminal {
  let master: Int32
  let pid: pid_t
  private(set) var output: [UInt8] = []
  /// Where the next ``expect(_:timeout:)`` starts searching.
  private var mark = 0
  private var exited: Int32?

  /// Forks `child` onto a new terminal of 24×100 cells.
  init(_ child: () -> Never) {
    fflush(nil)  // nothing buffered in the parent may be written twice
    var fd: Int32 = -1
    var size = winsize(ws_row: 24, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0)
    let pid = forkpty(&fd, nil, nil, &size)
    if pid == 0 { child() }
    precondition(pid > 0, "forkpty failed: \(errnoMessage())")
    self.pid = pid
    self.master = fd
  }

  deinit {
    if exited == nil {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    close(master)
  }

  /// Types `keys`.
  func send(_ keys: String) { writeAll(master, keys) }

  /// Reads what is available within `timeout` seconds; false at end of output.
  @discardableResult
  func pump(timeout: Double) -> Bool {
    var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
    let ready = poll(&pfd, 1, Int32(max(0, timeout * 1000)))
    guard ready > 0 else { return ready == 0 || errno == EINTR }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, 4096) }
    guard n > 0 else { return false }  // EIO once the child has closed the terminal
    output += buffer[0..<n]
    return true
  }

  /// Waits until `text` appears after the last match; true if it did within `timeout` seconds.
  func expect(_ text: String, timeout: Double = 30) -> Bool {
    let needle = Array(text.utf8)
    let deadline = monotonicSeconds() + timeout
    while true {
      if let end = find(needle, from: mark) {
        mark = end
        return true
      }
      let left = deadline - monotonicSeconds()
      if left <= 0 || !pump(timeout: min(left, 0.2)) && find(needle, from: mark) == nil {
        if left > 0 { continue }
        return false
      }
    }
  }

  /// Waits for the prompt and then for libedit to put the terminal in raw mode: keys typed before
  /// that go through the cooked line discipline (a Ctrl-D there is lost when libedit switches).
  func prompt(_ text: String = "lebm> ", timeout: Double = 8) -> Bool {
    guard expect(text, timeout: timeout) else { return false }
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      var modes = termios()
      if tcgetattr(master, &modes) == 0, modes.c_lflag & tcflag_t(ICANON) == 0 { return true }
      pump(timeout: 0.005)
    }
    return false
  }

  /// What the child wrote since the last match.
  var sinceMark: String { String(decoding: output[mark...], as: UTF8.self) }
  /// Everything the child wrote.
  var all: String { String(decoding: output, as: UTF8.self) }

  /// Waits for the child to exit (reading its output meanwhile); its exit status, or nil on
  /// timeout or death by a signal.
  func waitExit(timeout: Double = 8) -> Int32? {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        exited = status
        while pump(timeout: 0) && !output.isEmpty { if !hasMoreInput() { break } }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil
      }
      pump(timeout: 0.05)
    }
    return nil
  }

  /// Waits for the child to die by a signal; the signal, or nil.
  func waitSignal(timeout: Double = 8) -> Int32? {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        exited = status
        return (status & 0x7f) != 0 ? status & 0x7f : nil
      }
      pump(timeout: 0.05)
    }
    return nil
  }

  private func hasMoreInput() -> Bool {
    var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
    return poll(&pfd, 1, 0) > 0 && (pfd.revents & Int16(POLLIN)) != 0
  }

  private func find(_ needle: [UInt8], from start: Int) -> Int? {
    guard !needle.isEmpty, output.count - start >= needle.count else { return nil }
    var i = start
    while i + needle.count <= output.count {
      if output[i] == needle[0], Array(output[i..<(i + needle.count)]) == needle { return i + needle.count }
      i += 1
    }
    return nil
  }
}

extension PseudoTerminal {
  /// The built `lebm args…` on a new pseudo-terminal (TERM=xterm, the history in `history`, no
  /// inline images, and `environment`'s variables set or, when nil, unset). A fresh process: a
  /// fork of this multithreaded test process must not start the engine's worker threads.
  static func lebm(_ args: [String] = [], history: String, environment: [String: String?] = [:]) -> PseudoTerminal {
    let binary = REPLSuites.ExecutableTests.binary!
    return PseudoTerminal {
      setenv("TERM", "xterm", 1)
      setenv("LEBM_HISTORY", history, 1)
      unsetenv("LEBM_IMAGES")
      for (k, v) in environment {
        if let v { setenv(k, v, 1) } else { unsetenv(k) }
      }
      var argv: [UnsafeMutablePointer<CChar>?] = (["lebm"] + args).map { strdup($0) } + [nil]
      execv(binary, &argv)
      _exit(127)
    }
  }
}

/// The child: a REPL session on the terminal with the fake backend.
func replChild(history: String) -> Never {
  setenv("TERM", "xterm", 1)
  setenv("LEBM_HISTORY", history, 1)
  unsetenv("LEBM_IMAGES")
  InterruptSignal.install()
  let backend = FakeBackend()
  let reader = EditLineReader(completer: { backend.completions(for: $0, cursor: $1) })
  let session = Session(backend: backend, reader: reader, console: .standard(flushEachWrite: true))
  session.run()
  fflush(nil)
  _exit(0)
}

extension REPLSuites {
  @Suite struct TerminalTests {
    let history = temporaryPath("pty-history-\(UInt32.random(in: 0...UInt32.max))")

    func start() -> PseudoTerminal {
      // Instantiate the session's types before forking: the child of a multithreaded process
      // should not need runtime locks another thread might have held at the fork.
      _ = runSession(["fn w(a) {", "a", "}", "w(1)", "nope", ":vars"])
      let history = self.history
      return PseudoTerminal { replChild(history: history) }
    }

    /// Ends the session with Ctrl-D and checks that it exits cleanly.
    func quit(_ t: PseudoTerminal) {
      #expect(t.prompt())
      t.send("\u{04}")
      #expect(t.waitExit() == 0, "output: \(t.all.debugDescription)")
    }

    @Test func tabCompletesBuiltinsAndVariables() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("myvariable = 42\r")
      #expect(t.prompt())
      t.send("pri\t")
      #expect(t.expect("nt"), "builtin completed: \(t.sinceMark)")
      t.send("(myv\t")
      #expect(t.expect("ariable"), "variable completed: \(t.sinceMark)")
      t.send(" + 1)\r")
      #expect(t.expect("\r\n43\r\n"), "output: \(t.sinceMark)")
      #expect(t.prompt())
      t.send("myvariable.loss_\t")  // two fields: a second Tab lists them
      #expect(t.prompt("myvariable.loss_"))
      t.send("\t")
      #expect(t.expect("loss_e"), "fields listed: \(t.sinceMark.debugDescription)")
      #expect(t.expect("loss_g"))
      t.send("\u{15}print(\"data/tr\t")  // Ctrl-U clears the line first
      #expect(t.expect("ain.csv"), "path completed: \(t.sinceMark.debugDescription)")
      t.send("\")\r")
      #expect(t.expect("\r\ndata/train.csv\r\n"), "output: \(t.sinceMark.debugDescription)")
      quit(t)
    }

    @Test func historyIsRecalledInASecondSession() {
      defer { unlink(history) }
      let first = start()
      #expect(first.prompt())
      first.send("fn tri(a) {\r")
      #expect(first.prompt("  ... "))
      first.send("a * 3\r")
      #expect(first.prompt("  ... "))
      first.send("}\r")
      #expect(first.prompt())
      first.send("hist_value = 7\r")
      quit(first)
      #expect(HistoryFile(path: history).load() == ["fn tri(a) {\na * 3\n}", "hist_value = 7"])

      let second = start()
      #expect(second.prompt())
      second.send("\u{1B}[A")
      #expect(second.expect("hist_value = 7"))
      second.send("\r")
      #expect(second.prompt())
      second.send("\u{1B}[A\u{1B}[A")  // the whole block, in one step
      #expect(second.expect("a * 3"))
      second.send("\r")
      #expect(second.prompt())
      second.send("tri(hist_value)\r")
      #expect(second.expect("\r\n21\r\n"), "output: \(second.all)")
      quit(second)
    }

    @Test func multiLineBlockUsesTheContinuationPrompt() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("fn g(a) {\r")
      #expect(t.prompt("  ... "))
      t.send("a + 100\r")
      #expect(t.prompt("  ... "))
      t.send("}\r")
      #expect(t.prompt())
      t.send("g(1)\r")
      #expect(t.expect("\r\n101\r\n"), "output: \(t.all)")
      quit(t)
    }

    @Test func errorThenAWorkingCommand() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("nope\r")
      #expect(t.expect("<repl>:1:1: error: unknown variable 'nope'"))
      #expect(t.prompt())
      t.send("1 + 1\r")
      #expect(t.expect("\r\n2\r\n"), "output: \(t.all)")
      quit(t)
    }

    @Test func ctrlCStopsALongLoopAndTheSessionGoesOn() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("kept = 5\r")
      #expect(t.prompt())
      t.send("loop(1000)\r")  // 10 s unless interrupted
      #expect(t.expect("loop started"))
      usleep(100_000)
      t.send("\u{03}")
      // Uninterrupted, the loop ends after 10 s and prints 1000, never "interrupted"; the wait is
      // long enough for a busy machine and says nothing about speed.
      #expect(t.expect("interrupted", timeout: 60), "output: \(t.all)")
      #expect(!t.all.contains("\r\n1000\r\n"))
      #expect(t.prompt())
      t.send("kept * 2\r")
      #expect(t.expect("\r\n10\r\n"), "output: \(t.all)")
      quit(t)
    }

    /// Ctrl-C during a real `train` stops it between steps; the model keeps its completed steps
    /// and works afterwards.
    /// The child runs the built `lebm` (a fresh process: a fork of this multithreaded test process
    /// must not start the engine's worker threads).
    @Test(.enabled(if: ExecutableTests.binary != nil))
    func ctrlCStopsARealTrainingAndTheModelIsUsable() {
      defer { unlink(history) }
      let history = self.history
      let t = PseudoTerminal.lebm(history: history)
      #expect(t.prompt(timeout: 15))
      t.send("m = latent_ebm(energy_net(2, hidden: [16]), generator(2, hidden: [16], out: 2))\r")
      #expect(t.prompt())
      t.send("train(m, toy(\"8gaussians\", n: 1000), epochs: 100000, every: 1)\r")
      #expect(t.expect(" 2/100000  step", timeout: 20), "output: \(t.all)")
      t.send("\u{03}")
      #expect(t.expect("interrupted after step", timeout: 10), "output: \(t.all)")
      #expect(t.prompt())
      t.send("m.steps > 10\r")
      #expect(t.expect("true"), "output: \(t.all)")
      #expect(t.prompt())
      t.send("shape(generate(m, 3, steps: 2))\r")
      #expect(t.expect("[3, 2]"), "output: \(t.all)")
      quit(t)
    }

    @Test func thirdCtrlCEndsWorkThatNeverPolls() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("spin(1000)\r")
      #expect(t.expect("spinning"))
      for _ in 0..<3 {
        usleep(50_000)
        t.send("\u{03}")
      }
      #expect(t.expect("quitting on the third Ctrl-C"), "output: \(t.all.debugDescription)")
      #expect(t.waitSignal() == SIGINT)
    }

    @Test func ctrlCAtThePromptClearsTheLine() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("garbage_text")
      #expect(t.expect("garbage_text"))
      t.send("\u{03}")
      #expect(t.prompt(), "new prompt after Ctrl-C: \(t.all.debugDescription)")
      t.send("3 * 3\r")
      #expect(t.expect("\r\n9\r\n"), "output: \(t.all)")
      #expect(!t.all.contains("unknown variable"))
      quit(t)
    }

    @Test func nonASCIIInputSurvivesEditing() {
      defer { unlink(history) }
      let t = start()
      #expect(t.prompt())
      t.send("\"héllo ✓\"\r")
      #expect(t.expect("\r\n\"héllo ✓\"\r\n"), "output: \(t.all.debugDescription)")
      quit(t)
    }

    @Test func ctrlDQuits() {
      defer { unlink(history) }
      let t = start()
      quit(t)
    }
  }
}

extension REPLSuites {
  /// A manual check on a real terminal (tmux): runs the fake-backend REPL on this process's
  /// terminal. Enabled only when `LEBM_REPL_DEMO` is set, e.g.
  /// `LEBM_REPL_DEMO=1 .build/debug/lebmPackageTests.xctest --testing-library swift-testing --filter interactiveDemo`.
  @Suite struct ManualTests {
    @Test(.enabled(if: getenv("LEBM_REPL_DEMO") != nil))
    func interactiveDemo() {
      InterruptSignal.install()
      let backend = FakeBackend()
      let reader = EditLineReader(completer: { backend.completions(for: $0, cursor: $1) })
      let session = Session(
        backend: backend, reader: reader, console: .standard(flushEachWrite: true),
        images: ImageProtocol.current())
      session.run()
    }
  }
}

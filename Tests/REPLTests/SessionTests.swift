// The session loop with an in-memory reader and the fake backend: no terminal involved.
import Engine
import Glibc
import Synchronization
import Testing

@testable import REPL
import Support

/// Runs `lines` through a session and returns what it wrote, the reader and the backend.
func runSession(
  _ inputs: [LineInput], interactive: Bool = true, backend: FakeBackend = FakeBackend()
) -> (text: CapturedText, reader: ArrayLineReader, status: Int32) {
  let (console, captured) = Console.capturing()
  let reader = ArrayLineReader(inputs: inputs, isInteractive: interactive)
  let session = Session(backend: backend, reader: reader, console: console)
  let status = session.run()
  return (captured, reader, status)
}

func runSession(_ lines: [String], interactive: Bool = true, backend: FakeBackend = FakeBackend())
  -> (text: CapturedText, reader: ArrayLineReader, status: Int32)
{
  runSession(lines.map { .line($0) }, interactive: interactive, backend: backend)
}

/// A fresh folder for the files this test process writes (unique, not a fixed path), removed
/// when the process exits.
let testScratchFolder: String = {
  let dir = try! makeTemporaryDirectory(prefix: "lebm-repl-tests")
  atexit { try? removeTree(testScratchFolder) }
  return dir
}()

/// A path in ``testScratchFolder``.
func temporaryPath(_ name: String) -> String { testScratchFolder + "/" + name }

extension REPLSuites {
@Suite struct SessionTests {
  /// At the prompt `_` is the last value echoed, and `name?` is `:help name`; neither is a
  /// variable `:vars` lists.
  @Test func underscoreAndQuestionMarkAtThePrompt() {
    let (console, captured) = Console.capturing()
    let reader = ArrayLineReader(["1 + 2", "_ * 10", "x = 5", "_", "pi?", " x ?", "nope?", ":vars"], isInteractive: true)
    let session = Session(backend: LangBackend(), reader: reader, console: console)
    #expect(session.run() == 0)
    #expect(captured.out.hasPrefix("3\n30\n30\npi: a constant, a number (a variable named pi hides it)\n3.141592653589793\nx: number\n5\n"), "\(captured.out)")
    #expect(captured.out.contains("no builtin, function, variable or topic named 'nope'"))
    #expect(captured.out.hasSuffix("x  5\n\n"), "\(captured.out)")
    #expect(captured.err == "")
    #expect(Session.helpQuery("energy_net?") == "energy_net")
    #expect(Session.helpQuery("x ? ") == nil && Session.helpQuery("?") == nil && Session.helpQuery("a.b?") == nil && Session.helpQuery("f(x)?") == nil)
  }

  @Test func valuesAreEchoedAndAssignmentsAreQuiet() {
    let (text, _, status) = runSession(["x = 1", "x + 2", "", "print(x * 5)"])
    #expect(text.out == "3\n5\n0\n\n")
    #expect(text.err == "")
    #expect(status == 0)
  }

  @Test func echoStartsOnANewLineAfterUnfinishedOutput() {
    let (text, _, _) = runSession(["write(\"abc\")", "print(\"de\")"])
    #expect(text.out == "abc\n3\nde\n0\n\n")
  }

  @Test func stdinReaderReadsAPipePlainly() {
    var fds: [Int32] = [0, 0]
    pipe(&fds)
    writeAll(fds[1], "x = 4\r\nfn f(a) {\na * x\n}\n\nf(2)")  // CRLF, a blank line, no final newline
    close(fds[1])
    let file = fdopen(fds[0], "r")!
    defer { fclose(file) }
    let (console, captured) = Console.capturing()
    let session = Session(backend: FakeBackend(), reader: StdinReader(file: file), console: console)
    #expect(session.fileName == "<stdin>")
    #expect(session.run() == 0)
    #expect(captured.all == "8\n")  // no prompts, no trailing newline at the end
  }

  @Test func multiLineFunctionBlockIsOneEntry() {
    let backend = FakeBackend()
    let (text, reader, _) = runSession(["fn f(a) {", "a * 10", "}", "f(4)"], backend: backend)
    #expect(text.out == "40\n\n")
    #expect(reader.prompts == [.primary, .continuation, .continuation, .primary, .primary])
    #expect(reader.history == ["fn f(a) {\na * 10\n}", "f(4)"])
    #expect(backend.evaluated == ["fn f(a) {\na * 10\n}", "f(4)"])
  }

  @Test func blockRecalledFromHistoryRunsAsOneLine() {
    let (text, _, _) = runSession(["fn g(a) {\na + 100\n}", "g(1)"])
    #expect(text.out == "101\n\n")
  }

  @Test func errorIsPrintedAndTheNextCommandWorks() {
    let (text, _, status) = runSession(["nope + 1", "1 + 1"])
    #expect(text.err == "<repl>:1:1: error: unknown variable 'nope'\nnope + 1\n^\n")
    #expect(text.out == "2\n\n")
    #expect(text.all.hasPrefix("<repl>:1:1"))
    #expect(status == 70)  // the status only matters for non-interactive runs
  }

  @Test func invalidInputRunsAtOnceAndReportsTheError() {
    let (text, reader, _) = runSession([")", "3"])
    #expect(text.err.contains("unexpected ')'"))
    #expect(text.out == "3\n\n")
    #expect(reader.prompts == [.primary, .primary, .primary])
  }

  @Test func endOfInputInsideABlockRunsWhatWasRead() {
    let (text, _, status) = runSession(["fn f(a) {", "a"], interactive: false)
    #expect(text.err.contains("error: expected '}'"))
    #expect(status == 65)
  }

  @Test func ctrlCAtThePromptCancelsTheBlock() {
    let (text, _, _) = runSession(
      [.line("fn f(a) {"), .line("a"), .interrupted, .line("2 * 3")])
    #expect(text.out == "\n6\n\n")
    #expect(text.err == "")
  }

  @Test func helpVarsResetAndQuit() {
    let (text, _, _) = runSession([
      ":help", ":help loop", "b = 2", "alpha = 10", ":vars", ":reset", ":vars", ":quit", "99",
    ])
    #expect(text.out.contains(":time CODE"))
    #expect(text.out.contains("fake calculator"))
    #expect(text.out.contains("help for loop\n"))
    #expect(text.out.contains("alpha  10\nb      2\n"))
    #expect(text.out.contains("(all variables cleared)\n(no variables)\n"))
    #expect(!text.out.contains("99"))  // :quit ended the session
  }

  @Test func unknownCommandAndMissingArgumentsAreReported() {
    let (text, _, _) = runSession([":frobnicate", ":load", ":time", ":load /nonexistent/x.lebm", "7"])
    #expect(text.err.contains("unknown command ':frobnicate'"))
    #expect(text.err.contains("usage: :load FILE"))
    #expect(text.err.contains("usage: :time CODE"))
    #expect(text.err.contains("cannot read '/nonexistent/x.lebm': No such file or directory"))
    #expect(text.out.hasSuffix("7\n\n"))
  }

  @Test func timeRunsCodeAndPrintsTheWallTime() {
    let (text, reader, _) = runSession([":time loop(3)", ":time fn h(a) {", "a", "}", "h(5)"])
    #expect(reader.history == [":time loop(3)", ":time fn h(a) {\na\n}", "h(5)"])
    #expect(text.out.contains("loop started\n3\ntime: "))
    #expect(text.out.contains(" ms\n"))
    #expect(text.out.hasSuffix("5\n\n"))
  }

  @Test func loadRunsAFileWithItsNameInErrors() throws {
    let path = temporaryPath("load.lebm")
    defer { unlink(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    writeAll(fd, "#!/usr/bin/env lebm\nloaded = 5\nloaded * 2\nmissing\n")
    close(fd)
    let (text, _, _) = runSession([":load \(path)", "loaded"])
    #expect(text.err == "\(path):4:1: error: unknown variable 'missing'\nmissing\n^\n")
    #expect(text.out == "5\n\n")
  }

  @Test func pasteModeRunsLinesUntilDashes() {
    let backend = FakeBackend()
    let (text, reader, _) = runSession([":paste", "p = 3", "q = 4", "p * q", "--", "p"], backend: backend)
    #expect(text.out.contains("paste mode"))
    #expect(text.out.hasSuffix("12\n3\n\n"))
    #expect(backend.evaluated == ["p = 3\nq = 4\np * q", "p"])
    #expect(reader.history == ["p = 3\nq = 4\np * q", "p"])
  }

  @Test func saveWritesTheEntriesThatRan() throws {
    let path = temporaryPath("save.lebm")
    defer { unlink(path) }
    let (text, _, _) = runSession(["a = 1", "oops", "fn f(x) {", "x", "}", ":save \(path)"])
    #expect(text.out.contains("saved 2 entries"))
    #expect((try? readTextFile(path)) == "a = 1\nfn f(x) {\nx\n}\n")
  }

  @Test func saveWritesLoadsAsImportsAndInterruptedEntriesAsComments() throws {
    let loaded = temporaryPath("save-loaded.lebm"), bad = temporaryPath("save-bad.lebm"), path = temporaryPath("save-faithful.lebm")
    defer { unlink(loaded); unlink(bad); unlink(path) }
    writeText(loaded, "defined = 5\n")
    writeText(bad, "missing\n")
    let (text, _, _) = runSession(["a = 1", ":load \(loaded)", "ctrlc()", ":load \(loaded)", ":load \(bad)", "defined", ":save \(path)"])
    #expect(text.out.contains("saved 6 entries"), "\(text.all)")
    // The loaded file sits beside the saved one, so its import is relative (as import resolves it).
    #expect((try? readTextFile(path)) == "a = 1\n" + "import \"save-loaded.lebm\"\n"
      + "# interrupted (Ctrl-C) before it finished; not replayed:\n# ctrlc()\n"
      + "# :load \(loaded) again (its definitions come from the import above)\n"
      + "# :load \(bad) stopped with an error; not replayed\ndefined\n")
  }

  @Test func figuresArePrintedWithSizeAndDimensions() {
    let path = temporaryPath("fig.png")
    defer { unlink(path) }
    let (text, _, _) = runSession(["fig(\"\(path)\")"])
    #expect(text.out == "0\n[figure] \(path) (640×480, 29 B)\n\n")
  }

  @Test func interruptedEvaluationReportsAndKeepsState() {
    let backend = FakeBackend()
    let (console, captured) = Console.capturing()
    let session = Session(backend: backend, reader: ArrayLineReader([]), console: console)
    _ = session.run("kept = 8", file: "<repl>")
    // Simulate Ctrl-C during the loop from another thread, as the signal handler would.
    // Other test targets may clear the process-wide request, so keep asking until it stops.
    let done = AtomicFlag()
    let thread = Thread {
      usleep(50_000)
      InterruptSignal.handle()
      while !done.value.load(ordering: .relaxed) {
        usleep(50_000)
        if !done.value.load(ordering: .relaxed) { Interrupt.request() }
      }
    }
    // loop(300) takes 3 s when nothing stops it; `interrupted` says it stopped early, however
    // busy the machine.
    let result = session.run("loop(300)", file: "<repl>")
    done.value.store(true, ordering: .relaxed)
    thread.join()
    Interrupt.clear()
    #expect(result.interrupted)
    #expect(captured.err == "interrupted\n")
    #expect(session.run("kept", file: "<repl>").echo == "8")
    #expect(!Interrupt.isRequested)
  }

  @Test func nonInteractiveStatusIsTheFirstError() {
    #expect(runSession(["1"], interactive: false).status == 0)
    #expect(runSession(["1 +", "zz"], interactive: false).status == 65)
    #expect(runSession(["zz", "1 +"], interactive: false).status == 70)
  }
}
}

/// A pthread running a closure (no Foundation).
final class Thread {
  private var handle = pthread_t()
  init(_ body: @escaping () -> Void) {
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(&handle, nil, { raw in
      let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
      box.body()
      return nil
    }, box)
  }
  func join() { pthread_join(handle, nil) }
  final class Box {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }
}

/// Every REPL suite nests here and runs one test at a time: Ctrl-C handling and `Interrupt` are
/// process-wide state.
@Suite(.serialized) enum REPLSuites {}

final class AtomicFlag: Sendable {
  let value = Atomic<Bool>(false)
}

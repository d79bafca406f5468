// Figures, image escapes, history file, completion words, durations, the command line.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
@Suite struct FigureTests {
  @Test func pngSizeComesFromIHDR() {
    let head: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
      + Array("IHDR".utf8) + [0, 0, 1, 0, 0, 0, 0, 200]
    #expect(FigureInfo.pngSize(head)! == (256, 200))
    #expect(FigureInfo.pngSize(Array(head.prefix(20))) == nil)
    #expect(FigureInfo.pngSize(Array("GIF89a not a png at all!".utf8)) == nil)
  }

  @Test func sizesAreReadable() {
    #expect(FigureInfo.formatSize(812) == "812 B")
    #expect(FigureInfo.formatSize(3482) == "3.4 KB")
    #expect(FigureInfo.formatSize(58_000) == "57 KB")
    #expect(FigureInfo.formatSize(2_200_000) == "2.1 MB")
    #expect(figureLine("/nonexistent/f.png") == "[figure] /nonexistent/f.png (missing: No such file or directory)")
  }

  @Test func base64MatchesTheStandard() {
    #expect(base64([]) == "")
    #expect(base64(Array("f".utf8)) == "Zg==")
    #expect(base64(Array("fo".utf8)) == "Zm8=")
    #expect(base64(Array("foobar".utf8)) == "Zm9vYmFy")
    #expect(base64([0xFF, 0xFE, 0x00]) == "//4A")
  }

  @Test func kittyEscapeIsChunkedAt4096() {
    let small = ImageProtocol.kitty.escape(forPNG: Array("foo".utf8))
    #expect(small == "\u{1B}_Gf=100,a=T,q=2,m=0;Zm9v\u{1B}\\\n")
    let big = ImageProtocol.kitty.escape(forPNG: [UInt8](repeating: 7, count: 3 * 4096 / 4 * 2 + 3))
    let chunks = big.split(separator: "\u{1B}\\").filter { $0 != "\n" }
    #expect(chunks.count == 3)
    #expect(chunks[0].hasPrefix("\u{1B}_Gf=100,a=T,q=2,m=1;"))
    #expect(chunks[1].hasPrefix("\u{1B}_Gm=1;"))
    #expect(chunks[2] == "\u{1B}_Gm=0;BwcH")
    #expect(chunks[0].count == "\u{1B}_Gf=100,a=T,q=2,m=1;".count + 4096)
  }

  @Test func itermEscapeCarriesTheSize() {
    #expect(ImageProtocol.iterm.escape(forPNG: Array("foo".utf8))
      == "\u{1B}]1337;File=inline=1;size=3:Zm9v\u{07}\n")
    #expect(ImageProtocol.none.escape(forPNG: [1, 2, 3]) == "")
  }

  @Test func protocolIsChosenFromTheEnvironment() {
    func pick(_ env: [String: String], tty: Bool = true) -> ImageProtocol {
      ImageProtocol.resolve(environment: env, stdoutIsTerminal: tty)
    }
    #expect(pick(["TERM": "xterm-kitty"]) == .kitty)
    #expect(pick(["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"]) == .kitty)
    #expect(pick(["TERM_PROGRAM": "ghostty"]) == .kitty)
    #expect(pick(["TERM_PROGRAM": "iTerm.app"]) == .iterm)
    #expect(pick(["TERM_PROGRAM": "WezTerm"]) == .iterm)
    #expect(pick(["TERM": "xterm-256color"]) == .none)
    #expect(pick(["TERM": "xterm-kitty"], tty: false) == .none)
    #expect(pick(["TERM": "xterm-kitty", "LEBM_IMAGES": "off"]) == .none)
    #expect(pick(["TERM": "xterm", "LEBM_IMAGES": "iterm"]) == .iterm)
    #expect(pick(["TERM": "xterm", "LEBM_IMAGES": "kitty"], tty: false) == .none)
    #expect(pick(["TERM": "xterm-kitty", "TMUX": "/tmp/tmux"]) == .none)
    #expect(pick(["TERM": "dumb", "LEBM_IMAGES": "kitty"]) == .none)
  }

  @Test func sessionDrawsInlineThenPrintsTheLine() {
    let path = temporaryPath("inline.png")
    defer { unlink(path) }
    let (console, captured) = Console.capturing()
    let session = Session(
      backend: FakeBackend(), reader: ArrayLineReader(["fig(\"\(path)\")"]), console: console,
      images: .iterm)
    session.run()
    #expect(captured.out.hasPrefix("0\n\u{1B}]1337;File=inline=1;size=29:iVBORw0KGgo"))
    #expect(captured.out.hasSuffix("\u{07}\n[figure] \(path) (640×480, 29 B)\n\n"))
  }
}
}

extension REPLSuites {
@Suite struct HistoryFileTests {
  @Test func entriesRoundTripIncludingBlocks() {
    let path = temporaryPath("history")
    defer { unlink(path) }
    let h = HistoryFile(path: path)
    #expect(h.load() == [])
    h.append("x = 1")
    h.append("fn f(a) {\n  a \\ 2\n}")
    h.append("s = \"a\\nb\"")
    h.append("# a comment")
    #expect(HistoryFile(path: path).load()
      == ["x = 1", "fn f(a) {\n  a \\ 2\n}", "s = \"a\\nb\"", "# a comment"])
    #expect((try? readTextFile(path))?.hasPrefix("#lebm-history-v1\nx = 1\nfn f(a) {\\n  a \\\\ 2\\n}\n") == true)
  }

  @Test func loadCompactsToTheLimit() {
    let path = temporaryPath("history-compact")
    defer { unlink(path) }
    let h = HistoryFile(path: path, limit: 4)
    for i in 0..<10 { h.append("e\(i)") }
    #expect(h.load() == ["e6", "e7", "e8", "e9"])
    #expect((try? readTextFile(path)) == "#lebm-history-v1\ne6\ne7\ne8\ne9\n")
  }

  @Test func defaultPathHonoursTheEnvironment() {
    // Read-only check: LEBM_HISTORY may be set by whoever runs the tests.
    let path = HistoryFile.defaultPath()
    if let env = getenv("LEBM_HISTORY"), env.pointee != 0 {
      #expect(path == String(cString: env))
    } else if let home = getenv("HOME") {
      #expect(path == String(cString: home) + "/.lebm_history")
    }
  }
}
}

extension REPLSuites {
@Suite struct CompletionWordTests {
  @Test func wordsBeforeTheCursor() {
    #expect(CompletionWord.find(in: "x = ener", cursor: 8) == ("ener", 4, .identifier))
    #expect(CompletionWord.find(in: "x = ener + 1", cursor: 8) == ("ener", 4, .identifier))
    #expect(CompletionWord.find(in: "s.lo", cursor: 4) == ("lo", 2, .field(base: "s")))
    #expect(CompletionWord.find(in: "m.opt.l", cursor: 7) == ("l", 6, .field(base: "m.opt")))
    #expect(CompletionWord.find(in: "toy(\"x\", n", cursor: 10) == ("n", 9, .identifier))
    #expect(CompletionWord.find(in: "load(\"data/tr", cursor: 13) == ("data/tr", 6, .string))
    #expect(CompletionWord.find(in: "a = \"q\\\"x", cursor: 9) == ("q\\\"x", 5, .string))
    #expect(CompletionWord.find(in: "1.5", cursor: 3) == ("5", 2, .identifier))
    #expect(CompletionWord.find(in: "", cursor: 0) == ("", 0, .identifier))
    #expect(CompletionWord.find(in: "ééé", cursor: 2) == ("éé", 0, .identifier))
  }
}
}

extension REPLSuites {
@Suite struct EditLineCompletionTests {
  @Test func candidatesAreMappedOntoLibeditsWord() {
    // libedit's word is longer ("s.lo": '.' does not break words): keep its head.
    #expect(EditLineState.replacements(
      for: ["loss_e", "loss_g"], line: "s.lo", cursor: 4, libeditWord: "s.lo") == ["s.loss_e", "s.loss_g"])
    // Same word.
    #expect(EditLineState.replacements(
      for: ["energy", "energy_net"], line: "x = ene", cursor: 7, libeditWord: "ene") == ["energy", "energy_net"])
    // libedit's word is shorter (a space inside a string breaks it): drop our extra head.
    #expect(EditLineState.replacements(
      for: ["my data/a.csv", "other.csv"], line: "load(\"my da", cursor: 11, libeditWord: "da") == ["data/a.csv"])
    #expect(EditLineState.replacements(for: [], line: "zz", cursor: 2, libeditWord: "zz") == [])
  }
}
}

extension REPLSuites {
@Suite struct FormattingTests {
  @Test func durations() {
    #expect(formatDuration(0.000_812) == "812 µs")
    #expect(formatDuration(0.012_34) == "12.3 ms")
    #expect(formatDuration(0.001_005) == "1.01 ms")
    #expect(formatDuration(4.561) == "4.56 s")
    #expect(formatDuration(125.4) == "125 s")
  }

  @Test func shebangLineIsEmptiedKeepingLineNumbers() {
    #expect(stripShebang("#!/usr/bin/env lebm\nx = 1\n") == "\nx = 1\n")
    #expect(stripShebang("#!/usr/bin/env lebm") == "")
    #expect(stripShebang("x = 1\n#!y") == "x = 1\n#!y")
  }
}
}

extension REPLSuites {
@Suite struct CLITests {
  func cli(_ args: [String], backend: FakeBackend = FakeBackend()) -> (Int32, CapturedText) {
    let (console, captured) = Console.capturing()
    let status = CLI.main(args, backend: { backend }, console: console)
    return (status, captured)
  }

  func script(_ text: String, name: String) -> String {
    let path = temporaryPath(name)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
    writeAll(fd, text)
    close(fd)
    return path
  }

  @Test func versionAndHelp() {
    #expect(cli(["--version"]).1.out == "lebm \(CLI.version)\n")
    let (status, text) = cli(["--help"])
    #expect(status == 0)
    #expect(text.out.contains("lebm run FILE"))
    #expect(text.out.contains("lebm notebook"))
    let (bad, badText) = cli(["--frobnicate"])
    #expect(bad == 64)
    #expect(badText.err.hasPrefix("lebm: unknown option '--frobnicate'"))
  }

  @Test func evalFlagEchoesTheValue() {
    let (status, text) = cli(["-e", "1+1"])
    #expect(status == 0)
    #expect(text.out == "2\n")
    let (s2, t2) = cli(["-e", "args()", "a", "b"])
    #expect(s2 == 0)
    #expect(t2.out == "\"a,b\"\n")
    #expect(cli(["-e"]).0 == 64)
  }

  @Test func scriptsRunWithArgumentsAndShebang() {
    let path = script("#!/usr/bin/env lebm\nx = 2\nprint(x * 21)\nprint(args())\nx\n", name: "ok.lebm")
    defer { unlink(path) }
    let backend = FakeBackend()
    let (status, text) = cli(["run", path, "one", "two"], backend: backend)
    #expect(status == 0)
    #expect(text.out == "42\none,two\n")  // a script's values are not echoed
    #expect(backend.evaluated == ["\nx = 2\nprint(x * 21)\nprint(args())\nx\n"])
    let (s2, t2) = cli([path])
    #expect(s2 == 0)
    #expect(t2.out == "42\n\n")
  }

  @Test func scriptErrorsExitWith65Or70() {
    let syntax = script("x = 1\ny = (1 +\n", name: "syntax.lebm")
    let runtime = script("print(1)\nprint(nope)\n", name: "runtime.lebm")
    defer { unlink(syntax); unlink(runtime) }
    let (s1, t1) = cli([syntax])
    #expect(s1 == 65)
    #expect(t1.err.hasPrefix("\(syntax):2:"))
    let (s2, t2) = cli(["run", runtime])
    #expect(s2 == 70)
    #expect(t2.all == "1\n\(runtime):2:7: error: unknown variable 'nope'\nprint(nope)\n      ^\n")
    let (s3, t3) = cli(["/nonexistent/script.lebm"])
    #expect(s3 == 66)
    #expect(t3.err == "lebm: cannot read '/nonexistent/script.lebm': No such file or directory\n")
    #expect(cli(["run"]).0 == 64)
  }

  @Test func notebookAndTutorialReportMissingInput() {
    let (status, text) = cli(["notebook", "x"])
    #expect(status == 66)
    #expect(text.err == "lebm notebook: cannot read 'x': No such file or directory\n")
    #expect(cli(["tutorial", "--no-such-flag"]).0 == 64)
  }

  @Test func theRealBackendRunsTheLanguage() {
    let b = makeBackend()
    #expect(b.check("fn f(x) {") == .incomplete)
    #expect(b.check("x = 1") == .complete)
    #expect(b.evaluate("1+1", file: "-e").echo == "2")
    let e = b.evaluate("zeros([2, 2]) @ ones([3, 1])", file: "-e")
    #expect(e.error?.contains("-e:1:") == true)
    #expect(e.error?.contains("matmul: shapes [2, 2] and [3, 1] do not match") == true)
    #expect(b.completions(for: "energy_n", cursor: 8) == ["energy_net"])
    _ = b.evaluate("tiny_x = 1", file: "<repl>")
    #expect(b.completions(for: "tiny_", cursor: 5) == ["tiny_x"])
    #expect(b.completions(for: "toy(\"8gaussians\", s", cursor: 18).contains("seed"))
    #expect(b.help("sample_prior").contains("short-run Langevin"))
  }
}
}

extension REPLSuites {
  /// The built `lebm` executable (next to the test bundle), run as a child process.
  @Suite struct ExecutableTests {
    static let binary: String? = {
      let me = CommandLine.arguments[0]
      guard let slash = me.lastIndex(of: "/") else { return nil }
      var dir = String(me[..<slash])
      if dir.hasSuffix(".xctest/Contents/MacOS") { dir = String(dir.dropLast(".xctest/Contents/MacOS".count)) }
      let path = dir + "/lebm"
      return access(path, X_OK) == 0 ? path : nil
    }()

    /// Runs `lebm args…` with stdin from /dev/null; its exit status and stdout.
    func run(_ args: [String]) -> (Int32, String) {
      guard let binary = Self.binary else { return (-1, "") }
      var fds: [Int32] = [0, 0]
      pipe(&fds)
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
      posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
      var pid = pid_t()
      let argv = ([binary] + args).map { strdup($0) } + [nil]
      defer { argv.forEach { free($0) } }
      posix_spawn(&pid, binary, &actions, nil, argv, environ)
      posix_spawn_file_actions_destroy(&actions)
      close(fds[1])
      var out: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, 4096) }
        if n <= 0 { break }
        out += buffer[0..<n]
      }
      close(fds[0])
      var status: Int32 = 0
      waitpid(pid, &status, 0)
      return ((status >> 8) & 0xff, String(decoding: out, as: UTF8.self))
    }

    @Test(.enabled(if: binary != nil)) func versionStartsQuickly() {
      _ = run(["--version"])  // warm the page cache
      // The best of five runs, so a busy machine (other tests start processes too) does not fail it:
      // ~10 ms on an idle machine; the bound only catches start-up work gone badly wrong.
      var best = Double.infinity
      for _ in 0..<5 {
        let start = monotonicSeconds()
        let (status, out) = run(["--version"])
        best = min(best, monotonicSeconds() - start)
        #expect(status == 0)
        #expect(out == "lebm \(CLI.version)\n")
      }
      #expect(best < 0.5, "start-up took \(formatDuration(best)) at best")
    }

    @Test(.enabled(if: binary != nil)) func subcommandUsageErrors() {
      #expect(run(["notebook"]).0 == 64)
      #expect(run(["--no-such-option"]).0 == 64)
    }

    /// `lebm bench` is the program's own command (it needs LatentEBM), so it is tested here.
    @Test(.enabled(if: binary != nil)) func benchRejectsUnknownConfigurations() {
      #expect(run(["bench", "nope", "--iters", "1"]).0 == 1)
      #expect(run(["bench", "--iters", "0"]).0 == 64)
      #expect(run(["bench", "--help"]).1.hasPrefix("usage: lebm bench"))
    }
  }
}

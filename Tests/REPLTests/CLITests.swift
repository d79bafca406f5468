// The `lebm` command line through CLI.main: options, scripts, exit codes.
import Glibc
import Testing

@testable import REPL
import Support

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
    #expect(badText.err == "lebm: unknown option '--frobnicate'\nsee lebm --help\n")
  }

  /// A usage error is its one line and where the help is, not the whole help again.
  @Test func usageErrorsAreOneLineAndWhereTheHelpIs() {
    let (s1, t1) = cli(["--quik"])
    #expect(s1 == 64)
    #expect(t1.err == "lebm: unknown option '--quik' (did you mean --quick?)\nsee lebm --help\n")
    let (s2, t2) = cli(["run"])
    #expect(s2 == 64)
    #expect(t2.err == "lebm run: missing FILE\nsee lebm run --help\n")
    let (s3, t3) = cli(["-e"])
    #expect(s3 == 64)
    #expect(t3.err == "lebm: -e needs CODE\nsee lebm --help\n")
    let (s4, t4) = cli(["notebook", "x.lebm", "--no-inptu"])
    #expect(s4 == 64)
    #expect(t4.err == "lebm notebook: unknown option '--no-inptu' (did you mean --no-input?)\nsee lebm notebook --help\n")
    #expect(t1.out.isEmpty && t2.out.isEmpty && t3.out.isEmpty && t4.out.isEmpty)
  }

  /// lebm's own options may follow the script (`lebm FILE --quick`); an unknown `--option` there
  /// goes to the script with a warning naming the nearest option; after `--` every word is the
  /// script's.
  @Test func lebmOptionsAfterTheScript() {
    let path = script("print(args())\n", name: "flags.lebm")
    defer { unlink(path) }
    let env = CLI.quickFromEnvironment
    for words in [[path, "--quick", "a"], ["run", path, "a", "--quick"], ["--quick", path, "a"]] {
      let backend = FakeBackend()
      let (status, text) = cli(words, backend: backend)
      #expect(status == 0 && backend.quick && text.out == "a\n" && text.err.isEmpty, "\(words): \(text.all)")
    }
    let typo = FakeBackend()
    let (s1, t1) = cli([path, "--quik", "b"], backend: typo)
    #expect(s1 == 0 && typo.quick == env)
    #expect(t1.out == "--quik,b\n")
    #expect(t1.err == "lebm: warning: unknown option '--quik' (did you mean --quick?) passed to the script in args; write the script's own options after --\n")
    let own = FakeBackend()
    let (s2, t2) = cli([path, "-5", "--epochs=3"], backend: own)
    #expect(s2 == 0 && t2.out == "-5,--epochs=3\n")
    #expect(t2.err == "lebm: warning: unknown option '--epochs=3' passed to the script in args; write the script's own options after --\n")
    let after = FakeBackend()
    let (s3, t3) = cli([path, "--quick", "--", "--quick", "--epochs", "3"], backend: after)
    #expect(s3 == 0 && after.quick && t3.out == "--quick,--epochs,3\n" && t3.err.isEmpty)
    let untouched = FakeBackend()
    let (s4, t4) = cli([path, "--", "--quick"], backend: untouched)
    #expect(s4 == 0 && untouched.quick == env && t4.out == "--quick\n")
    let (s5, t5) = cli([path, "--help"])
    #expect(s5 == 0 && t5.out == Commands.run.help && t5.out.hasPrefix("usage: lebm run [--quick] FILE [ARGS…]"))
    let (s6, t6) = cli([path, "--quick=1"])
    #expect(s6 == 64 && t6.err == "lebm run: --quick takes no value\nsee lebm run --help\n")
    // -e CODE and - take the same words after them.
    let e = FakeBackend()
    let (s7, t7) = cli(["-e", "args()", "x", "--quick", "--", "--quick"], backend: e)
    #expect(s7 == 0 && e.quick && t7.out == "\"x,--quick\"\n")
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

  @Test func theRealBackendRunsTheLanguage() throws {
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
    #expect(b.completions(for: "toy(\"8gaussians\", s", cursor: 18).contains("seed: "))
    let dir = try makeTemporaryDirectory(prefix: "lebm-complete")
    defer { try? removeTree(dir) }
    try writeFile(dir + "/quickstart.lebm", "1")
    let line = ":load " + dir + "/qu"
    #expect(b.completions(for: line, cursor: line.count) == [dir + "/quickstart.lebm"])
    #expect(b.help("sample_prior").contains("short-run Langevin"))
  }

  /// Tab right after a call's `(`, or after a `,` inside it, offers the keywords the call has
  /// not been given, in the order it takes them (not every name there is); on a word, the
  /// matching keywords come first, then the other names.
  @Test func completionInsideACallOffersItsKeywords() {
    let b = makeBackend()
    func complete(_ line: String) -> [String] { b.completions(for: line, cursor: line.count) }
    #expect(complete("energy_net(") == ["latent: ", "hidden: ", "act: ", "slope: ", "form: "])
    #expect(complete("E = energy_net(2, ") == ["hidden: ", "act: ", "slope: ", "form: "])
    #expect(complete("energy_net(2, act: \"relu\", ") == ["hidden: ", "slope: ", "form: "])
    #expect(complete("energy_net(2, hidden: [8, 8], ") == ["act: ", "slope: ", "form: "])
    let train = complete("train(m, d, epochs: 3, ")
    #expect(!train.contains("model: ") && !train.contains("data: ") && !train.contains("epochs: ") && train.first == "batch: ", "\(train)")
    #expect(train.allSatisfy { $0.hasSuffix(": ") }, "\(train)")
    // A nested call's own keywords, and the outer call's again after it closes.
    #expect(complete("train(m, toy(\"8gaussians\", ") == ["n: ", "seed: ", "std: "])
    #expect(complete("train(m, toy(\"x\", n: 10), ").first == "epochs: ")
    // On a word: the call's keywords first, then the names.
    _ = b.evaluate("every_x = 1", file: "<repl>")
    #expect(complete("train(m, d, ev") == ["every: ", "every_x"])
    #expect(complete("energy_net(la") == ["latent: ", "langevin", "langevin_prior", "latent_ebm"])
    // Outside a call, or in a call of something without keywords, the names as before.
    #expect(complete("energy_n") == ["energy_net"])
    #expect(complete("every_x + (").count > 100)
  }
}
}

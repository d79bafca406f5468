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
}
}

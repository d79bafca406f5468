// The built `lebm` executable, run as a child process.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
  /// The built `lebm` executable (next to the test bundle), run as a child process.
  @Suite struct ExecutableTests {
    static let binary = siblingExecutable("lebm")

    /// Runs `lebm args…` with stdin from /dev/null; its exit status and stdout (and stderr with
    /// `withStderr`).
    func run(_ args: [String], withStderr: Bool = false) -> (Int32, String) {
      let (status, out, _) = runCounted(args, withStderr: withStderr)
      return (status, out)
    }

    /// `run`, and the CPU seconds (user and system) the child used; stdin from `stdin` and
    /// stderr to `stderr` (paths) unless `withStderr` sends it to stdout's pipe.
    func runCounted(_ args: [String], stdin: String = "/dev/null", stderr: String = "/dev/null", withStderr: Bool = false) -> (Int32, String, Double) {
      guard let binary = Self.binary else { return (-1, "", 0) }
      var fds: [Int32] = [0, 0]
      pipe(&fds)
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
      posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
      if withStderr {
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
      } else {
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      }
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
      var usage = rusage()
      wait4(pid, &status, 0, &usage)
      let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
      return ((status >> 8) & 0xff, String(decoding: out, as: UTF8.self), cpu)
    }

    @Test(.enabled(if: binary != nil)) func versionStartsQuickly() {
      // Start-up work is counted in CPU seconds, which a busy machine does not inflate the way it
      // does wall time: ~10 ms here; the bound only catches start-up work gone badly wrong (loading
      // data, the kernel's libraries, a large history file).
      var best = Double.infinity
      for _ in 0..<3 {
        let (status, out, cpu) = runCounted(["--version"])
        best = min(best, cpu)
        #expect(status == 0)
        #expect(out == "lebm \(CLI.version)\n")
      }
      #expect(best < 0.25, "start-up used \(formatDuration(best)) of CPU time at best")
    }

    @Test(.enabled(if: binary != nil)) func redirectedStdinRunsAsAScript() throws {
      // `lebm < f.lebm` runs as `lebm f.lebm` and `lebm - < f.lebm` do: stops at the first error
      // (nothing after it runs), exit status 70, and the error names line 4.
      let dir = try makeTemporaryDirectory()
      defer { try? removeTree(dir) }
      let path = dir + "/f.lebm", err = dir + "/err"
      try writeFile(path, "x = 1\nprint(x)\ny = 2\nprint(nope)\nprint(\"after\")\n")
      for args in [[], ["-"]] {
        let (status, out, _) = runCounted(args, stdin: path, stderr: err)
        #expect(status == 70, "lebm \(args) < f.lebm")
        #expect(out == "1\n", "lebm \(args) < f.lebm printed \(out)")
        #expect(try readTextFile(err).hasPrefix("<stdin>:4:7: error: undefined variable 'nope'"))
      }
    }

    @Test(.enabled(if: binary != nil)) func subcommandUsageErrors() {
      #expect(run(["notebook"]).0 == 64)
      #expect(run(["--no-such-option"]).0 == 64)
      let (status, text) = run(["notebook", "--no-such-option"], withStderr: true)
      #expect(status == 64 && text == "lebm notebook: unknown option '--no-such-option'\nsee lebm notebook --help\n", "\(text)")
    }

    /// `lebm FILE --quick` sets the language's `quick`; `--quik` warns, suggests --quick and
    /// reaches the script's `args`; after `--` the script gets `--quick` itself.
    @Test(.enabled(if: binary != nil)) func optionsAfterTheScript() throws {
      let dir = try makeTemporaryDirectory()
      defer { try? removeTree(dir) }
      let path = dir + "/qa.lebm"
      try writeFile(path, "print(\"quick={quick} args={args}\")\n")
      #expect(run([path, "--quick", "a"], withStderr: true) == (0, "quick=true args=[\"a\"]\n"))
      let (status, text) = run([path, "--quik"], withStderr: true)
      #expect(status == 0)
      #expect(text.hasPrefix("lebm: warning: unknown option '--quik' (did you mean --quick?) passed to the script in args"), "\(text)")
      #expect(text.hasSuffix("args=[\"--quik\"]\n"), "\(text)")
      #expect(run([path, "--quick", "--", "--quick"], withStderr: true) == (0, "quick=true args=[\"--quick\"]\n"))
    }

    /// `lebm export`: a non-empty folder needs --overwrite; a checkpoint with a bad record is an
    /// error naming the file (it used to be a raw EncodingError), and nothing is written.
    @Test(.enabled(if: binary != nil)) func exportRefusesAFullFolderAndNamesABadCheckpoint() throws {
      let dir = try makeTemporaryDirectory(prefix: "lebm-export")
      defer { try? removeTree(dir) }
      let good = dir + "/good.safetensors", bad = dir + "/bad.safetensors"
      #expect(run(["-e", "save(latent_ebm(energy_net(2, hidden: [4]), generator(2, hidden: [4], out: 2)), \"\(good)\")"]).0 == 0)
      #expect(run(["export", good, dir + "/out"]).0 == 0)
      let (status, text) = run(["export", good, dir + "/out"], withStderr: true)
      #expect(status == 1 && text.contains("the folder is not empty") && text.contains("--overwrite"), "\(text)")
      #expect(run(["export", good, dir + "/out", "--overwrite"]).0 == 0)
      // The record's slope 0.2 made 9e9 (same length, so the header length holds): refused at
      // load, naming the file.
      var bytes = try readFileBytes(good)
      let from = Array(#"\"slope\":0.2"#.utf8), to = Array(#"\"slope\":9e9"#.utf8)
      let at = (0...(bytes.count - from.count)).first { Array(bytes[$0..<($0 + from.count)]) == from }
      #expect(at != nil)
      if let at { bytes.replaceSubrange(at..<(at + from.count), with: to) }
      try writeFile(bad, bytes)
      let (badStatus, badText) = run(["export", bad, dir + "/out2"], withStderr: true)
      #expect(badStatus == 1 && badText.hasPrefix("lebm export: \(bad): ") && badText.contains("'slope' must be a finite number in -1000…1000"), "\(badText)")
      #expect(!isDirectory(dir + "/out2"))
    }

    /// `lebm bench` is the program's own command (it needs LatentEBM), so it is tested here.
    @Test(.enabled(if: binary != nil)) func benchRejectsUnknownConfigurations() {
      #expect(run(["bench", "nope", "--iters", "1"]).0 == 1)
      #expect(run(["bench", "--iters", "0"]).0 == 64)
      #expect(run(["bench", "--help"]).1.hasPrefix("usage: lebm bench"))
    }

    /// `lebm bench sgemm` prints one line: the sgemm GFLOP/s, a positive number.
    @Test(.enabled(if: binary != nil)) func benchSGEMMPrintsOneRate() throws {
      let (status, out) = run(["bench", "sgemm", "--threads", "1"])
      #expect(status == 0)
      let prefix = "sgemm 1024x1024x1024: ", suffix = " GFLOP/s\n"
      #expect(out.hasPrefix(prefix) && out.hasSuffix(suffix), "\(out)")
      let rate = Double(out.dropFirst(prefix.count).dropLast(suffix.count))
      #expect((rate ?? 0) > 0, "\(out)")
    }
  }
}

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
      guard let binary = Self.binary else { return (-1, "") }
      var fds: [Int32] = [0, 0]
      pipe(&fds)
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
      posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
      if withStderr {
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
      } else {
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
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

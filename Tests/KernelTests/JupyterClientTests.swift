// The kernel and lebm's .ipynb files against Jupyter's own Python tools (jupyter_client, nbformat,
// nbconvert), from the interpreter named by LEBM_TEST_PYTHON. Skipped, with the reason, when that
// is unset or lacks the modules. The scripts in Resources/ print one `ok:` line per check.
import Glibc
import Testing

import Support

enum JupyterPython {
  /// The Python interpreter, when LEBM_TEST_PYTHON names one that has the modules.
  static let interpreter: String? = {
    guard let python = environmentValue("LEBM_TEST_PYTHON"), !python.isEmpty else { return nil }
    let (status, _) = run([python, "-c", "import jupyter_client, nbformat, nbconvert"])
    return status == 0 ? python : nil
  }()

  static let skipReason: Comment =
    "needs LEBM_TEST_PYTHON naming a Python with jupyter_client, nbformat and nbconvert (Tools/test-venv.sh)"

  /// The built lebm beside the test bundle.
  static let lebm = siblingExecutable("lebm")

  static var available: Bool { interpreter != nil && lebm != nil }

  /// This package's root, three levels above this file.
  static let root: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  /// Runs `argv` (stdin from /dev/null, stdout and stderr together) under `timeout` seconds.
  static func run(_ argv: [String], timeout: Int = 600) -> (Int32, String) {
    var fds: [Int32] = [0, 0]
    pipe(&fds)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    let full = ["timeout", String(timeout)] + argv
    let args = full.map { strdup($0) } + [nil]
    defer { args.forEach { free($0) } }
    var pid = pid_t()
    let rc = posix_spawnp(&pid, "timeout", &actions, nil, args, environ)
    posix_spawn_file_actions_destroy(&actions)
    close(fds[1])
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while rc == 0 {
      let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, 4096) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      out += buffer[0..<n]
    }
    close(fds[0])
    guard rc == 0 else { return (-1, "cannot start \(argv[0])") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ((status >> 8) & 0xff, String(decoding: out, as: UTF8.self))
  }

  /// Runs the script `name` from Resources/ with the built lebm, a fresh temporary folder and
  /// `extra` arguments; its status and output.
  static func script(_ name: String, _ extra: [String] = []) -> (Int32, String) {
    guard let python = interpreter, let lebm else { return (-1, "") }
    guard let tmp = try? makeTemporaryDirectory(prefix: "lebm-kernel-test") else { return (-1, "no temporary folder") }
    defer { try? removeTree(tmp) }
    return run([python, "-u", root + "/Tests/KernelTests/Resources/" + name, lebm, tmp] + extra)
  }
}

@Suite(.serialized) struct JupyterClientTests {
  /// An execute with a figure, streamed prints, completion, inspection, an error, is_complete,
  /// an interrupt of a running `train` (state kept) and shutdown, through jupyter_client.
  @Test(.enabled(if: JupyterPython.available, JupyterPython.skipReason))
  func theKernelAnswersJupyterClient() {
    let (status, output) = JupyterPython.script("drive_kernel.py")
    #expect(status == 0, "\(output)")
    #expect(output.contains("ok: a figure arrives as display_data image/png"))
    #expect(output.contains("ok: SVG and PDF figures arrive as image/svg+xml and application/pdf"))
    #expect(output.contains("ok: state is kept after the interrupt"))
    #expect(output.contains("all checks passed"), "\(output)")
  }

  /// nbconvert --execute on an example converted to .ipynb; lebm's .ipynb validates; the round
  /// trip keeps every cell.
  @Test(.enabled(if: JupyterPython.available, JupyterPython.skipReason))
  func notebooksOpenInJupyterTools() {
    let (status, output) = JupyterPython.script("notebook_files.py", [JupyterPython.root + "/examples/quickstart.lebm"])
    #expect(status == 0, "\(output)")
    #expect(output.contains("ok: jupyter nbconvert --execute runs it with the lebm kernel"))
    #expect(output.contains("all checks passed"), "\(output)")
  }
}

@Suite struct KernelCommandTests {
  /// `lebm kernel` without a connection file, with an unknown action or an unreadable file fails
  /// with a message; `install --prefix` writes kernel.json naming the lebm binary.
  @Test(.enabled(if: JupyterPython.lebm != nil))
  func usageErrorsAndInstall() throws {
    guard let lebm = JupyterPython.lebm else { return }
    #expect(JupyterPython.run([lebm, "kernel"]).0 == 64)
    #expect(JupyterPython.run([lebm, "kernel", "uninstall"]).0 == 64)
    let (status, output) = JupyterPython.run([lebm, "kernel", "-f", "/nonexistent/kernel.json"])
    #expect(status == 66 && output.contains("cannot read the connection file '/nonexistent/kernel.json'"), "\(output)")
    let tmp = try makeTemporaryDirectory(prefix: "lebm-kernel-install")
    defer { try? removeTree(tmp) }
    #expect(JupyterPython.run([lebm, "kernel", "install", "--prefix", tmp]).0 == 0)
    let spec = try JSONValue.decode(try readTextFile(tmp + "/share/jupyter/kernels/lebm/kernel.json"))
    #expect(spec["argv"] == [.string(lebm), "kernel", "-f", "{connection_file}"])
  }
}

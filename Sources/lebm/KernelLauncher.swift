// `lebm kernel …`: replaces this process with the `lebm-kernel` program beside it (same process,
// so Jupyter's SIGINT and its wait for the kernel's exit reach the kernel). The kernel is a
// separate program so that `lebm` itself does not load ZeroMQ and OpenSSL at start-up.
import Glibc
import REPL
import Support

enum KernelLauncher {
  /// Its row in the command table; every word goes to `lebm-kernel` (`lebm kernel --help` too).
  static let command = Command(
    "kernel", summary: "the Jupyter kernel (`lebm kernel install` writes its kernelspec)",
    arguments: [.rest("ARGS")]
  ) { args, context in
    guard let program = siblingExecutable("lebm-kernel") else {
      context.console.err("lebm kernel: the lebm-kernel program is not beside lebm (build it with `swift build`)\n")
      return 69
    }
    fflush(stdout)
    let argv = (["lebm-kernel"] + args.rest).map { strdup($0) } + [nil]
    execv(program, argv)
    context.console.err("lebm kernel: cannot start \(program): \(errnoMessage())\n")
    return 69
  }
}

// `lebm-kernel`: the Jupyter kernel program. `lebm kernel ARGS…` execs it with ARGS; it parses
// them with the `kernel` row (`install [--user|--prefix P]` or `-f CONNECTION_FILE`).
import Glibc
import Kernel
import REPL

InterruptSignal.install()
let context = CommandContext(
  console: .standard(flushEachWrite: true), quick: CLI.quickFromEnvironment, makeBackend: makeBackend)
let status = KernelCommand.command.invoke(Array(CommandLine.arguments.dropFirst()), context: context)
fflush(stdout)
exit(status)

// The `lebm` command: everything but `lebm bench` lives in the REPL module (`CLI.main`), so tests
// can drive it; the program adds `bench`, which needs LatentEBM, and `kernel` (the Jupyter kernel).
import Glibc
import Kernel
import REPL

InterruptSignal.install()
let status = CLI.main(Array(CommandLine.arguments.dropFirst()), commands: Commands.all + [BenchCommand.command, KernelCommand.command])
fflush(stdout)
exit(status)

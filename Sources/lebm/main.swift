// The `lebm` command: most of it lives in the REPL module (`CLI.main`), so tests can drive it; the
// program adds `bench` and `export`, which need LatentEBM, and `kernel`, which starts the
// `lebm-kernel` program beside it (the Jupyter kernel).
import Glibc
import REPL

InterruptSignal.install()
let status = CLI.main(Array(CommandLine.arguments.dropFirst()), commands: Commands.all + [BenchCommand.command, ExportCommand.command, KernelLauncher.command])
fflush(stdout)
exit(status)

// The `lebm` command: everything but `lebm bench` lives in the REPL module (`CLI.main`), so tests
// can drive it; the program adds `bench`, which needs LatentEBM.
import Glibc
import REPL

InterruptSignal.install()
let status = CLI.main(Array(CommandLine.arguments.dropFirst()), commands: Commands.all + [BenchCommand.command, ExportCommand.command])
fflush(stdout)
exit(status)

// The `lebm` command: everything lives in the REPL module (`CLI.main`), so tests can drive it.
import Glibc
import REPL

InterruptSignal.install()
let status = CLI.main(Array(CommandLine.arguments.dropFirst()))
fflush(stdout)
exit(status)

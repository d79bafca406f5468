// The built `lebm` at a prompt on a pseudo-terminal: keyword and `:load` completion, callable
// networks, help on a variable and a topic, and `:help` paged a screen at a time.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
  @Suite struct PromptTerminalTests {
    @Test(.enabled(if: ExecutableTests.binary != nil))
    func completionCallableNetworksHelpAndPaging() {
      let dir = temporaryFolder("prompt")
      defer { removeFolder(dir) }
      writeText(dir + "/quick.lebm", "q5 = 5\n")
      let t = PseudoTerminal.lebm(history: dir + "/history")
      #expect(t.prompt(timeout: 15))

      // A keyword of the call being typed completes with its `: `.
      t.send("plot_scatter(x, \"a.png\", tit\t")
      #expect(t.expect("le: "), "keyword completed: \(t.sinceMark.debugDescription)")
      t.send("\u{15}")  // Ctrl-U clears the line

      // Right after a call's `(`, two Tabs list the call's keywords, not every name there is.
      t.send("energy_net(\t\t")
      #expect(t.expect("slope:"), "keywords listed: \(t.sinceMark.debugDescription)")
      #expect(t.prompt())
      #expect(!t.all.contains("possibilities") && !t.all.contains("latent_ebm"), "\(t.all.debugDescription)")
      #expect(["act:", "form:", "hidden:", "latent:"].allSatisfy { t.all.contains($0) }, "\(t.all.debugDescription)")
      t.send("\u{15}")

      // After :load a path completes (not the variable `quick`).
      t.send(":load \(dir)/qu\t")
      #expect(t.expect("ick.lebm"), "path completed: \(t.sinceMark.debugDescription)")
      t.send("\r")
      #expect(t.prompt())
      t.send("q5 + 1\r")
      #expect(t.expect("\r\n6\r\n"), "the file ran: \(t.sinceMark.debugDescription)")

      // Networks are callable: E(z) gives one energy per row.
      #expect(t.prompt())
      t.send("E = energy_net(2, hidden: [4])\r")
      #expect(t.prompt())
      t.send("shape(E(zeros([3, 2])))\r")
      #expect(t.expect("[3]"), "E(z): \(t.sinceMark.debugDescription)")

      // :help on a variable: its type, its value and the builtins that take it.
      #expect(t.prompt())
      t.send("m = latent_ebm(E, generator(2, hidden: [4], out: 2))\r")
      #expect(t.prompt())
      t.send(":help m\r")
      #expect(t.expect("m: latent_ebm"), "\(t.sinceMark.debugDescription)")
      #expect(t.expect("builtins that take a latent_ebm value: energy, decode, sample_prior"), "\(t.sinceMark.debugDescription)")

      // A topic lists its group.
      #expect(t.prompt())
      t.send("help(\"plot\")\r")
      #expect(t.expect("plot — figures written to PNG, SVG or PDF"), "\(t.sinceMark.debugDescription)")
      #expect(t.expect("plot_scatter(points, …)"))

      // :help pages: commands first, a screenful, Space for the next, q back to the prompt.
      #expect(t.prompt())
      t.send(":help\r")
      #expect(t.expect("REPL commands:"), "\(t.sinceMark.debugDescription)")
      #expect(t.expect(Pager.prompt), "paged: \(t.sinceMark.debugDescription)")
      #expect(!t.sinceMark.contains("plot — "), "the first page stops early")
      t.send(" ")
      #expect(t.expect(Pager.prompt), "second page: \(t.sinceMark.debugDescription)")
      t.send("q")
      #expect(t.prompt())
      t.send("1 + 1\r")
      #expect(t.expect("\r\n2\r\n"), "the prompt works after the pager: \(t.sinceMark.debugDescription)")

      #expect(t.prompt())
      t.send("\u{04}")
      #expect(t.waitExit(timeout: 10) == 0, "output: \(t.all.debugDescription)")
    }
  }
}

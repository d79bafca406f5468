// The tutorial player: lessons in a temporary folder, the fake backend, an in-memory reader for
// the steps and commands, `:tutorial` in a REPL session, and one run through a pseudo-terminal
// with the libedit reader.
import Glibc
import Testing

@testable import REPL
import Support

/// Two small lessons in the fake backend's language.
func writeLessons(in dir: String) {
  writeText(dir + "/01-basics.lebm", """
    # %% [markdown]
    # # Basics
    #
    # First we set **x** to forty.

    # %%
    x = 40
    print(x)
    x

    # %% [markdown]
    # ## Adding
    # Now we add two.

    # %%
    x + 2

    # %% [markdown]
    # The end of the lesson.
    """)
  writeText(dir + "/02-more.lebm", "# %% [markdown]\n# # More things\n# %%\nw = 7\n")
  writeText(dir + "/notes.txt", "not a lesson")
}

extension REPLSuites {
  @Suite struct TutorialTests {
    @Test func findsAndPicksLessons() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      let lessons = Tutorial.lessons(in: dir)
      #expect(lessons.map(\.name) == ["01-basics", "02-more"])
      #expect(Tutorial.pick("", from: lessons) == 0)
      #expect(Tutorial.pick("2", from: lessons) == 1)
      #expect(Tutorial.pick("02", from: lessons) == 1)
      #expect(Tutorial.pick("bas", from: lessons) == 0)
      #expect(Tutorial.pick("02-m", from: lessons) == 1)
      #expect(Tutorial.pick("nothing", from: lessons) == nil)
      #expect(Tutorial.pick("9", from: lessons) == nil)
      #expect(Tutorial.title(of: lessons[1]) == "More things")
      let steps = Tutorial.steps(Notebook.parse((try? readTextFile(lessons[0].path))!))
      #expect(steps.count == 3)
      #expect(steps[0].code?.source == "x = 40\nprint(x)\nx")
      #expect(steps[1].text.hasPrefix("## Adding") && steps[1].code?.source == "x + 2")
      #expect(steps[2].code == nil)
      setenv("LEBM_TUTORIAL_DIR", dir, 1)
      defer { unsetenv("LEBM_TUTORIAL_DIR") }
      #expect(Tutorial.folder() == dir)
    }

    func play(_ lines: [String], dir: String, backend: FakeBackend = FakeBackend()) -> (String, ArrayLineReader) {
      let (console, captured) = Console.capturing()
      let reader = ArrayLineReader(lines)
      let player = TutorialPlayer(
        lessons: Tutorial.lessons(in: dir), backend: backend, reader: reader, console: console)
      #expect(player.run() == 0)
      return (captured.all, reader)
    }

    @Test func stepsForwardTriesCodeGoesBackAndQuits() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      let backend = FakeBackend()
      let (out, reader) = play(["", "x * 2", "back", "again", "next", "help", "quit", "never read"], dir: dir, backend: backend)
      // step 1: text, code with the prompt gutter, the hint
      #expect(out.contains("══ Lesson 1: Basics"))
      #expect(out.contains("── step 1/3 · 01-basics ──\nBasics\n\nFirst we set x to forty.\n\nlebm> x = 40\n  ... print(x)\n  ... x\n"))
      // Enter ran it (its output and value) and showed step 2
      guard let ran = out.firstRange(of: "40\n40\n\n── step 2/3") else {
        Issue.record("step 1 did not run before step 2: \(out)")
        return
      }
      // code typed at the prompt runs in the lesson's session
      let afterStep2 = out[ran.upperBound...]
      #expect(afterStep2.contains("lebm> x + 2\n"))
      #expect(afterStep2.contains("\n80\n\n── step 1/3"), "typed code's value, then the step shown again: \(afterStep2)")
      // `again` ran step 1 a second time; `next` moved on without running step 1 a third time
      #expect(backend.evaluated.filter { $0.hasSuffix("x = 40\nprint(x)\nx") }.count == 2)
      #expect(out.components("── step 2/3").count == 3)
      #expect(out.contains("Tutorial commands:"))
      #expect(reader.inputs == [.line("never read")], "quit stops reading")
      #expect(reader.history == ["x * 2"])
    }

    @Test func nextAfterBackRunsTheStepAndTyposSuggestACommand() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      let backend = FakeBackend()
      // Enter runs step 1; back shows it again; next runs it again (as help says) and moves on.
      let (out, _) = play(["", "back", "next", "nxt", "q"], dir: dir, backend: backend)
      #expect(backend.evaluated.filter { $0.hasSuffix("x = 40\nprint(x)\nx") }.count == 2, "\(backend.evaluated)")
      #expect(out.components("── step 2/3").count == 3)
      #expect(out.contains("'nxt' is not a tutorial command or a name in this session; did you mean `next`?"), "\(out)")
      #expect(!backend.evaluated.contains("nxt"), "a typo of a command is not run as code")
    }

    @Test func lastStepLeadsToTheNextLesson() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      let backend = FakeBackend()
      let (out, _) = play(["", "", "", "", "", "w", "x"], dir: dir, backend: backend)
      #expect(out.contains("── step 3/3 · 01-basics ──\nThe end of the lesson.\nEnter goes on"))
      #expect(out.contains("End of lesson 01-basics. Enter starts the next one, 02-more (More things)"))
      #expect(out.contains("leaves.\n\n══ Lesson 2: More things"))
      #expect(out.contains("the tutorial.\n7\n40\n"), "both lessons share the session: \(out)")
    }

    @Test func anInterruptedStepKeepsTheTutorialOnIt() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeText(dir + "/01-long.lebm", """
        # %%
        print("before")
        ctrlc()
        print("rest of the step")

        # %% [markdown]
        # The second step.
        """)
      let (out, _) = play(["", "steps", "q"], dir: dir)
      #expect(out.contains("before\n"), "\(out)")
      #expect(out.contains("interrupted"))
      #expect(out.contains("(interrupted; still at step 1 · Enter runs it again)"), "\(out)")
      #expect(!out.contains("\nrest of the step\n"), "the rest of the step ran: \(out)")
      #expect(!out.contains("step 2/2"), "\(out)")
      #expect(out.contains(" > 1. "), "\(out)")
      #expect(!out.contains("✓"), "an interrupted step does not count as run: \(out)")
    }

    @Test func errorsPointAtTheLessonFile() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeText(dir + "/01-bad.lebm", "# %% [markdown]\n# Text\n# %%\n\nnope\n")
      let (out, _) = play(["", "q"], dir: dir)
      #expect(out.contains("\(dir)/01-bad.lebm:5:1: error: unknown variable 'nope'"), "\(out)")
    }

    @Test func colonTutorialInTheREPL() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      setenv("LEBM_TUTORIAL_DIR", dir, 1)
      defer { unsetenv("LEBM_TUTORIAL_DIR") }
      let (text, _, status) = runSession([":tutorial 2", "", "quit", "w + 1", ":tutorial zzz"])
      #expect(status == 0)
      #expect(text.out.contains("══ Lesson 2: More things"))
      #expect(text.out.contains("(tutorial ended; the lesson's variables are still here)\n8\n"), "\(text.all)")
      #expect(text.err.contains("no lesson 'zzz'"))
      let (listed, _, _) = runSession([":tutorial", "q"])
      #expect(listed.out.contains("Lessons:\n  > 1. 01-basics — Basics\n    2. 02-more — More things\n"))
    }

    @Test func commandLineListsAndRejects() {
      let dir = temporaryFolder("lessons")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      setenv("LEBM_TUTORIAL_DIR", dir, 1)
      defer { unsetenv("LEBM_TUTORIAL_DIR") }
      let (console, captured) = Console.capturing()
      #expect(CLI.main(["tutorial", "--list"], backend: { FakeBackend() }, console: console) == 0)
      #expect(captured.out.contains("1. 01-basics — Basics"))
      #expect(CLI.main(["tutorial", "nope"], backend: { FakeBackend() }, console: console) == 64)
      setenv("LEBM_TUTORIAL_DIR", dir + "/missing", 1)
      #expect(CLI.main(["tutorial"], backend: { FakeBackend() }, console: console) == 69)
    }

    @Test func terminalMarkdownWrapsAndStyles() {
      let plain = TerminalStyle(color: false, width: 40)
      let text = TerminalMarkdown.render(
        "# Title\n\nA **bold** word and `code` in a paragraph long enough to wrap around.\n\n- an item that is also long enough to wrap\n", style: plain)
      #expect(text == """
        Title

        A bold word and `code` in a paragraph
        long enough to wrap around.

          • an item that is also long enough to
            wrap

        """)
      let color = TerminalStyle(color: true, width: 40)
      #expect(TerminalMarkdown.render("# Title", style: color) == "\u{1B}[1;4mTitle\u{1B}[0m\n")
      #expect(TerminalMarkdown.code("x = 1\ny", style: plain, gutter: true) == "lebm> x = 1\n  ... y")
    }

    @Test func tutorialThroughAPseudoTerminal() {
      let dir = temporaryFolder("lessons-pty")
      defer { removeFolder(dir) }
      writeLessons(in: dir)
      let history = temporaryPath("tutorial-history-\(UInt32.random(in: 0...UInt32.max))")
      defer { unlink(history) }
      // Instantiate the player's types before forking (see TerminalTests.start).
      _ = play(["", "x", "back", "q"], dir: dir)
      let t = PseudoTerminal {
        setenv("TERM", "xterm", 1)
        setenv("LEBM_HISTORY", history, 1)
        unsetenv("LEBM_IMAGES")
        InterruptSignal.install()
        let backend = FakeBackend()
        let reader = EditLineReader(historyPath: history, completer: { backend.completions(for: $0, cursor: $1) })
        let player = TutorialPlayer(
          lessons: Tutorial.lessons(in: dir), backend: backend, reader: reader,
          console: .standard(flushEachWrite: true), style: TerminalStyle(color: true, width: 100))
        let status = player.run()
        fflush(nil)
        _exit(status)
      }
      #expect(t.expect("step 1/3"), "first step: \(t.all.debugDescription)")
      #expect(t.expect("forty"))
      #expect(t.expect("Enter runs this code"))
      #expect(t.prompt())
      t.send("\r")  // run step 1, show step 2
      #expect(t.expect("\r\n40\r\n40\r\n"), "step 1 ran: \(t.sinceMark.debugDescription)")
      #expect(t.expect("step 2/3"))
      #expect(t.expect("Enter runs this code"))
      #expect(t.prompt())
      t.send("x * 3\r")  // code at the prompt
      #expect(t.expect("\r\n120\r\n"), "typed code ran: \(t.sinceMark.debugDescription)")
      #expect(t.prompt())
      t.send("back\r")
      #expect(t.expect("step 1/3"), "back: \(t.sinceMark.debugDescription)")
      #expect(t.expect("Enter runs this code"))
      #expect(t.prompt())
      t.send("quit\r")
      #expect(t.waitExit() == 0, "output: \(t.all.debugDescription)")
      #expect(!t.all.contains("error"))
    }
  }
}

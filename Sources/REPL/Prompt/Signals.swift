// Ctrl-C. One `sigaction` handler that only touches atomics (async-signal-safe):
//   - at the prompt it sets `promptFlag`; libedit's `readline()` then returns NULL and the
//     reader reports `.interrupted` (EditLineReader turns libedit's own signal handling off and
//     reads keys itself, watching this flag);
//   - during evaluation it calls `Interruption.request()`, so interruptible work stops at its next
//     check; a third Ctrl-C during one evaluation that has not stopped restores the
//     default action and re-raises, as an escape hatch for work that never polls.
import Glibc
import Lang
import Synchronization

/// Ctrl-C handling for the REPL and scripts.
public enum InterruptSignal {
  private static let promptFlag = Atomic<Bool>(false)
  private static let busy = Atomic<Bool>(false)
  private static let presses = Atomic<Int>(0)
  private static let installed = Atomic<Bool>(false)
  private static let quitMessage: UnsafeMutablePointer<CChar> =
    strdup("\nlebm: the running work does not stop; quitting on the third Ctrl-C\n")!

  /// Installs the SIGINT handler (once) and unblocks SIGINT on the calling thread, which may have
  /// inherited a mask that blocks it (threads started by libdispatch block every signal).
  public static func install() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    guard !installed.exchange(true, ordering: .relaxed) else { return }
    // Initialise every static the handler reads now, not lazily inside the handler.
    _ = (promptFlag.load(ordering: .relaxed), busy.load(ordering: .relaxed),
         presses.load(ordering: .relaxed), quitMessage, Interruption.isRequested)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in InterruptSignal.handle() }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0  // no SA_RESTART: a blocked read returns EINTR
    sigaction(SIGINT, &action, nil)
  }

  /// The handler's body. Public for tests, which simulate a Ctrl-C without a signal.
  public static func handle() {
    if busy.load(ordering: .relaxed) {
      Interruption.request()
      if presses.add(1, ordering: .relaxed).newValue >= 3 {
        _ = write(2, quitMessage, strlen(quitMessage))
        signal(SIGINT, SIG_DFL)
        raise(SIGINT)
      }
    } else {
      promptFlag.store(true, ordering: .relaxed)
    }
  }

  /// Forgets a Ctrl-C seen at the prompt; call before reading a line.
  public static func clearPrompt() { promptFlag.store(false, ordering: .relaxed) }

  /// Whether Ctrl-C was pressed at the prompt since ``clearPrompt()`` (the flag stays set).
  public static var promptRequested: Bool { promptFlag.load(ordering: .relaxed) }

  /// Whether Ctrl-C was pressed at the prompt since ``clearPrompt()``, clearing the flag.
  public static func takePrompt() -> Bool { promptFlag.exchange(false, ordering: .relaxed) }

  /// Stops the evaluation running now at its next check, as Ctrl-C does (a kernel's interrupt
  /// or shutdown request).
  public static func stopEvaluation() { Interruption.request() }

  /// Runs `body` as interruptible work: Ctrl-C during it requests an interrupt instead of
  /// cancelling a prompt. Clears pending requests before and after.
  public static func runEvaluation<R>(_ body: () -> R) -> R {
    Interruption.clear()
    presses.store(0, ordering: .relaxed)
    busy.store(true, ordering: .relaxed)
    defer {
      busy.store(false, ordering: .relaxed)
      Interruption.clear()
    }
    return Interruption.interruptible(body)
  }
}

// How long work reports while it runs. The host chooses (the REPL and `lebm` scripts on a
// terminal: a line redrawn in place; pipes, files and pages: the summary lines alone; the Jupyter
// kernel: a text line per epoch); `train` asks. The line itself follows tqdm's conventions and is a
// pure function of counts and times (ProgressLine.format).
import Engine
import Support

/// How `train` reports progress: the host's ``Host/progress``.
public enum ProgressDisplay {
  /// Only the summary line every `every` epochs (pipes, files, notebook pages).
  case summaries
  /// The summaries, and a line redrawn in place at most ``ProgressLine/interval`` apart: `draw`
  /// gets `\r`, the line and an erase-to-end (or just `\r` and the erase, to remove it) and writes
  /// them straight to the terminal, not into the output a page keeps. `width` is the terminal's.
  case live(width: Int, draw: (String) -> Void)
  /// A summary line after every epoch, whatever `every` says (unless 0): hosts that show text as
  /// it arrives but cannot redraw a line (the Jupyter kernel).
  case perEpoch
}

/// tqdm's progress line: `37%|███▋      | 370/1000 [00:04<00:07, 88.1 it/s, loss_g=0.41, loss_e=-0.02]`.
public enum ProgressLine {
  /// The least time between two redraws, in seconds (ten a second at most).
  public static let interval = 0.1

  /// The line for `done` of `total` steps after `elapsed` seconds, with `values` (name, value)
  /// after the rate; at most `width - 1` characters (the terminal must not wrap it, or `\r`
  /// could not redraw it).
  public static func format(done: Int, total: Int, elapsed: Double, values: [(String, Double)] = [], width: Int = 80) -> String {
    let total = max(total, 1), done = min(max(done, 0), total)
    let fraction = Double(done) / Double(total)
    let percent = Int((fraction * 100).rounded(.down))
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let remaining = rate > 0 ? clock(Double(total - done) / rate) : "?"
    var line = pad("\(percent)%", 4) + "|" + bar(fraction, width: 10) + "| \(done)/\(total) [\(clock(elapsed))<\(remaining), \(rateText(rate))"
    for (name, value) in values { line += ", \(name)=\(formatScalar(Float(value)))" }
    line += "]"
    let limit = max(width - 1, 20)
    return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
  }

  /// A bar of `width` cells, filled in eighths: `███▋      ` for 0.37 of 10.
  static func bar(_ fraction: Double, width: Int) -> String {
    let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded(.down))
    let full = eighths / 8, part = eighths % 8
    let partial = part > 0 ? String(Array(" ▏▎▍▌▋▊▉")[part]) : ""
    return String(repeating: "█", count: full) + partial + String(repeating: " ", count: width - full - (part > 0 ? 1 : 0))
  }

  /// `mm:ss`, or `h:mm:ss` from an hour.
  static func clock(_ seconds: Double) -> String {
    let s = Int(max(0, seconds).rounded(.down))
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(two(s / 60)):\(two(s % 60))"
  }

  /// `88.1 it/s`, or `2.50 s/it` when slower than one a second; `? it/s` before the first step.
  static func rateText(_ rate: Double) -> String {
    guard rate > 0 else { return "? it/s" }
    if rate < 1 { return "\(decimals(1 / rate, 2)) s/it" }
    return "\(decimals(rate, rate >= 100 ? 0 : rate >= 10 ? 1 : 2)) it/s"
  }

  static func decimals(_ x: Double, _ places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let n = Int((x * scale).rounded())
    guard places > 0 else { return "\(n)" }
    let whole = n / Int(scale), frac = String(n % Int(scale))
    return "\(whole)." + String(repeating: "0", count: places - frac.count) + frac
  }

  static func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
}

/// One run's live line: redraws at most every ``ProgressLine/interval`` seconds, and clears it.
final class LiveProgress {
  let width: Int
  let draw: (String) -> Void
  let clock: () -> Double
  let start: Double
  private var lastDraw = -Double.infinity
  private var shown = false

  /// `clock` reads seconds (the monotonic clock; tests pass their own).
  init(width: Int, clock: @escaping () -> Double = monotonicSeconds, draw: @escaping (String) -> Void) {
    self.width = width
    self.draw = draw
    self.clock = clock
    self.start = clock()
  }

  /// Step `done` of `total` finished; redraws when the interval has passed or at the end.
  func update(done: Int, total: Int, values: @autoclosure () -> [(String, Double)]) {
    let now = clock()
    guard now - lastDraw >= ProgressLine.interval || done == total else { return }
    lastDraw = now
    draw("\r" + ProgressLine.format(done: done, total: total, elapsed: now - start, values: values(), width: width) + "\u{1B}[K")
    shown = true
  }

  /// Removes the line (before a summary line is written, and at the end).
  func clear() {
    guard shown else { return }
    draw("\r\u{1B}[K")
    shown = false
  }
}

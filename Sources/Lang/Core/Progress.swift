// How long work reports while it runs. The host chooses (the REPL and `lebm` scripts on a
// terminal: a line redrawn in place; pipes, files and pages: the summary lines alone; the Jupyter
// kernel: a display it replaces in place); `train` asks. The line itself follows tqdm's conventions
// and is a pure function of counts and times (ProgressLine.format).
import Engine
import Glibc
import Support

/// How `train` reports progress: the host's ``Host/progress``.
public enum ProgressDisplay {
  /// Only the summary line every `every` epochs (pipes, files, notebook pages).
  case summaries
  /// The summaries, and a line redrawn in place at most ``ProgressLine/interval`` apart: `draw`
  /// gets `\r`, the line and an erase-to-end (or just `\r` and the erase, to remove it) and writes
  /// them straight to the terminal, not into the output a page keeps. `width` is the terminal's.
  /// The line is removed before each summary line and at the end.
  case live(width: Int, draw: (String) -> Void)
  /// The summaries, and a display the host replaces in place, apart from the text output (a
  /// Jupyter output with a display id). `open` is called once per run and gives the run's
  /// updater, which gets the bare line (no escapes) at most `interval` seconds apart, the last
  /// step's line whatever the interval, and, when the run stops early (Ctrl-C, an error), the line
  /// as the run left it: the display stays, finished, and is not removed.
  case updating(interval: Double, width: Int, open: () -> (String) -> Void)
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

/// One run's progress under the host's ``ProgressDisplay``: a terminal line redrawn at most every
/// ``ProgressLine/interval`` seconds and removed, or a display updated in place and finished.
final class LiveProgress {
  let width: Int
  let interval: Double
  let clock: () -> Double
  let start: Double
  /// Shows a line (on a terminal: `\r`, the line, erase to the end).
  private let show: (String) -> Void
  /// Removes the line (a terminal); nil for a display, which stays when the run ends.
  private let remove: (() -> Void)?
  private var lastDraw = -Double.infinity
  private var shown = false
  /// The last step, when a display did not show it (the interval had not passed).
  private var undrawn: (done: Int, total: Int, time: Double, values: () -> [(String, Double)])?

  /// A terminal line: `draw` gets `\r`, the line and an erase-to-end, or `\r` and the erase.
  /// `clock` reads seconds (the monotonic clock; tests pass their own).
  convenience init(width: Int, clock: @escaping () -> Double = monotonicSeconds, draw: @escaping (String) -> Void) {
    self.init(width: width, interval: ProgressLine.interval, clock: clock,
              show: { draw("\r" + $0 + "\u{1B}[K") }, remove: { draw("\r\u{1B}[K") })
  }

  init(width: Int, interval: Double, clock: @escaping () -> Double = monotonicSeconds,
       show: @escaping (String) -> Void, remove: (() -> Void)?) {
    self.width = width
    self.interval = interval
    self.show = show
    self.remove = remove
    self.clock = clock
    self.start = clock()
  }

  /// The run's progress under `display`, or nil for ``ProgressDisplay/summaries``.
  static func make(_ display: ProgressDisplay, clock: @escaping () -> Double = monotonicSeconds) -> LiveProgress? {
    switch display {
    case .summaries: return nil
    case .live(let width, let draw): return LiveProgress(width: width, clock: clock, draw: draw)
    case .updating(let interval, let width, let open):
      return LiveProgress(width: width, interval: interval, clock: clock, show: open(), remove: nil)
    }
  }

  /// Step `done` of `total` finished; redraws when the interval has passed or at the end.
  func update(done: Int, total: Int, values: @escaping @autoclosure () -> [(String, Double)]) {
    let now = clock()
    guard now - lastDraw >= interval || done == total else {
      if remove == nil { undrawn = (done, total, now, values) }  // for finish()
      return
    }
    lastDraw = now
    undrawn = nil
    show(line(done, total, now, values()))
    shown = true
  }

  private func line(_ done: Int, _ total: Int, _ now: Double, _ values: [(String, Double)]) -> String {
    ProgressLine.format(done: done, total: total, elapsed: now - start, values: values, width: width)
  }

  /// Before other output: removes a terminal's line (a display stays where it is).
  func clear() {
    guard shown, let remove else { return }
    remove()
    shown = false
  }

  /// The run is over (finished, interrupted or failed): removes a terminal's line; brings a
  /// display up to the last step and leaves it.
  func finish() {
    guard remove == nil else { return clear() }
    if let u = undrawn { show(line(u.done, u.total, u.time, u.values())) }
    undrawn = nil
  }
}

/// `train`'s summary line, its numbers at fixed widths so that successive lines line up:
/// `epoch  3/20  step  30  loss_g=  0.4123 loss_e= -0.0234 en_pos=  1.2000 en_neg=  1.2234  (4 s)`.
public enum EpochLine {
  /// The line after `epoch` of `epochs` at the model's step `step`; `lastStep` is the step the
  /// run ends at (it sets the step's width). `values` are (name, value), each shown by ``number(_:)``.
  public static func format(epoch: Int, epochs: Int, step: Int, lastStep: Int, values: [(String, Double)], seconds: Double) -> String {
    func padded(_ n: Int, like widest: Int) -> String { ProgressLine.pad(String(n), String(max(widest, n)).count) }
    var line = "epoch \(padded(epoch, like: epochs))/\(epochs)  step \(padded(step, like: lastStep))"
    if !values.isEmpty { line += "  " + values.map { "\($0.0)=\(number($0.1))" }.joined(separator: " ") }
    return line + "  (\(Int(max(0, seconds).rounded(.down))) s)"
  }

  /// The width of every number in the line.
  public static let width = 8

  /// `x` right-aligned in ``width`` characters: four decimals (`  0.4123`, ` -0.0234`) while
  /// they fit (`812.3457`), fewer for larger values (`1234.568`, `-98765.4`), then powers of ten
  /// (`1.23e+09`).
  public static func number(_ x: Double) -> String {
    func fit(_ s: String) -> String { ProgressLine.pad(s, width) }
    if x.isNaN { return fit("nan") }
    if x.isInfinite { return fit(x > 0 ? "inf" : "-inf") }
    for places in stride(from: 4, through: 0, by: -1) where abs(x) < 1e12 {
      var s = ProgressLine.decimals(abs(x), places)
      if x < 0, s.contains(where: { $0 != "0" && $0 != "." }) { s = "-" + s }  // never "-0.0000"
      if s.count <= width { return fit(s) }
    }
    var exponent = Int(log10(abs(x)).rounded(.down))
    var mantissa = abs(x) / pow(10, Double(exponent))
    if (mantissa * 100).rounded() >= 1000 { mantissa /= 10; exponent += 1 }
    let e = exponent < 0 ? "-" + ProgressLine.pad(String(-exponent), 2).replacingSpaces("0") : "+" + ProgressLine.pad(String(exponent), 2).replacingSpaces("0")
    return fit((x < 0 ? "-" : "") + ProgressLine.decimals(mantissa, 2) + "e" + e)
  }
}

extension String {
  fileprivate func replacingSpaces(_ c: Character) -> String { String(map { $0 == " " ? c : $0 }) }
}

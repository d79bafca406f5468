// The page of `diagnose(m, data, "page.png")`: one panel per check, its value against the bands
// where it is ok, warns and fails.
import Engine

/// One check as the page draws it.
public struct DiagnosisRow: Sendable {
  public var name: String
  /// "ok", "warn", "fail" or "n/a".
  public var verdict: String
  public var value: Double, warnAt: Double, failAt: Double
  public init(name: String, verdict: String, value: Double, warnAt: Double, failAt: Double) {
    self.name = name; self.verdict = verdict; self.value = value; self.warnAt = warnAt; self.failAt = failAt
  }
}

extension Figure {
  /// The diagnosis page: for each check a panel whose log y axis is the value over its warn
  /// threshold, on green (ok, below 1), orange (warn) and red (fail, from fail / warn) bands, with
  /// the value as a black square. A check that does not apply shows its bands and says so. Values
  /// at or below 0 (a posterior that did better at K⁺ than at 4K⁺) sit on the bottom edge.
  public static func diagnosisPage(_ rows: [DiagnosisRow], title: String = "diagnosis") throws -> Figure {
    guard !rows.isEmpty else { throw PlotError("diagnosis", "no checks to draw") }
    let bottom = 1e-3
    var panels: [Panel] = []
    for r in rows {
      let failRatio = r.failAt / r.warnAt
      let ratio = r.value / r.warnAt
      let top = Swift.max(10 * failRatio, ratio.isFinite ? 2 * ratio : 0, 10)
      let x = [0.0, 1.0]
      var layers: [PlotLayer] = [
        .band(try BandLayer(x: x, lower: [bottom, bottom], upper: [1, 1], color: .green, alpha: 0.25, name: "ok")),
        .band(try BandLayer(x: x, lower: [1, 1], upper: [failRatio, failRatio], color: .orange, alpha: 0.3, name: "warn")),
        .band(try BandLayer(x: x, lower: [failRatio, failRatio], upper: [top, top], color: .red, alpha: 0.25, name: "fail")),
      ]
      let applies = r.verdict != "n/a"
      if applies {
        let y = ratio.isFinite ? Swift.max(ratio, bottom) : top
        layers.append(.scatter(try ScatterLayer(x: [0.5], y: [y], coloring: .single(.black), size: 12, alpha: 1, marker: .square)))
      }
      panels.append(Panel(
        title: "\(r.name): \(r.verdict)",
        xLabel: applies ? "value \(formatScalar(Float(r.value))); warns at \(formatScalar(Float(r.warnAt)))" : "does not apply",
        yLabel: "value / warn threshold", layers: layers, xLimits: 0...1, yLimits: bottom...top, logY: true,
        grid: false, legend: false))
    }
    return Figure(panels: panels, columns: Swift.min(4, rows.count), panelWidth: 300, panelHeight: 300, title: title)
  }
}

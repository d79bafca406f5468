// diagnose's page: a panel per check, drawn in every format, with a value off the axis kept on it.
import Testing

@testable import Plot

@Test func diagnosisPageHasAPanelPerCheck() throws {
  let rows = [
    DiagnosisRow(name: "short_run_gap", verdict: "fail", value: 400, warnAt: 5, failAt: 20),
    DiagnosisRow(name: "posterior", verdict: "ok", value: -0.05, warnAt: 1, failAt: 3),
    DiagnosisRow(name: "energy_gap", verdict: "n/a", value: 0, warnAt: 1, failAt: 3),
    DiagnosisRow(name: "weights", verdict: "ok", value: 1e-5, warnAt: 0.1, failAt: 0.5),
  ]
  let f = try Figure.diagnosisPage(rows)
  #expect(f.panels.count == 4 && f.columns == 4)
  #expect(f.panels.map(\.title) == ["short_run_gap: fail", "posterior: ok", "energy_gap: n/a", "weights: ok"])
  // Every panel shows its value against the bands on a log axis; a check that does not apply has no marker.
  #expect(f.panels.allSatisfy { $0.logY })
  #expect(f.panels.map(\.layers.count) == [4, 4, 3, 4])
  // The axis reaches past a large value, and a value at or below 0 sits on the bottom edge.
  let top = try #require(f.panels[0].yLimits).upperBound
  #expect(top >= 400 / 5)
  for format in [FigureFormat.png, .svg, .pdf] {
    let r = try f.render(format: format)
    #expect(r.plotAreas.count == 4)
  }
  #expect(throws: PlotError.self) { try Figure.diagnosisPage([]) }
}

// The training statistics figure: the smoothing said once, robust y ranges that a spike does not
// set, and log axes with readable ticks inside one decade.
import Foundation
import Testing

@testable import Plot

@Test func robustLimitsLeaveOutASpike() throws {
  // A loss with a spike at step 0: the range follows the other values.
  let values = [1000.0] + (1...299).map { 1 + Double($0 % 10) / 10 }
  let r = try #require(robustLimits(values, log: false))
  #expect(r.upperBound < 2.1 && r.lowerBound > 0.9)
  let lr = try #require(robustLimits(values, log: true))
  #expect(lr.upperBound < 2.2 && lr.lowerBound > 0.9)
  // Non-finite values and, on a log axis, values ≤ 0 are left out; too few values: no limits.
  #expect(robustLimits([1, .nan, 2], log: false) == nil)
  #expect(robustLimits([-1, 0, 1, 2], log: true) == nil)
  #expect(robustLimits([3, 3, 3, 3], log: false) == nil)
}

@Test func trainingStatsSayTheSmoothingOnce() throws {
  let steps = (0..<400).map(Double.init)
  let spike = [500.0] + steps.dropFirst().map { 1 + 0.1 * sin($0) }
  let stats = [
    TrainingStat(name: "$L_G$ generator loss", steps: steps, values: spike),
    TrainingStat(name: "$\\|z^-\\|$ prior chains' norm", steps: steps, values: steps.map { 2 + cos($0) }),
  ]
  let fig = try Figure.trainingStats(stats, title: "training", robust: true)
  #expect(fig.title == "training · EMA 0.6, raw values faint")
  #expect(fig.panels.allSatisfy { $0.xLabel == "step" })
  #expect(fig.panels[0].yLimits.map { $0.upperBound < 2 } == true)
  _ = try fig.render()
  // Without a title the note is the title; raw values only: no note.
  #expect(try Figure.trainingStats(stats).title == "EMA 0.6, raw values faint")
  #expect(try Figure.trainingStats(stats, title: "t", smoothing: 0).title == "t")
  // Statistics smoothed differently say it under each panel.
  let mixed = try Figure.trainingStats(
    [stats[0], TrainingStat(name: "short", values: [1, 2, 3])], title: "t")
  #expect(mixed.title == "t")
  #expect(mixed.panels[0].xLabel == "step (EMA 0.6, raw values faint)" && mixed.panels[1].xLabel == "step")
  // Not robust: the data's own range.
  #expect(try Figure.trainingStats(stats).panels[0].yLimits == nil)
}

@Test func logTicksInsideOneDecade() {
  #expect(Ticks.log(1.2, 2.9) == [1.5, 2, 2.5])
  #expect(Ticks.log(0.01, 50) == [0.01, 0.1, 1, 10])
}

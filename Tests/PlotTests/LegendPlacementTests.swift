// Legend placement: by default the corner whose box covers the fewest data points and line samples;
// a named corner is kept.
import PNG
import Testing

@testable import Plot

@Test func bestCornerCoversTheFewestPoints() {
  let rect = Rect(x: 0, y: 0, width: 200, height: 100)
  // Points crowd the top right and the top left; the bottom left has one, the bottom right none.
  var points = (0..<50).map { Point(180 + Double($0 % 10), 10 + Double($0 / 10)) }
  points += (0..<20).map { Point(10 + Double($0), 12) }
  points.append(Point(12, 90))
  #expect(LegendPlacement.best(width: 40, height: 20, in: rect, points: points) == .bottomRight)
  // No data anywhere: the first corner, top right.
  #expect(LegendPlacement.best(width: 40, height: 20, in: rect, points: []) == .topRight)
}

@Test func lineSamplesCoverTheSegmentsBetweenVertices() {
  // A two-point line across the plot still counts where it passes.
  let s = LegendPlacement.samples(along: [Point(0, 0), Point(100, 0)])
  #expect(s.count >= 30)
  #expect(s.allSatisfy { $0.y == 0 && $0.x >= 0 && $0.x <= 100 })
  // A very long line is thinned, not sampled point by point.
  let long = (0..<1_000_000).map { Point(Double($0) / 10_000, 0) }
  #expect(LegendPlacement.samples(along: long).count < 5 * LegendPlacement.maxSamples)
}

/// How many legend-frame pixels (0xBBBBBB) lie in each quadrant of `area`: [top left, top right,
/// bottom left, bottom right].
func legendFrameByQuadrant(_ img: PNGImage, _ area: Rect) -> [Int] {
  var n = [0, 0, 0, 0]
  for y in Int(area.minY)..<Int(area.maxY) {
    for x in Int(area.minX)..<Int(area.maxX) where near(color(img, x, y), Color(hex: 0xBBBBBB), 3) {
      n[(y < Int(area.midY) ? 0 : 2) + (x < Int(area.midX) ? 0 : 1)] += 1
    }
  }
  return n
}

@Test func legendMovesOffTheData() throws {
  // Rising lines fill the top right and the bottom left: the legend goes top left.
  let x = (0..<100).map(Double.init)
  let fig = try Figure.lines(
    [try LineSeries(name: "rising", x: x, y: x), try LineSeries(name: "also rising", x: x, y: x.map { $0 * 0.9 })],
    title: "legend placement")
  let r = try fig.render()
  let img = try r.canvas.image()
  let q = legendFrameByQuadrant(img, r.plotAreas[0])
  #expect(q[0] > 40 && q[1] == 0 && q[3] == 0, "\(q)")
  // Falling lines: top left is taken, so top right.
  let falling = try Figure.lines(
    [try LineSeries(name: "falling", x: x, y: x.map { 100 - $0 })], title: "legend placement")
  let r2 = try falling.render()
  let q2 = legendFrameByQuadrant(try r2.canvas.image(), r2.plotAreas[0])
  #expect(q2[1] > 40 && q2[0] == 0, "\(q2)")
  // A corner asked for is kept, data or not.
  var forced = fig
  forced.panels[0].legendPosition = .topRight
  let r3 = try forced.render()
  let q3 = legendFrameByQuadrant(try r3.canvas.image(), r3.plotAreas[0])
  #expect(q3[1] > 40 && q3[0] == 0, "\(q3)")
}

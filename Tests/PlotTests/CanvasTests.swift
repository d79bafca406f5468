// Canvas: shapes, blending, clipping, text, and the helpers behind axes (ticks, colormaps).
import PNG
import Testing

@testable import Plot

@Test func canvasFillAndBlend() throws {
  var c = try Canvas(width: 20, height: 10)
  c.fill(Rect(x: 2, y: 2, width: 4, height: 4), color: .red)
  #expect(c.color(x: 3, y: 3) == .red)
  #expect(c.color(x: 7, y: 3) == .white)
  c.fill(Rect(x: 10, y: 0, width: 5, height: 5), color: Color.black.opacity(0.5))
  #expect(near(c.color(x: 12, y: 2), Color(128, 128, 128), 1))
  // A half-covered pixel blends by area.
  c.fill(Rect(x: 0, y: 8.5, width: 1, height: 1.5), color: .black)
  #expect(near(c.color(x: 0, y: 8), Color(128, 128, 128), 1))
}

@Test func canvasClipping() throws {
  var c = try Canvas(width: 20, height: 20)
  c.clip = Rect(x: 5, y: 5, width: 10, height: 10)
  c.fill(Rect(x: 0, y: 0, width: 20, height: 20), color: .blue)
  #expect(c.color(x: 4, y: 10) == .white)
  #expect(c.color(x: 5, y: 10) == .blue)
  #expect(c.color(x: 15, y: 10) == .white)
  c.line(from: Point(0, 2), to: Point(20, 2), color: .black, lineWidth: 3)
  #expect(c.color(x: 10, y: 2) == .white)
}

@Test func canvasLinesCirclesMarkers() throws {
  var c = try Canvas(width: 40, height: 40)
  c.line(from: Point(2, 10.5), to: Point(38, 10.5), color: .black, lineWidth: 1)
  #expect(c.color(x: 20, y: 10) == .black)
  #expect(c.color(x: 20, y: 12) == .white)
  // Anti-aliasing: a diagonal line leaves partly covered (gray) pixels.
  c.line(from: Point(0, 20), to: Point(40, 30), color: .black, lineWidth: 1.5)
  let grays = (20..<32).map { c.color(x: 20, y: $0) }.filter { $0.r > 0 && $0.r < 255 }
  #expect(!grays.isEmpty)
  c.fillCircle(center: Point(30.5, 5.5), radius: 3, color: .green)
  #expect(c.color(x: 30, y: 5) == .green)
  #expect(c.color(x: 36, y: 5) == .white)
  c.marker(.cross, at: Point(5.5, 35.5), size: 8, color: .red)
  #expect(c.color(x: 5, y: 35) == .red)
  c.marker(.square, at: Point(15, 35), size: 6, color: .blue)
  #expect(c.color(x: 13, y: 33) == .blue)
  c.fillPolygon([Point(20, 32), Point(30, 32), Point(25, 40)], color: .black)
  #expect(c.color(x: 25, y: 34) == .black)
}

@Test func canvasTextHorizontalAndRotated() throws {
  var c = try Canvas(width: 60, height: 60)
  c.text("E", at: Point(2, 2))
  // 'E' has a full top bar: row 0, columns 0…4.
  #expect((2..<7).allSatisfy { c.color(x: $0, y: 2) == .ink })
  #expect(c.color(x: 7, y: 2) == .white)
  #expect(Canvas.textSize("abc").width == 17 && Canvas.textSize("abc", scale: 2).height == 16)
  // Rotated: the top bar becomes a vertical bar on the left, read bottom to top.
  c.text("E", at: Point(30, 30), rotated: true)
  #expect((0..<5).allSatisfy { c.color(x: 30, y: 30 + 4 - $0) == .ink })
  c.text("E", at: Point(40, 2), scale: 2)
  #expect(c.color(x: 40, y: 2) == .ink && c.color(x: 41, y: 3) == .ink && c.color(x: 49, y: 2) == .ink)
}

@Test func fontCoversPrintableASCII() {
  let f = Font8x8()
  for code in 33...126 {
    let ch = Character(Unicode.Scalar(UInt8(code)))
    let ink = (0..<8).contains { y in (0..<8).contains { x in f.ink(ch, x: x, y: y) } }
    #expect(ink, "glyph \(code) is blank")
  }
  #expect(!(0..<8).contains { y in (0..<8).contains { x in f.ink(" ", x: x, y: y) } })
}

@Test func niceTicks() {
  #expect(Ticks.linear(0, 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1] || Ticks.linear(0, 1).count == 6)
  #expect(Ticks.linear(-3, 3, target: 6) == [-3, -2, -1, 0, 1, 2, 3])
  #expect(Ticks.step(span: 97, target: 5) == 20)
  #expect(Ticks.step(span: 0.9, target: 5) == 0.2)
  #expect(Ticks.step(span: 4000, target: 4) == 1000)
  #expect(Ticks.labels([0, 0.5, 1]) == ["0.0", "0.5", "1.0"])
  #expect(Ticks.labels([-2, 0, 2]) == ["-2", "0", "2"])
  #expect(Ticks.labels([0, 0.25, 0.5]) == ["0.00", "0.25", "0.50"])
  #expect(Ticks.labels([0, 200000, 400000]) == ["0", "2e5", "4e5"])
  #expect(Ticks.log(0.01, 50) == [0.01, 0.1, 1, 10])
  #expect(Ticks.labels([0.01, 0.1, 1, 10], log: true) == ["0.01", "0.1", "1", "10"])
  #expect(Ticks.format(-0.0001, decimals: 2) == "0.00")
}

@Test func colormapEnds() {
  #expect(Colormap.viridis.color(at: 0) == Color(hex: 0x440154))
  #expect(Colormap.viridis.color(at: 1) == Color(hex: 0xFDE725))
  #expect(Colormap.magma.color(at: 1) == Color(hex: 0xFCFDBF))
  #expect(Colormap.coolwarm.color(at: 0.5) == Color(hex: 0xDDDDDD))
  #expect(Colormap.named("Magma") == .magma)
  #expect(Palette.color(10) == Palette.color(0))
}

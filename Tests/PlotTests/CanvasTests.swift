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

/// The ink (non-white pixels) of `text` drawn alone at size 24 on a 200×60 canvas, as bytes.
func rendered(_ text: String) throws -> [UInt8] {
  let c = try Canvas(width: 200, height: 60)
  c.text(text, at: Point(4, 4), size: 24)
  return try c.image().pixels
}

@Test func canvasTextHorizontalAndRotated() throws {
  let c = try Canvas(width: 120, height: 120)
  c.text("E", at: Point(10, 10), size: 20)
  // The box starts at the anchor: ink right of and below (10, 10), none above or left of it.
  let img = try c.image()
  #expect(inked(img, x: 10..<30, y: 10..<35) > 30)
  #expect(inked(img, x: 0..<10, y: 0..<120) == 0 && inked(img, x: 0..<120, y: 0..<10) == 0)
  // Metrics: wider text measures wider, a line's height is the font's, whatever the letters.
  let (w1, h1) = c.textSize("MMD", size: 20)
  let (w2, h2) = c.textSize("MMD²", size: 20)
  #expect(w2 > w1 && h1 == h2 && h1 > 20 && h1 < 30)
  #expect(c.textSize("MMD", size: 40).width > 1.9 * w1)
  // Rotated: a tall, narrow box reading upwards, right of and above its anchor's end.
  let r = try Canvas(width: 120, height: 120)
  r.text("EEEE", at: Point(10, 110), size: 20, vertical: .end, rotated: true)
  let ri = try r.image()
  #expect(inked(ri, x: 10..<40, y: 40..<110) > 60)
  #expect(inked(ri, x: 40..<120, y: 0..<120) == 0)
}

@Test func fontDrawsTheMethodsSymbols() throws {
  // A character the font lacks draws as the same empty box as any other missing one; every symbol the
  // figures use must draw its own, different glyph.
  let tofu = try rendered("\u{E000}")
  let symbols = ["σ", "α", "β", "ε", "μ", "∇", "‖", "²", "⁺", "⁻", "₀", "∝", "−", "±"]
  var seen: [[UInt8]] = [tofu]
  for s in symbols {
    let px = try rendered(s)
    #expect(px != tofu, "\(s) draws as a missing glyph")
    #expect(!seen.contains(px), "\(s) draws like another symbol")
    seen.append(px)
  }
}

@Test func canvasScalesAndFormats() throws {
  // Scale 2: twice the pixels for the same layout.
  let c = try Canvas(width: 50, height: 20, scale: 2)
  c.fill(Rect(x: 10, y: 5, width: 10, height: 5), color: .red)
  let img = try c.image()
  #expect(img.width == 100 && img.height == 40)
  #expect(c.color(x: 20, y: 10) == .red && c.color(x: 19, y: 10) == .white && c.color(x: 39, y: 19) == .red)
  #expect(throws: PlotError.self) { _ = try Canvas(width: 10000, height: 10, scale: 2) }
  #expect(throws: PlotError.self) { _ = try Canvas(width: 10, height: 10, scale: .nan) }
  #expect(try FigureFormat.of(path: "a/b.SVG") == .svg && (try FigureFormat.of(path: "x.pdf")) == .pdf)
  let e = #expect(throws: PlotError.self) { _ = try FigureFormat.of(path: "out.v2/figure.jpeg") }
  #expect(e?.description == "figure: cannot tell the format of 'out.v2/figure.jpeg': the name must end in .png, .svg or .pdf (got .jpeg)")
  #expect(throws: PlotError.self) { _ = try FigureFormat.of(path: "dir.png/noext") }
}

@Test func svgIDsAreRenumberedInOrder() {
  let svg = Array(##"<a id="image77"/><b xlink:href="#image77"/><c id="clip3" style="clip-path:url(#clip3)"/>"##.utf8)
  #expect(
    String(decoding: SVGIDs.renumbered(svg), as: UTF8.self)
      == ##"<a id="lebm1"/><b xlink:href="#lebm1"/><c id="lebm2" style="clip-path:url(#lebm2)"/>"##)
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
  // A log axis inside one decade takes linear ticks; each label shows its tick exactly.
  #expect(Ticks.labels([1.5, 2, 2.5, 3, 3.5], log: true) == ["1.5", "2", "2.5", "3", "3.5"])
  #expect(Ticks.labels([0.8, 1, 1.2, 1.4], log: true) == ["0.8", "1", "1.2", "1.4"])
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

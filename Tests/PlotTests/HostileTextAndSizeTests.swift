// Hostile text and sizes (issue #23): noncharacters and control characters in text draw as
// U+FFFD instead of blanking the figure; a failed cairo context is an error, never a blank file
// announced as written; very long titles are cut with few measurements; long line series are
// thinned on images to what the pixels show, with the same picture. No test here times anything.
import Engine
import PNG
import Testing

@testable import Plot

/// The character U+`v` (Swift's string literals refuse noncharacters).
func scalar(_ v: UInt32) -> String { Unicode.Scalar(v).map { String($0) } ?? "?" }

@Test func noncharactersAndControlsBecomeReplacementCharacters() {
  #expect(Canvas.drawable("plain é ∑ 🙂") == "plain é ∑ 🙂")
  let hostile = "a" + scalar(0xFFFE) + "b" + scalar(0xFDD0) + "c" + scalar(0x10FFFF) + "d" + scalar(0x1FFFF)
  #expect(Canvas.drawable(hostile) == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}")
  #expect(Canvas.drawable("x\u{0}y\u{7}z\u{85}") == "x\u{FFFD}y\u{FFFD}z ")
  #expect(Canvas.drawable("two\nlines\tand\r") == "two lines and ")
  let near = scalar(0xFDCF) + scalar(0xFDF0) + "\u{FFFD}"
  #expect(Canvas.drawable(near) == near)
}

@Test func aNoncharacterInATitleDrawsTheFigure() throws {
  func pixels(_ title: String) throws -> PNGImage {
    let fig = try Figure.lines([try LineSeries(y: [1, 2])], title: title)
    return try PNGCodec.decode(try fig.encode(format: .png).bytes)
  }
  let hostile = try pixels("x" + scalar(0xFFFE))
  #expect(hostile.pixels == (try pixels("x\u{FFFD}")).pixels)
  #expect(hostile.pixels != (try pixels("x")).pixels, "the replacement character is drawn")
  #expect(inked(hostile, x: 60..<500, y: 40..<330) > 300, "the line and grid are drawn")
  // SVG and PDF too
  for format in [FigureFormat.svg, .pdf] {
    let fig = try Figure.lines([try LineSeries(y: [1, 2])], title: "x" + scalar(0xFFFE) + scalar(0xFDD0) + scalar(0x10FFFF))
    #expect(try fig.encode(format: format).bytes.count > 1000)
  }
}

@Test func aFailedCairoContextIsAnErrorNotABlankFile() throws {
  for format in FigureFormat.allCases {
    let c = try Canvas(width: 40, height: 30, format: format)
    c.showUncheckedText("x" + scalar(0xFFFE))
    #expect(
      plotError { _ = try c.encoded() }
        == "canvas: cairo failed while drawing the \(format.rawValue) figure: input string not valid UTF-8")
  }
}

@Test func longTitlesAreCutToTheirWidth() throws {
  let c = try Canvas(width: 520, height: 100)
  for n in [10, 1_000, 100_000] {
    let text = String(repeating: "ab ", count: n)
    let t = fit(text, width: 400, size: 16, on: c)
    if n == 10 {
      #expect(t == text)
      continue
    }
    #expect(t.hasSuffix("…"))
    #expect(c.textSize(t, size: 16).width <= 400)
    // the longest cut that fits: one character more does not
    let kept = t.dropLast().count
    let longer = String(text.prefix(kept + 1)) + "…"
    #expect(c.textSize(longer, size: 16).width > 400, "\(kept) characters kept")
  }
  #expect(fit("wide", width: 1, size: 16, on: c) == "")
  // a figure with a 100 000-character title and axis labels renders
  let long = String(repeating: "loss ", count: 20_000)
  var fig = try Figure.lines([try LineSeries(name: long, y: [1, 2, 3])], title: long, xLabel: long, yLabel: long)
  fig.title = long
  #expect(try fig.encode(format: .png).bytes.count > 1000)
}

/// A random walk of `n` steps.
func walk(_ n: Int, seed: UInt64 = 7) -> [Double] {
  var state = seed
  var y = 0.0
  return (0..<n).map { _ in
    state = state &* 6364136223846793005 &+ 1442695040888963407
    y += Double(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
    return y
  }
}

@Test func decimatedLinesLookTheSameAsTheFullLine() throws {
  let ys = walk(20_000)
  let points = ys.enumerated().map { Point(20 + 480 * Double($0.offset) / Double(ys.count), 190 - $0.element / 2) }
  var images: [PNGImage] = []
  for decimate in [false, true] {
    let c = try Canvas(width: 520, height: 380, scale: 1.5)
    c.decimatesLines = decimate
    #expect(c.decimated(points).count <= 16 * c.outputWidth)
    c.polyline(points, color: .blue, lineWidth: 1.5)
    images.append(try c.image())
  }
  let (full, thin) = (images[0], images[1])
  var differing = 0, inkedPixels = 0
  for y in 0..<full.height {
    for x in 0..<full.width {
      let (a, b) = (color(full, x, y), color(thin, x, y))
      if a != .white { inkedPixels += 1 }
      if !near(a, b, 64) { differing += 1 }
    }
  }
  #expect(inkedPixels > 3_000)
  #expect(differing <= 8, "\(differing) of \(inkedPixels) drawn pixels differ")
}

@Test func decimationKeepsEachColumnsExtremesInOrder() throws {
  let c = try Canvas(width: 1, height: 10)
  // 100 points in one strip (a quarter pixel): first, lowest, highest and last are kept, in order
  var path = (0..<100).map { Point(3 + Double($0) / 10_000, Double($0 % 7)) }
  path[40].y = -5
  path[10].y = 50
  path.append(Point(5.5, 1))
  #expect(c.decimated(path) == [path[0], path[10], path[40], path[99], path[100]])
  // a short path, or one that crosses columns at every point, is left as it is
  let short = [Point(1, 1), Point(1.1, 2), Point(1.2, 3)]
  #expect(c.decimated(short) == short)
}

@Test func aMillionPointLineAndALongLossCurveRender() throws {
  let ys = walk(1_000_000)
  let fig = try Figure.lines([try LineSeries(y: ys)], title: "a million steps")
  let png = try PNGCodec.decode(try fig.encode(format: .png).bytes)
  #expect(inked(png, x: 80..<500, y: 40..<320) > 5_000)
  // translucent lines are one path (even where they cross), thinned the same way
  let faint = try Figure.lines([try LineSeries(y: Array(ys.prefix(100_000)), alpha: 0.4)])
  #expect(try fig.encode(format: .png).bytes.count > 1000 && faint.encode(format: .png).bytes.count > 1000)
}

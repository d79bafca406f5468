// MathText: the layout of `$…$` math (runs, sizes, baseline shifts) with a fixed-width measure, its
// fallbacks for malformed math, and the same layout measured and drawn by a canvas.
import PNG
import Testing

@testable import Plot

/// A measure where every character is half the font size wide, so positions are easy to state.
func halfWidth(_ s: String, _ size: Double, _ italic: Bool) -> Double { Double(s.count) * size / 2 }

/// `text` laid out at size 10 with ``halfWidth(_:_:_:)``.
func layout10(_ text: String) -> MathText { MathText(text, size: 10, measure: halfWidth) }

@Test func mathTextPlainTextIsOneRun() {
  let m = layout10("loss_g ^ {x}")
  #expect(m.runs == [MathText.Run(text: "loss_g ^ {x}", size: 10, x: 0, rise: 0, italic: false)])
  #expect(m.width == 60)
}

@Test func mathTextSubscriptIsSmallerAndLowered() {
  let m = layout10("$E_\\alpha(z)$")
  #expect(m.runs.map(\.text) == ["E", "α", "(", "z", ")"])
  #expect(m.runs.map(\.italic) == [true, true, false, true, false])
  let sub = m.runs[1]
  #expect(sub.size == 7)
  #expect(sub.x == 5)
  #expect(abs(sub.rise - -1.8) < 1e-12)
  // After the script the text goes on at full size on the baseline.
  #expect(m.runs[2].x == 8.5 && m.runs[2].rise == 0 && m.runs[2].size == 10)
  #expect(m.width == 8.5 + 15)
}

@Test func mathTextSuperscriptIsRaisedAndMinusIsTypeset() {
  let m = layout10("$\\|z^-\\|$")
  #expect(m.runs.map(\.text) == ["‖", "z", "−", "‖"])
  let sup = m.runs[2]
  #expect(sup.size == 7 && abs(sup.rise - 3.6) < 1e-12 && !sup.italic)
  #expect(m.runs[3].rise == 0 && m.runs[3].x == 5 + 5 + 3.5)
}

@Test func mathTextBothScriptsStartTogether() {
  // x_{ab}^2: the superscript and the subscript start where x ends; the wider one sets the advance.
  let m = layout10("$x_{ab}^2$")
  let sup = m.runs.first { $0.text == "2" }!
  let sub = m.runs.first { $0.text == "ab" }!
  #expect(sup.x == 5 && sub.x == 5)
  #expect(sup.rise > 0 && sub.rise < 0)
  #expect(m.width == 5 + 7)
  // The same with the scripts the other way round.
  #expect(layout10("$x^2_{ab}$").width == 12)
}

@Test func mathTextNestedScriptsShrinkOnce() {
  let m = layout10("$e^{x^2}$")
  let inner = m.runs.first { $0.text == "2" }!
  #expect(inner.size == 5)
  #expect(abs(inner.rise - (3.6 + 0.36 * 7)) < 1e-12)
}

@Test func mathTextGreekSymbolsAndWords() {
  let m = layout10("$\\Gamma\\Delta\\Omega\\nabla\\partial\\cdot\\times\\sim\\approx\\le\\ge\\infty$")
  #expect(m.runs.map(\.text) == ["ΓΔΩ∇∂·×∼≈≤≥∞"])
  #expect(m.runs[0].italic == false)
  let lower = layout10("$\\alpha\\beta\\omega$")
  #expect(lower.runs == [MathText.Run(text: "αβω", size: 10, x: 0, rise: 0, italic: true)])
  let words = layout10("$\\log p + \\exp(x)$")
  #expect(words.runs.map(\.text) == ["log ", "p", " + exp(", "x", ")"])
  #expect(layout10("$\\mathrm{data}_1$").runs.map(\.italic) == [false, false])
}

@Test func mathTextOutsideDollarsStaysLiteral() {
  let m = layout10("loss_g: $x_1$ costs \\$5")
  #expect(m.runs.first?.text == "loss_g: ")
  #expect(m.runs.last?.text == " costs $5")
}

@Test func malformedMathIsDrawnAsWritten() {
  // An unclosed `$`, an unclosed brace, a script with nothing after it: the text as written.
  for s in ["price $5", "$x_{ab$", "$a_$", "$x^}$"] {
    let m = layout10(s)
    #expect(m.runs.count == 1 && !m.runs[0].italic && m.runs[0].rise == 0, "\(s): \(m.runs)")
    #expect(m.runs[0].text == s, "\(s)")
  }
  // `$\$`: the first `$` has no closing one; `\$` is a dollar sign.
  #expect(layout10("$\\$").runs.map(\.text) == ["$$"])
  // An unknown command shows its name.
  #expect(layout10("$\\foo x$").runs.map(\.text) == ["\\foo ", "x"])
  // A backslash at the very end.
  #expect(layout10("$x\\$").runs.count == 1)
}

@Test func mathTextNeverTrapsOnNoise() {
  var rng = SystemRandomNumberGenerator()
  let alphabet = Array("$\\_^{}ab1 -|α")
  for _ in 0..<2000 {
    let s = String((0..<Int.random(in: 0...14, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    let m = layout10(s)
    #expect(m.width >= 0 && m.width.isFinite, "\(s)")
    #expect(m.runs.allSatisfy { $0.size >= 5 }, "\(s)")
  }
}

@Test func cutMathIsClosed() {
  #expect(MathText.closingOpenMath("the prior $E_\\alpha") == "the prior $E_\\alpha$")
  #expect(MathText.closingOpenMath("$x$ and y") == "$x$ and y")
  #expect(MathText.closingOpenMath("costs \\$5") == "costs \\$5")
  #expect(MathText.closingOpenMath("$x\\") == "$x$")
  let canvas = try! Canvas(width: 10, height: 10)
  let long = "energy $E_\\alpha(z) + \\|z\\|^2/2$ over the whole latent plane"
  let cut = fit(long, width: 120, size: 12, on: canvas)
  #expect(cut.hasSuffix("…") && canvas.textSize(cut, size: 12).width <= 120)
}

@Test func canvasMeasuresTheLayoutItDraws() throws {
  let canvas = try Canvas(width: 10, height: 10)
  let plain = canvas.textSize("E_a(z)", size: 20)
  let math = canvas.textSize("$E_a(z)$", size: 20)
  // Same line height; the math drops the underscore and shrinks the a.
  #expect(math.height == plain.height)
  #expect(math.width < plain.width - 5)
  #expect(math.width == canvas.layout("$E_a(z)$", size: 20).width)
}

/// The rows and columns of ink in `img` within `x` (none: empty ranges).
func inkRows(_ img: PNGImage, x: Range<Int>) -> [Int] {
  (0..<img.height).filter { y in x.contains { color(img, $0, y) != .white } }
}

@Test func scriptsAreDrawnRaisedAndLowered() throws {
  // x at size 60 with its baseline at y = 20 + ascent; a script's ink sits above the x (sup) or
  // reaches below the baseline (sub), to the right of the x.
  func draw(_ text: String) throws -> (PNGImage, Double, Double) {
    let c = try Canvas(width: 200, height: 110)
    c.text(text, at: Point(10, 20), size: 60)
    let xWidth = c.textSize("$x$", size: 60).width
    let top = c.lineExtents(size: 60, family: .sans, bold: false).ascent + 20
    return (try c.image(), xWidth, top)
  }
  let (sup, xw, baseline) = try draw("$x^2$")
  let (sub, _, _) = try draw("$x_2$")
  let (base, _, _) = try draw("$x$")
  let right = (10 + Int(xw) + 1)..<200
  let xRows = inkRows(base, x: 0..<200)
  let supRows = inkRows(sup, x: right)
  let subRows = inkRows(sub, x: right)
  #expect(!supRows.isEmpty && !subRows.isEmpty)
  // The superscript's top is above the x's top; the subscript's bottom below the baseline.
  #expect(supRows.min()! < xRows.min()! - 5)
  #expect(Double(subRows.max()!) > baseline + 5)
  #expect(Double(supRows.max()!) < baseline - 5)
}

@Test func figureWithMathTitleRenders() throws {
  let dir = try temporaryDirectory("math")
  defer { removeDirectory(dir) }
  let series = try LineSeries(y: [1, 2, 3])
  let plain = try Figure.lines([series], title: "E_alpha(z)", xLabel: "$z_1$", yLabel: "$E_\\alpha(z)$")
  var math = plain
  math.panels[0].title = "$E_\\alpha(z)$"
  for (name, fig) in [("plain.png", plain), ("math.png", math)] {
    let (r, img) = try roundTrip(fig, dir, name)
    #expect(r.warnings.isEmpty)
    #expect(inked(img, x: 0..<img.width, y: 6..<28) > 30, "\(name): no title")
    _ = try fig.save(to: dir + "/" + name.replacingOccurrences(of: ".png", with: ".svg"))
    _ = try fig.save(to: dir + "/" + name.replacingOccurrences(of: ".png", with: ".pdf"))
  }
  // The math title is narrower than the literal one: the ink spans fewer columns.
  func span(_ img: PNGImage) -> Int {
    let cols = (0..<img.width).filter { x in (6..<28).contains { color(img, x, $0) != .white } }
    return (cols.max() ?? 0) - (cols.min() ?? 0)
  }
  let (_, a) = try roundTrip(plain, dir, "plain.png")
  let (_, b) = try roundTrip(math, dir, "math.png")
  #expect(span(b) < span(a) - 10)
}

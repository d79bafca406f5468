// Panel layout at the sizes plot_panels uses: a colour bar's label keeps its room, and every panel
// of the prior/posterior figure has its x tick labels.
import Engine
import PNG
import Testing

@testable import Plot

/// The chains figure's panel, with the colour-bar label `plot_chains` gives it.
func chainsPanel() throws -> Panel {
  let ext = Extent(square: 3)
  let chains = try langevinChains(chains: 4, steps: 30, stepSize: 0.12, seed: 3)
  let fig = try Figure.langevinChains(
    energy: try ringEnergyGrid(40, ext), extent: ext, chains: chains,
    colorBarLabel: "$E_\\alpha(z) + \\|z\\|^2/(2\\sigma_0^2)$")
  return fig.panels[0]
}

@Test func colorBarLabelKeepsItsRoomInShortPanels() throws {
  let panel = try chainsPanel()
  let canvas = try Canvas(width: 10, height: 10)
  canvas.fontSize = 9 * 100 / 72
  // Cells from a tall single figure down to the short rows of plot_panels with a size: given.
  for (w, h) in [(520, 440), (400, 300), (300, 200), (250, 170), (520, 170)] {
    let cell = Rect(x: 0, y: 0, width: Double(w), height: Double(h))
    let r = PanelRenderer(panel: panel, cell: cell)
    // The bar as the layout places it: under the title, above the x tick labels and axis label.
    let bar = Rect(x: Double(w) - 80, y: 30, width: 12, height: Double(h) - 75)
    #expect(canvas.textSize(panel.colorBarLabel, size: canvas.fontSize).width > bar.height || h > 180, "the short cases need more than the bar")
    let (text, y) = r.colorBarLabel(beside: bar, on: canvas)
    #expect(text == panel.colorBarLabel, "\(w)x\(h): cut to \(text)")
    let half = canvas.textSize(text, size: canvas.fontSize).width / 2
    // Under the title (the bar's top), inside the cell.
    #expect(y - half >= bar.minY && y + half <= cell.maxY, "\(w)x\(h)")
  }
  // Only a label longer than the room is cut.
  let tiny = PanelRenderer(panel: panel, cell: Rect(x: 0, y: 0, width: 200, height: 60))
  #expect(tiny.colorBarLabel(beside: Rect(x: 120, y: 20, width: 12, height: 20), on: canvas).text.hasSuffix("…"))
}

/// Ink in the band under a plot area where its x tick labels go.
func tickLabelInk(_ img: PNGImage, under area: Rect) -> Int {
  let y0 = Int(area.maxY) + 6
  return inked(img, x: Int(area.minX)..<min(Int(area.maxX), img.width), y: y0..<min(y0 + 12, img.height))
}

/// How many separate labels (runs of inked columns apart by 4 or more blank ones) lie in the band
/// under a plot area.
func tickLabelGroups(_ img: PNGImage, under area: Rect) -> Int {
  let y0 = Int(area.maxY) + 6
  var groups = 0
  var blank = 4
  for x in Int(area.minX) - 8..<min(Int(area.maxX) + 8, img.width) {
    let ink = (y0..<min(y0 + 12, img.height)).contains { color(img, x, $0) != .white }
    if ink && blank >= 4 { groups += 1 }
    blank = ink ? 0 : blank + 1
  }
  return groups
}

@Test func everyPriorPosteriorPanelHasXTickLabels() throws {
  var rng = RandomGenerator(seed: 5)
  let prior = try Tensor.randn([300, 2], using: &rng)
  let post = try Tensor(shape: [200, 2], scalars: try Tensor.randn([200, 2], using: &rng).scalars.map { $0 * 0.5 + 1 })
  var figures = [try Figure.priorPosterior(prior: prior, posterior: post)]
  var small = figures[0]
  try small.resize(width: 400, height: 160)
  figures.append(small)
  // Codes over [−2.9, 4.5] in a narrow panel: a step of 5 would leave only the 0 labelled.
  let even = try Tensor(shape: [200, 2], scalars: (0..<400).map { Float(-2.9 + 5.8 * Double($0 / 2) / 199) })
  let wide = try Tensor(shape: [200, 2], scalars: (0..<400).map { Float(-1 + 5.5 * Double($0 / 2) / 199) })
  var narrow = try Figure.priorPosterior(prior: even, posterior: wide)
  try narrow.resize(width: 400, height: 180)
  figures.append(narrow)
  // As plot_panels lays them out: beside the chains, in cells of the widest panel.
  figures.append(Figure(panels: figures[0].panels + [try chainsPanel()], columns: 3, panelWidth: 520, panelHeight: 440))
  for (k, fig) in figures.enumerated() {
    let r = try fig.render()
    let img = try r.canvas.image()
    for (i, area) in r.plotAreas.enumerated() {
      #expect(tickLabelInk(img, under: area) > 20, "figure \(k), panel \(i): no x tick labels")
    }
    for (i, area) in r.plotAreas.enumerated() where i < 2 {
      #expect(tickLabelGroups(img, under: area) >= 2, "figure \(k), panel \(i): fewer than two x tick labels")
    }
  }
}

@Test func linearTicksAreAtLeastTwo() {
  // Split in two, a span of 7.4 takes a step of 5 and only 0 lies inside; 2 gives four ticks.
  #expect(Ticks.linear(-2.9, 4.5, target: 2) == [-2, 0, 2, 4])
  #expect(Ticks.linear(0.3, 1.7, target: 1) == [0.5, 1, 1.5])
  #expect(Ticks.smallerStep(5) == 2 && Ticks.smallerStep(2) == 1 && Ticks.smallerStep(1) == 0.5)
  #expect(Ticks.linear(-3, 3, target: 6) == [-3, -2, -1, 0, 1, 2, 3])
}

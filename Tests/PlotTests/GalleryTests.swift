// The gallery: every figure kind written to one folder, for people to look at.
//
//   LEBM_GALLERY=/tmp/gallery swift test --filter PlotTests.gallery
//
// Without LEBM_GALLERY the pictures go to a temporary folder and are only checked for size.
import Engine
import Foundation
import PNG
import Plot
import Testing

/// Every gallery picture as (file name, figure).
func galleryFigures() throws -> [(String, Figure)] {
  var figs: [(String, Figure)] = []
  let (ring, groups) = try ringSamples(600, seed: 1)
  figs.append(
    (
      "scatter_groups.png",
      try Figure.scatter(
        ring, title: "8 Gaussians by mode", xLabel: "x1", yLabel: "x2",
        coloring: .groups(groups, names: (0..<8).map { "mode \($0)" }), size: 4, alpha: 0.7)
    ))
  let r = ring.scalars
  var radius: [Double] = []
  for i in stride(from: 0, to: r.count, by: 2) {
    let a = Double(r[i])
    let b = Double(r[i + 1])
    radius.append((a * a + b * b).squareRoot())
  }
  figs.append(
    (
      "scatter_values.png",
      try Figure.scatter(
        ring, title: "coloured by radius", xLabel: "x1", yLabel: "x2",
        coloring: .values(radius, colormap: .viridis), size: 5, alpha: 0.9, colorBarLabel: "|x|")
    ))

  let steps = (0..<200).map(Double.init)
  figs.append(
    (
      "lines.png",
      try Figure.lines(
        [
          try LineSeries(name: "sin", x: steps, y: steps.map { sin($0 / 20) }),
          try LineSeries(name: "cos", x: steps, y: steps.map { cos($0 / 20) }),
          try LineSeries(
            name: "damped", x: steps, y: steps.map { exp(-$0 / 80) * sin($0 / 7) }, lineWidth: 2.5),
        ], title: "three series", xLabel: "t", yLabel: "value")
    ))
  figs.append(
    (
      "lines_log.png",
      try Figure.lines(
        [
          try LineSeries(name: "loss_e", x: steps, y: steps.map { 2 * exp(-$0 / 40) + 0.01 }),
          try LineSeries(name: "loss_g", x: steps, y: steps.map { 50 / ($0 + 1) + 0.05 * (1 + sin($0 / 5)) }),
        ], title: "losses, log y", xLabel: "step", yLabel: "loss", logY: true)
    ))

  let ext = Extent(square: 3)
  let wave = try Tensor(
    shape: [60, 80],
    scalars: (0..<60).flatMap { i in
      (0..<80).map { j in Float(sin(Double(j) / 8) * cos(Double(i) / 10)) }
    })
  figs.append(
    (
      "heatmap_coolwarm.png",
      try Figure.heatmap(
        wave, extent: Extent(xMin: 0, xMax: 8, yMin: 0, yMax: 6), colormap: .coolwarm,
        title: "sin(x) cos(y)", colorBarLabel: "value")
    ))

  var rng = RandomGenerator(seed: 7)
  let normal = try Tensor.randn([2000], using: &rng)
  figs.append(
    ("histogram.png", try Figure.histogram(normal, bins: 40, title: "2000 normal draws", xLabel: "x")))

  // Gray images in [-1, 1]: rings of different radii. RGB images in [0, 1]: colour gradients.
  var gray: [Float] = []
  for k in 0..<16 {
    for y in 0..<28 {
      for x in 0..<28 {
        let d = (Double((x - 14) * (x - 14) + (y - 14) * (y - 14))).squareRoot()
        gray.append(Float(abs(d - Double(4 + k % 8)) < 1.6 ? 1 : -1))
      }
    }
  }
  figs.append(
    (
      "image_grid_gray.png",
      try Figure.imageGrid(
        try Tensor(shape: [16, 1, 28, 28], scalars: gray), columns: 4, title: "gray [-1, 1]")
    ))
  var rgb: [Float] = []
  for k in 0..<12 {
    for c in 0..<3 {
      for y in 0..<32 {
        for x in 0..<32 {
          let v: Double = c == 0 ? Double(x) / 31 : (c == 1 ? Double(y) / 31 : Double(k) / 11)
          rgb.append(Float(v))
        }
      }
    }
  }
  figs.append(
    (
      "image_grid_rgb.png",
      try Figure.imageGrid(
        try Tensor(shape: [12, 3, 32, 32], scalars: rgb), columns: 6, padding: 2, title: "RGB [0, 1]")
    ))

  let energy = try ringEnergyGrid(120, ext)
  figs.append(("energy_density.png", try Figure.energyLandscape(energy: energy, extent: ext, show: .density)))
  figs.append(
    ("energy_landscape.png", try Figure.energyLandscape(energy: energy, extent: ext, show: .energy)))
  let (samples, _) = try ringSamples(500, seed: 2)
  let noisy = try Tensor(shape: [500, 2], scalars: samples.scalars.map { $0 * 1.1 })
  figs.append(("data_vs_samples.png", try Figure.dataVsSamples(data: ring, samples: noisy)))
  let chains = try langevinChains(chains: 8, steps: 80, stepSize: 0.12, seed: 3)
  figs.append(("langevin_chains.png", try Figure.langevinChains(energy: energy, extent: ext, chains: chains)))

  var zr = RandomGenerator(seed: 11)
  let prior = try Tensor.randn([1000, 6], using: &zr)
  let post = try Tensor(
    shape: [800, 6],
    scalars: try Tensor.randn([800, 6], using: &zr).scalars.enumerated().map { i, v in
      v * 0.5 + Float(i % 6) * 0.3
    })
  figs.append(("prior_posterior.png", try Figure.priorPosterior(prior: prior, posterior: post, columns: 3)))

  let st = (0..<300).map { Double($0 * 10) }
  figs.append(
    (
      "training_stats.png",
      try Figure.trainingStats(
        [
          TrainingStat(
            name: "loss_e", steps: st, values: st.map { 0.5 * exp(-$0 / 900) + 0.02 * sin($0 / 37) }),
          TrainingStat(name: "loss_g", steps: st, values: st.map { 30 / ($0 / 50 + 1) + 0.3 }, logY: true),
          TrainingStat(name: "energy gap", steps: st, values: st.map { 0.2 * sin($0 / 300) }),
          TrainingStat(name: "grad norm", steps: st, values: st.map { 3 + cos($0 / 120) }),
          TrainingStat(name: "MSE", steps: st, values: st.map { 0.2 * exp(-$0 / 1500) + 0.01 }, logY: true),
        ], title: "training statistics")
    ))

  // Several panels in one figure: a heatmap with chains overlaid, a histogram, a scatter and lines.
  let overlay = try Panel(
    title: "chains on E(z)", xLabel: "z1", yLabel: "z2",
    layers: [.heatmap(HeatmapLayer(values: energy, extent: ext, colormap: .magma, smooth: true))]
      + (0..<3).map { k in
        .line(try LineSeries(points: try chainSlice(chains, k), color: Palette.color(k + 1), lineWidth: 1.5))
      },
    grid: false, colorBarLabel: "E")
  figs.append(
    (
      "panels.png",
      Figure(
        panels: [
          overlay,
          Panel(
            title: "histogram", xLabel: "x", yLabel: "count",
            layers: [.histogram(try HistogramLayer(values: normal, bins: 25, name: "x"))]),
          Panel(
            title: "scatter", xLabel: "x1", yLabel: "x2",
            layers: [.scatter(try ScatterLayer(points: ring, size: 3, alpha: 0.5, name: "ring"))]),
          Panel(
            title: "lines", xLabel: "t", yLabel: "y",
            layers: [
              .line(try LineSeries(name: "a", x: steps, y: steps.map { $0 / 100 })),
              .line(
                try LineSeries(name: "b", x: steps, y: steps.map { ($0 / 100) * ($0 / 100) }, marker: nil)),
            ], legendPosition: .topLeft),
        ], columns: 2, title: "four panels")
    ))
  return figs
}

/// Chain `k` of a `[C, T, 2]` tensor as `[T, 2]`.
func chainSlice(_ chains: Tensor, _ k: Int) throws -> Tensor {
  let t = chains.shape[1]
  return try Tensor(shape: [t, 2], scalars: Array(chains.scalars[(k * t * 2)..<((k + 1) * t * 2)]))
}

@Test func gallery() throws {
  let keep = ProcessInfo.processInfo.environment["LEBM_GALLERY"]
  let dir = try keep ?? temporaryDirectory("gallery")
  defer { if keep == nil { removeDirectory(dir) } }
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  for (name, fig) in try galleryFigures() {
    let r = try fig.save(to: dir + "/" + name)
    #expect(r.warnings.isEmpty, "\(name): \(r.warnings)")
    let img = try PNGCodec.read(from: r.path)
    #expect(img.width == r.width && img.height == r.height)
  }
}

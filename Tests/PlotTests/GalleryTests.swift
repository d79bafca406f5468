// The gallery: every figure kind written to one folder as PNG, SVG and PDF, for people to look at,
// with Greek letters, superscripts and norms in the titles and labels (as Unicode and as `$…$` math).
//
//   LEBM_GALLERY=/tmp/gallery swift test --filter PlotTests.gallery
//
// Without LEBM_GALLERY the pictures go to a temporary folder. Either way each PNG is decoded (size,
// ink in the title band), each SVG parsed as XML, and each PDF checked (structure, and `pdfinfo`
// when it is installed).
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
        ring, title: "8 Gaussians by mode, σ = 0.2", xLabel: "x₁", yLabel: "x₂",
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
        ring, title: "coloured by ‖x‖", xLabel: "x₁", yLabel: "x₂",
        coloring: .values(radius, colormap: .viridis), size: 5, alpha: 0.9, colorBarLabel: "‖x‖")
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
        ], title: "sin, cos and e^(−t/80)·sin(t/7)", xLabel: "t", yLabel: "value")
    ))
  figs.append(
    (
      "lines_log.png",
      try Figure.lines(
        [
          try LineSeries(name: "loss_e", x: steps, y: steps.map { 2 * exp(-$0 / 40) + 0.01 }),
          try LineSeries(name: "loss_g", x: steps, y: steps.map { 50 / ($0 + 1) + 0.05 * (1 + sin($0 / 5)) }),
        ], title: "losses, log y: ε + 2e^(−t/40)", xLabel: "step", yLabel: "loss", logY: true)
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
        title: "sin(x)·cos(y), x ∈ [0, 8]", colorBarLabel: "value")
    ))

  var rng = RandomGenerator(seed: 7)
  let normal = try Tensor.randn([2000], using: &rng)
  figs.append(
    ("histogram.png", try Figure.histogram(normal, bins: 40, title: "2000 draws of N(μ = 0, σ² = 1)", xLabel: "x")))

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
        try Tensor(shape: [16, 1, 28, 28], scalars: gray), columns: 4, title: "gray, values in [−1, 1]")
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
        try Tensor(shape: [12, 3, 32, 32], scalars: rgb), columns: 6, padding: 2, title: "RGB, values in [0, 1]")
    ))

  let energy = try ringEnergyGrid(120, ext)
  figs.append(("energy_density.png", try Figure.energyLandscape(energy: energy, extent: ext, show: .density)))
  figs.append(
    ("energy_landscape.png", try Figure.energyLandscape(energy: energy, extent: ext, show: .energy)))
  let (samples, _) = try ringSamples(500, seed: 2)
  let noisy = try Tensor(shape: [500, 2], scalars: samples.scalars.map { $0 * 1.1 })
  figs.append(
    (
      "data_vs_samples.png",
      try Figure.dataVsSamples(data: ring, samples: noisy, titles: ("data x⁺", "samples x⁻ = g(z), z ~ p_α"))
    ))
  // The chains move on E(z) + ‖z‖²/2 (σ₀ = 1): draw that potential behind them.
  let chains = try langevinChains(chains: 8, steps: 80, stepSize: 0.12, seed: 3)
  let potential = try Tensor(
    shape: [120, 120],
    scalars: zip(energy.scalars, try ext.cellCenters(rows: 120, columns: 120).scalars.chunked2()).map { e, z in
      e + (z.0 * z.0 + z.1 * z.1) / 2
    })
  figs.append(
    (
      "langevin_chains.png",
      try Figure.langevinChains(
        energy: potential, extent: ext, chains: chains, title: "$z \\leftarrow z - (s^2/2)\\nabla U(z) + s \\cdot \\varepsilon$",
        colorBarLabel: "$U(z) = E(z) + \\|z\\|^2/(2\\sigma_0^2)$")
    ))

  var zr = RandomGenerator(seed: 11)
  let prior = try Tensor.randn([1000, 6], using: &zr)
  let post = try Tensor(
    shape: [800, 6],
    scalars: try Tensor.randn([800, 6], using: &zr).scalars.enumerated().map { i, v in
      v * 0.5 + Float(i % 6) * 0.3
    })
  figs.append(
    (
      "prior_posterior.png",
      try Figure.priorPosterior(prior: prior, posterior: post, columns: 3, title: "$p_\\alpha(z)$ against $p_\\theta(z|x)$")
    ))

  let st = (0..<300).map { Double($0 * 10) }
  figs.append(
    (
      "training_stats.png",
      try Figure.trainingStats(
        [
          TrainingStat(
            name: "$L_E$ energy loss", steps: st, values: st.map { 0.5 * exp(-$0 / 900) + 0.02 * sin($0 / 37) }),
          TrainingStat(name: "$L_G$ generator loss", steps: st, values: st.map { 30 / ($0 / 50 + 1) + 0.3 }, logY: true),
          TrainingStat(name: "energy gap", steps: st, values: st.map { 0.2 * sin($0 / 300) }),
          TrainingStat(name: "$\\|\\nabla_\\alpha L_E\\|$ energy gradient", steps: st, values: st.map { 3 + cos($0 / 120) }),
          TrainingStat(name: "MSE", steps: st, values: st.map { 0.2 * exp(-$0 / 1500) + 0.01 }, logY: true),
        ], title: "training statistics")
    ))

  // Several panels in one figure: a heatmap with chains overlaid, a histogram, a scatter and lines.
  let overlay = try Panel(
    title: "chains drawn over E(z) alone", xLabel: "z₁", yLabel: "z₂",
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
            title: "histogram of N(0, 1)", xLabel: "x", yLabel: "count",
            layers: [.histogram(try HistogramLayer(values: normal, bins: 25, name: "x"))]),
          Panel(
            title: "scatter", xLabel: "x₁", yLabel: "x₂",
            layers: [.scatter(try ScatterLayer(points: ring, size: 3, alpha: 0.5, name: "ring"))]),
          Panel(
            title: "lines", xLabel: "t", yLabel: "y",
            layers: [
              .line(try LineSeries(name: "a", x: steps, y: steps.map { $0 / 100 })),
              .line(
                try LineSeries(name: "b", x: steps, y: steps.map { ($0 / 100) * ($0 / 100) }, marker: nil)),
            ], legendPosition: .topLeft),
        ], columns: 2, title: "four panels: E(z) with chains, N(0, 1), a ring, t and t²")
    ))

  // Lines with the controls: x values, a mean ± std band over runs, smoothing, log x, a legend moved.
  let k = [1.0, 2, 4, 8, 16, 32, 64, 128, 256]
  var runRng = RandomGenerator(seed: 4)
  let runs = (0..<5).map { _ in k.map { 1 / $0.squareRoot() + 0.05 * Double(runRng.normal()) } }
  let (mean, band) = try BandLayer.meanStd(x: k, runs: runs, color: Palette.color(0))
  let noisy2 = steps.map { exp(-$0 / 60) + 0.15 * sin($0 * 1.7) * cos($0 * 0.37) }
  figs.append(
    (
      "lines_controls.png",
      Figure(
        panels: [
          try {
            var p = Panel(
              title: "MMD² vs K (mean ± std of 5 runs)", xLabel: "K (log scale)", yLabel: "MMD²",
              layers: [.band(band), .line(try LineSeries(name: "1/√K", x: k, y: mean, color: Palette.color(0), marker: .circle))],
              legendPosition: .topRight)
            p.logX = true
            return p
          }(),
          Panel(
            title: "smoothed: EMA 0.9", xLabel: "step", yLabel: "loss",
            layers: [
              .line(try LineSeries(x: steps, y: noisy2, color: Palette.color(1), lineWidth: 1, alpha: 0.25)),
              .line(
                try LineSeries(
                  name: "loss (EMA)", x: steps, y: exponentialMovingAverage(noisy2, weight: 0.9), color: Palette.color(1))),
            ], xLimits: 0...150, yLimits: -0.3...1.2, legendPosition: .bottomLeft),
        ], columns: 2, title: "line controls")
    ))
  return figs
}

extension Array where Element == Float {
  /// Consecutive pairs: [a, b, c, d] → [(a, b), (c, d)].
  func chunked2() -> [(Float, Float)] { stride(from: 0, to: count - 1, by: 2).map { (self[$0], self[$0 + 1]) } }
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
    let stem = String(name.dropLast(4))
    let r = try fig.save(to: dir + "/" + name)
    #expect(r.warnings.isEmpty, "\(name): \(r.warnings)")
    let img = try PNGCodec.read(from: r.path)
    #expect(img.width == r.width && img.height == r.height)
    // Every gallery figure has a title: ink in the band where it is drawn.
    #expect(inked(img, x: 0..<img.width, y: 6..<30) > 40, "\(name): no title drawn")
    let svg = try fig.save(to: dir + "/" + stem + ".svg")
    try checkSVG(svg.path, width: svg.width, height: svg.height)
    let pdf = try fig.save(to: dir + "/" + stem + ".pdf")
    try checkPDF(pdf.path, width: pdf.width, height: pdf.height)
  }
}

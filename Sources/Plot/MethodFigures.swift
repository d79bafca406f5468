// MethodFigures: the pictures a latent EBM experiment needs, built from plain data (grids of energy
// values, point sets, chains, latent samples, training logs); the caller evaluates the model.
import Engine
import Glibc

/// What an energy-landscape heatmap shows.
public enum LandscapeQuantity: Sendable {
  /// The prior density p(z) ∝ exp(−E(z))·N(z; 0, I), normalised over the grid.
  case density
  /// The energy E(z) itself.
  case energy
}

extension Figure {
  /// The energy landscape of a 2-D latent.
  ///
  /// `energy[i, j]` is E at the centre of cell (i, j) of an H×W split of `extent`, row 0 at the bottom:
  /// exactly the points ``Extent/cellCenters(rows:columns:)`` returns. With `.density` the heatmap
  /// shows exp(−E(z))·N(z; 0, I) normalised to integrate to 1 over the grid.
  /// - Throws: ``PlotError`` when `energy` is not a finite `[H, W]` tensor or `extent` is bad.
  public static func energyLandscape(
    energy: Tensor, extent: Extent, show: LandscapeQuantity = .density, colormap: Colormap? = nil,
    title: String? = nil, width: Int = 500, height: Int = 420
  ) throws -> Figure {
    let layer = try landscapeLayer(energy: energy, extent: extent, show: show, colormap: colormap)
    return Figure(
      Panel(
        title: title ?? (show == .density ? "$\\exp(-E(z)) \\cdot N(z; 0, I)$" : "energy $E(z)$"), xLabel: "$z_1$",
        yLabel: "$z_2$",
        layers: [.heatmap(layer)], grid: false, colorBarLabel: show == .density ? "density" : "$E(z)$"),
      width: width, height: height)
  }

  /// The data beside model samples: two scatter panels of `[N, 2]` tensors.
  /// - Parameters:
  ///   - titles: the two panel titles (compare two samplers by naming them).
  ///   - labels: the x and y axis labels of both panels.
  ///   - sharedAxes: the same limits on both panels (the union of the data's, with a margin).
  ///   - size, alpha: marker diameter in layout units and opacity.
  /// - Throws: ``PlotError`` when either tensor is not `[N, 2]` with N ≥ 1, or size or alpha is out of range.
  public static func dataVsSamples(
    data: Tensor, samples: Tensor, titles: (data: String, samples: String) = ("data", "samples"),
    labels: (x: String, y: String) = ("$x_1$", "$x_2$"), sharedAxes: Bool = true,
    size: Double = 3, alpha: Double = 0.6
  ) throws -> Figure {
    let d = try ScatterLayer(points: data, coloring: .single(Palette.color(0)), size: size, alpha: alpha)
    let s = try ScatterLayer(points: samples, coloring: .single(Palette.color(1)), size: size, alpha: alpha)
    let bx = [d.bounds(logX: false, logY: false).x, s.bounds(logX: false, logY: false).x].compactMap { $0 }
    let by = [d.bounds(logX: false, logY: false).y, s.bounds(logX: false, logY: false).y].compactMap { $0 }
    func padded(_ rs: [ClosedRange<Double>]) -> ClosedRange<Double>? {
      guard let lo = rs.map(\.lowerBound).min(), let hi = rs.map(\.upperBound).max() else { return nil }
      let m = hi > lo ? (hi - lo) * 0.05 : 0.5
      return (lo - m)...(hi + m)
    }
    let xl = sharedAxes ? padded(bx) : nil
    let yl = sharedAxes ? padded(by) : nil
    return Figure(
      panels: [
        Panel(
          title: titles.data, xLabel: labels.x, yLabel: labels.y, layers: [.scatter(d)], xLimits: xl,
          yLimits: yl),
        Panel(
          title: titles.samples, xLabel: labels.x, yLabel: labels.y, layers: [.scatter(s)], xLimits: xl,
          yLimits: yl),
      ], columns: 2, panelWidth: 420, panelHeight: 400)
  }

  /// Langevin chains over an energy landscape: the heatmap, each chain as a polyline, a circle where
  /// it starts and a cross where it ends.
  /// - Parameters:
  ///   - energy: `[H, W]` energies on the grid of `extent`
  ///     (see ``energyLandscape(energy:extent:show:colormap:title:width:height:)``).
  ///   - chains: `[C, T, 2]`: C chains of T steps in the 2-D latent.
  /// - Throws: ``PlotError`` for bad shapes or a non-finite energy; NaN chain points are skipped with a
  ///   warning.
  ///   - colorBarLabel: what the background is (by default `$E(z)$`, or `density`); say
  ///     `$E(z) + \|z\|^2/2$` when `energy` holds the potential the chains move on.
  public static func langevinChains(
    energy: Tensor, extent: Extent, chains: Tensor, show: LandscapeQuantity = .energy,
    colormap: Colormap? = nil,
    title: String = "Langevin chains", colorBarLabel: String? = nil, width: Int = 520, height: Int = 440
  ) throws -> Figure {
    guard chains.rank == 3, chains.shape[2] == 2 else {
      throw PlotError("langevin chains", "chains must have shape [C, T, 2], got \(formatShape(chains.shape))")
    }
    let (c, t) = (chains.shape[0], chains.shape[1])
    guard c > 0, t > 0 else {
      throw PlotError("langevin chains", "chains are empty (shape \(formatShape(chains.shape)))")
    }
    var layers: [PlotLayer] = [
      .heatmap(try landscapeLayer(energy: energy, extent: extent, show: show, colormap: colormap))
    ]
    let s = chains.scalars.map(Double.init)
    var sx: [Double] = []
    var sy: [Double] = []
    var ex: [Double] = []
    var ey: [Double] = []
    for k in 0..<c {
      let xs = (0..<t).map { s[(k * t + $0) * 2] }
      let ys = (0..<t).map { s[(k * t + $0) * 2 + 1] }
      layers.append(.line(try LineSeries(x: xs, y: ys, color: .white, lineWidth: 1.2, alpha: 0.85)))
      sx.append(xs[0])
      sy.append(ys[0])
      ex.append(xs[t - 1])
      ey.append(ys[t - 1])
    }
    layers.append(
      .scatter(try ScatterLayer(x: sx, y: sy, coloring: .single(.white), size: 7, alpha: 1, name: "start")))
    layers.append(
      .scatter(
        try ScatterLayer(
          x: ex, y: ey, coloring: .single(.red), size: 8, alpha: 1, marker: .cross, name: "end")))
    return Figure(
      Panel(
        title: title, xLabel: "$z_1$", yLabel: "$z_2$", layers: layers,
        xLimits: extent.xMin...extent.xMax, yLimits: extent.yMin...extent.yMax, grid: false,
        colorBarLabel: colorBarLabel ?? (show == .density ? "density" : "$E(z)$")),
      width: width, height: height)
  }

  /// Prior against posterior latent samples: one panel per dimension with the two histograms overlaid
  /// (translucent, same bins, as densities).
  /// - Parameters:
  ///   - prior: `[N, D]` samples from the prior (e.g. prior Langevin).
  ///   - posterior: `[M, D]` samples from the posterior (e.g. posterior Langevin on data).
  ///   - maxDimensions: at most this many dimensions are shown (a warning says when some are left out).
  /// - Throws: ``PlotError`` when the tensors are not rank 2, are empty, or their D differ.
  public static func priorPosterior(
    prior: Tensor, posterior: Tensor, bins: Int = 30, maxDimensions: Int = 16, columns: Int = 4,
    title: String = ""
  ) throws -> Figure {
    let f = "prior vs posterior"
    for (t, what) in [(prior, "prior"), (posterior, "posterior")] {
      guard t.rank == 2 else {
        throw PlotError(f, "\(what) must have shape [N, D], got \(formatShape(t.shape))")
      }
      guard t.count > 0 else { throw PlotError(f, "\(what) is empty (shape \(formatShape(t.shape)))") }
    }
    let d = prior.shape[1]
    guard posterior.shape[1] == d else {
      throw PlotError(f, "prior has D = \(d) but posterior has D = \(posterior.shape[1])")
    }
    guard maxDimensions >= 1 else {
      throw PlotError(f, "maxDimensions must be at least 1, got \(maxDimensions)")
    }
    let shown = Swift.min(d, maxDimensions)
    let p = prior.scalars.map(Double.init)
    let q = posterior.scalars.map(Double.init)
    var panels: [Panel] = []
    for k in 0..<shown {
      let a = stride(from: k, to: p.count, by: d).map { p[$0] }
      let b = stride(from: k, to: q.count, by: d).map { q[$0] }
      var r = finiteRange(a + b) ?? -1...1
      if r.lowerBound == r.upperBound { r = (r.lowerBound - 0.5)...(r.upperBound + 0.5) }
      let hp = try HistogramLayer(
        values: a, bins: bins, range: r, color: Palette.color(0), alpha: 0.45, density: true, name: "prior")
      let hq = try HistogramLayer(
        values: b, bins: bins, range: r, color: Palette.color(1), alpha: 0.45, density: true,
        name: "posterior")
      panels.append(
        Panel(
          title: "z[\(k)]", xLabel: "", yLabel: k % columns == 0 ? "density" : "",
          layers: [.histogram(hp), .histogram(hq)], legend: k == 0))
    }
    var fig = Figure(
      panels: panels, columns: Swift.max(1, Swift.min(columns, shown)), panelWidth: 300, panelHeight: 220,
      title: title)
    if shown < d { fig.notes.append("\(f): showing the first \(shown) of \(d) dimensions") }
    return fig
  }

  /// The heatmap layer of a landscape: E itself or the normalised prior density.
  static func landscapeLayer(
    energy: Tensor, extent: Extent, show: LandscapeQuantity, colormap: Colormap?
  ) throws -> HeatmapLayer {
    let e = try HeatmapLayer(values: energy, extent: extent, smooth: true)  // validates shape and values
    let map = colormap ?? (show == .density ? .viridis : .magma)
    if show == .energy {
      return try HeatmapLayer(values: energy, extent: extent, colormap: map, smooth: true)
    }
    let (h, w) = (e.rows, e.columns)
    let dx = (extent.xMax - extent.xMin) / Double(w)
    let dy = (extent.yMax - extent.yMin) / Double(h)
    var logp = [Double](repeating: 0, count: h * w)
    for i in 0..<h {
      let y = extent.yMin + (Double(i) + 0.5) * dy
      for j in 0..<w {
        let x = extent.xMin + (Double(j) + 0.5) * dx
        logp[i * w + j] = -e.values[i * w + j] - (x * x + y * y) / 2
      }
    }
    let m = logp.max() ?? 0
    let p = logp.map { exp($0 - m) }
    let z = p.reduce(0, +) * dx * dy
    let density = try Tensor(shape: [h, w], scalars: p.map { Float($0 / z) })
    return try HeatmapLayer(values: density, extent: extent, colormap: map, smooth: true)
  }
}

// Figures as builtins: each writes a PNG, reports it to the host (REPL, notebook) and returns its path.
import Engine
import Glibc
import LatentEBM
import Plot

extension Args {
  /// Saves a figure to the `path` argument, prints its warnings, records it; returns the path.
  func save(_ figure: Figure) throws -> Value {
    let path = try outputPath()
    makeParentFolders(path)
    let r = try figure.save(to: path)
    for w in r.warnings { write("warning: \(w)\n") }
    interpreter.figures.append(r.path)
    return .string(r.path)
  }

  /// The string argument `name`, a path to write to: relative paths are taken from the
  /// interpreter's ``Interpreter/outputDirectory`` when it has one.
  func outputPath(_ name: String = "path") throws -> String {
    let path = try string(name)
    guard let dir = interpreter.outputDirectory, !path.hasPrefix("/") else { return path }
    return dir.hasSuffix("/") ? dir + path : dir + "/" + path
  }

  func title() throws -> String { try string("title") }

  func numbers(_ v: Value, _ what: String) throws -> [Double] {
    switch v {
    case .tensor(let t): return t.scalars.map(Double.init)
    case .list(let l):
      return try l.map { x -> Double in
        guard case .number(let d) = x else { throw fail("\(what) must hold numbers, got \(shown(x))") }
        return d
      }
    default: throw fail("\(what) must be a list or a tensor of numbers, got \(shown(v))")
    }
  }

  func colormap(_ p: String) throws -> Colormap {
    let name = try string(p)
    guard let c = Colormap.named(name) else { throw fail("'\(p)' must be viridis, magma, coolwarm or gray, got \"\(name)\"") }
    return c
  }

  /// `extent: r` (the square [−r, r]²) or `[x0, x1, y0, y1]`.
  func extent(_ p: String) throws -> Extent {
    switch self[p] {
    case .number(let r) where r > 0: return Extent(square: r)
    case .list(let l) where l.count == 4:
      let v = try numbers(self[p], "'\(p)'")
      guard v[0] < v[1], v[2] < v[3] else { throw fail("'\(p)' must be [x_min, x_max, y_min, y_max] with min < max") }
      return Extent(xMin: v[0], xMax: v[1], yMin: v[2], yMax: v[3])
    default: throw fail("'\(p)' must be a positive number r (the square [−r, r]²) or [x_min, x_max, y_min, y_max]")
    }
  }

  /// A model with a 2-D latent, for the latent-space figures.
  func model2D(_ p: String) throws -> ModelHandle {
    let m = try model(p)
    guard m.model.latent == 2 else { throw fail("needs a model with a 2-D latent, this one has \(m.model.latent)") }
    return m
  }
}

/// Creates the folders above `path` that are missing (`mkdir -p` of its parent); a failure is left
/// for the write that follows to report.
func makeParentFolders(_ path: String) {
  var prefix = ""
  let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
  for (i, part) in parts.enumerated() {
    prefix += (i == 0 ? "" : "/") + part
    if !prefix.isEmpty { mkdir(prefix, 0o755) }
  }
}

/// E(z) on the cell centres of an extent, shaped [rows, cols] as the heatmaps want it.
func energyGrid(_ m: LatentEBM, _ e: Extent, _ n: Int) throws -> Tensor {
  let pts = try e.cellCenters(rows: n, columns: n)
  return try withoutGradients {
    // The figure multiplies by N(0, I); fold a σ0 ≠ 1 base prior into the energy.
    var en = try m.energy(pts)
    if m.priorSigma != 1 {
      let r2 = try pts.square().sum(axes: [1])
      en = try en + r2 * (1 / (2 * m.priorSigma * m.priorSigma) - 0.5)
    }
    return try en.reshaped([n, n])
  }
}

extension BuiltinGroup {
  /// Figures: scatter, lines, heatmaps, histograms, image grids, and the method's own pictures.
  public static var plot: BuiltinGroup {
    BuiltinGroup(name: "plot", summary: "figures written to PNG", builtins: PlotBuiltins.charts + PlotBuiltins.methodFigures)
  }
}

/// The rows of the `plot` group, then the code behind them.
private enum PlotBuiltins {
  /// The parameters every titled figure takes after its data and path.
  static var common: [Param] { [Param("title", .string, default: .string(""))] }

  /// General charts of values: scatter, lines, heatmap, histogram, image grid.
  static var charts: [Builtin] {
    [
      Builtin("plot_scatter", params: [Param("points", .tensor), Param("path", .string)] + common + [
                Param("color", .optional(.tensor), default: .none), Param("groups", .optional(.any), default: .none),
                Param("size", .number, default: .number(3)), Param("alpha", .number, default: .number(0.6)),
                Param("x_label", .string, default: .string("x")), Param("y_label", .string, default: .string("y"))],
              doc: "Scatter plot of [N, 2] points; color: a value per point (viridis, with a colour bar); groups: a label per point.",
              impl: scatter),
      Builtin("plot_lines", params: [Param("series"), Param("path", .string)] + common + [
                Param("log_y", .bool, default: .bool(false)), Param("x_label", .string, default: .string("step")),
                Param("y_label", .string, default: .string(""))],
              doc: "Line chart: series is a list/tensor of values, or a record {name: values, …} for several with a legend.",
              impl: lines),
      Builtin("plot_heatmap", params: [Param("values", .tensor), Param("path", .string)] + common + [
                Param("extent", .optional(.any), default: .none), Param("colormap", .string, default: .string("viridis"))],
              doc: "Heatmap of an [H, W] grid (row 0 at the bottom) with a colour bar; extent: r or [x0, x1, y0, y1].",
              impl: heatmap),
      Builtin("plot_hist", params: [Param("values", .tensor), Param("path", .string)] + common + [
                Param("bins", .positiveInt, default: .number(40)), Param("density", .bool, default: .bool(false))],
              doc: "Histogram of all the values of a tensor.",
              impl: histogram),
      Builtin("plot_images", params: [Param("images", .tensor), Param("path", .string)] + common + [
                Param("columns", .optional(.positiveInt), default: .none), Param("padding", .nonNegativeInt, default: .number(2))],
              doc: "A grid of images [N, C, H, W] (C = 1 or 3; values in [−1, 1] or [0, 1]); [N, D] with D = 784 is read as 28×28.",
              impl: images),
    ]
  }

  /// The method's own figures: the learned prior, its chains, samples against data, training statistics.
  static var methodFigures: [Builtin] {
    [
      Builtin("plot_energy", params: [Param("model"), Param("path", .string)] + common + [
                Param("extent", .any, default: .number(3)), Param("grid", .positiveInt, default: .number(100)),
                Param("show", .string, default: .string("density"))],
              doc: "The learned prior of a 2-D latent: show \"density\" p_α(z) ∝ exp(−E_α(z))·N(0, σ0² I) or \"energy\" E_α(z).",
              impl: energy),
      Builtin("plot_chains", params: [Param("model"), Param("path", .string)] + common + [
                Param("n", .positiveInt, default: .number(8)), Param("steps", .positiveInt, default: .number(60)),
                Param("step", .number, default: .number(0.4)), Param("extent", .any, default: .number(3))],
              doc: "n prior Langevin chains of a 2-D latent drawn over the energy landscape, with start and end markers.",
              impl: chains),
      Builtin("plot_data_vs_samples", params: [Param("data", .tensor), Param("samples", .tensor), Param("path", .string)],
              doc: "Data and model samples ([N, 2] each) side by side with shared limits.",
              impl: dataVsSamples),
      Builtin("plot_prior_posterior", params: [Param("model"), Param("x", .tensor), Param("path", .string)] + common,
              doc: "Histograms per latent dimension of prior samples (prior Langevin) against posterior samples for x.",
              impl: priorPosterior),
      Builtin("plot_stats", params: [Param("history"), Param("path", .string)] + common,
              doc: "One small panel per training statistic (a model, or a history record from train) over the steps.",
              impl: stats),
    ]
  }

  // MARK: - Charts

  static func scatter(_ a: Args) throws -> Value {
    var coloring = PointColoring.single(nil)
    if !a.isNone("color") { coloring = .values(try a.numbers(a["color"], "'color'")) }
    if !a.isNone("groups") { coloring = .groups(try a.numbers(a["groups"], "'groups'").map { $0.isFinite ? Int(Swift.max(-1e6, Swift.min(1e6, $0))) : 0 }, names: []) }
    return try a.save(try Figure.scatter(try a.tensor("points"), title: try a.title(), xLabel: try a.string("x_label"),
                                         yLabel: try a.string("y_label"), coloring: coloring, size: try a.number("size"), alpha: try a.number("alpha")))
  }

  static func lines(_ a: Args) throws -> Value {
    var series: [LineSeries] = []
    if case .record(let r) = a["series"] {
      for (k, v) in r.pairs { series.append(try LineSeries(name: k, y: try a.numbers(v, "series '\(k)'"))) }
    } else {
      series = [try LineSeries(y: try a.numbers(a["series"], "'series'"))]
    }
    return try a.save(try Figure.lines(series, title: try a.title(), xLabel: try a.string("x_label"), yLabel: try a.string("y_label"), logY: try a.bool("log_y")))
  }

  static func heatmap(_ a: Args) throws -> Value {
    try a.save(try Figure.heatmap(try a.tensor("values"), extent: a.isNone("extent") ? nil : try a.extent("extent"),
                                  colormap: try a.colormap("colormap"), title: try a.title()))
  }

  static func histogram(_ a: Args) throws -> Value {
    try a.save(try Figure.histogram(try a.tensor("values"), bins: try a.int("bins"), density: try a.bool("density"), title: try a.title()))
  }

  static func images(_ a: Args) throws -> Value {
    var t = try a.tensor("images")
    if t.rank == 2 {
      let side = Int(Double(t.shape[1]).squareRoot())
      guard side * side == t.shape[1] else { throw a.fail("'images' of shape \(formatShape(t.shape)) are not square gray images") }
      t = try t.reshaped([t.shape[0], 1, side, side])
    }
    return try a.save(try Figure.imageGrid(t, columns: try a.optionalInt("columns"), padding: try a.int("padding"), title: try a.title()))
  }

  // MARK: - Method figures

  static func energy(_ a: Args) throws -> Value {
    let m = try a.model2D("model")
    let show: LandscapeQuantity
    switch try a.string("show") {
    case "density": show = .density
    case "energy": show = .energy
    case let s: throw a.fail("'show' must be \"density\" or \"energy\", got \"\(s)\"")
    }
    let e = try a.extent("extent")
    let t = try a.title()
    return try a.save(try Figure.energyLandscape(energy: try energyGrid(m.model, e, try a.int("grid")), extent: e, show: show, title: t.isEmpty ? nil : t))
  }

  static func chains(_ a: Args) throws -> Value {
    let m = try a.model2D("model")
    let n = try a.int("n"), k = try a.int("steps")
    var z = try m.model.initialLatents(n, using: &a.interpreter.rng)
    var path = [z]
    let cfg = LangevinConfig(steps: 1, stepSize: try a.positive("step"))
    for _ in 0..<k {
      try a.checkInterrupt()
      z = try m.model.samplePrior(from: z, config: cfg, using: &a.interpreter.rng)
      path.append(z)
    }
    let chains = try Tensor.stack(path, axis: 1)
    let e = try a.extent("extent")
    let t = try a.title()
    return try a.save(try Figure.langevinChains(energy: try energyGrid(m.model, e, 100), extent: e, chains: chains,
                                                title: t.isEmpty ? "prior Langevin chains" : t))
  }

  static func dataVsSamples(_ a: Args) throws -> Value {
    try a.save(try Figure.dataVsSamples(data: try a.tensor("data"), samples: try a.tensor("samples")))
  }

  static func priorPosterior(_ a: Args) throws -> Value {
    let m = try a.model("model")
    let x = try a.tensor("x")
    let zq = try m.model.samplePosterior(x, from: try m.model.initialLatents(x.shape.first ?? 0, using: &a.interpreter.rng), config: m.config.posterior, using: &a.interpreter.rng)
    let zp = try m.model.samplePrior(from: try m.model.initialLatents(x.shape.first ?? 0, using: &a.interpreter.rng), config: m.config.prior, using: &a.interpreter.rng)
    return try a.save(try Figure.priorPosterior(prior: zp, posterior: zq, title: try a.title()))
  }

  static func stats(_ a: Args) throws -> Value {
    var rec: Record
    switch a["history"] {
    case .record(let r): rec = r
    case .opaque(let o as HistoryHandle): rec = o.record
    case .opaque(let o as ModelHandle): rec = HistoryHandle(o.history).record
    default: throw a.fail("'history' must be a model or a history record, got \(shown(a["history"]))")
    }
    let steps = try rec["step"].map { try a.numbers($0, "'step'") }
    var stats: [TrainingStat] = []
    for (k, v) in rec.pairs where k != "step" {
      let vals = try a.numbers(v, "'\(k)'")
      if vals.isEmpty { continue }
      stats.append(TrainingStat(name: k, steps: steps, values: vals, logY: k.hasPrefix("grad")))
    }
    guard !stats.isEmpty else { throw a.fail("the history is empty: train first") }
    return try a.save(try Figure.trainingStats(stats, title: try a.title()))
  }
}

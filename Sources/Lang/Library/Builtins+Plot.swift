// Figures as builtins: each writes a PNG, SVG or PDF (by the path's extension), reports it to the host
// (REPL, notebook) and returns its path; without a path it returns the figure, for plot_panels.
import Engine
import Glibc
import LatentEBM
import Plot

extension Args {
  /// Finishes a figure: with a `path`, applies `dpi`, `size` and `font_size`, writes the file (PNG,
  /// SVG or PDF by its extension), prints its warnings, announces it to the host and returns the
  /// path; without one (`none`), returns the figure as a value for ``plot_panels``.
  func save(_ figure: Figure) throws -> Value {
    var fig = figure
    fig.fontSize = try fontSize()
    if case .none = self["path"] { return .opaque(FigureHandle(fig)) }
    if let (w, h) = try figureSize() { try fig.resize(width: w * 100, height: h * 100) }
    let path = try outputPath()
    _ = try FigureFormat.of(path: path)
    makeParentFolders(path)
    let dpi = try number("dpi")
    guard dpi.isFinite, dpi >= 10, dpi <= 1200 else { throw fail("'dpi' must be between 10 and 1200, got \(shown(.number(dpi)))") }
    let r = try fig.save(to: path, dpi: dpi * interpreter.host.figureScale)
    for w in r.warnings { write("warning: \(w)\n") }
    interpreter.host.figureWritten(r.output)
    return .string(r.path)
  }

  /// `size: [w, h]` in inches, or nil when not given.
  func figureSize() throws -> (Double, Double)? {
    if case .none = self["size"] { return nil }
    let v = try numbers(self["size"], "'size'")
    guard v.count == 2, v.allSatisfy({ $0.isFinite && $0 >= 0.32 && $0 <= 163 }) else {
      throw fail("'size' must be [width, height] in inches, each between 0.32 and 163, got \(self["size"].description)")
    }
    return (v[0], v[1])
  }

  /// `font_size:` in points, checked.
  func fontSize() throws -> Double {
    let f = try number("font_size")
    guard f.isFinite, f >= 4, f <= 72 else { throw fail("'font_size' must be between 4 and 72 points, got \(shown(.number(f)))") }
    return f
  }

  /// The string argument `name`, a path to write to: relative paths are taken from the
  /// host's ``Host/outputFolder`` when it has one.
  func outputPath(_ name: String = "path") throws -> String {
    let path = try string(name)
    guard let dir = interpreter.host.outputFolder, !path.hasPrefix("/") else { return path }
    return dir.hasSuffix("/") ? dir + path : dir + "/" + path
  }

  /// `[lo, hi]` axis limits, or nil for `none`.
  func limits(_ p: String) throws -> ClosedRange<Double>? {
    if case .none = self[p] { return nil }
    let v = try numbers(self[p], "'\(p)'")
    guard v.count == 2, v[0].isFinite, v[1].isFinite, v[0] < v[1] else {
      throw fail("'\(p)' must be [low, high] with low < high, got \(self[p].description)")
    }
    return v[0]...v[1]
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

/// E(z) on the cell centres of an extent, shaped [rows, cols] as the heatmaps want it; with
/// `potential`, the function prior Langevin moves on, E(z) + ‖z‖²/(2σ0²).
func energyGrid(_ m: LatentEBM, _ e: Extent, _ n: Int, potential: Bool = false) throws -> Tensor {
  let pts = try e.cellCenters(rows: n, columns: n)
  return try withoutGradients {
    var en = try m.energy(pts)
    let r2 = try pts.square().sum(axes: [1])
    if potential {
      en = try en + r2 * (1 / (2 * m.priorSigma * m.priorSigma))
    } else if m.priorSigma != 1 {
      // The density figure multiplies by N(0, I); fold a σ0 ≠ 1 base prior into the energy.
      en = try en + r2 * (1 / (2 * m.priorSigma * m.priorSigma) - 0.5)
    }
    return try en.reshaped([n, n])
  }
}

/// A figure kept as a value (a plot builtin called without a path), for ``plot_panels``.
final class FigureHandle: OpaqueValue {
  let figure: Figure
  init(_ figure: Figure) { self.figure = figure }
  var typeName: String { "figure" }
  var summary: String {
    let n = figure.panels.count
    return "<figure: \(n) panel\(n == 1 ? "" : "s"); write it with plot_panels([...], path)>"
  }
}

extension BuiltinGroup {
  /// Figures: scatter, lines, heatmaps, histograms, image grids, the method's own pictures, panels.
  public static var plot: BuiltinGroup {
    BuiltinGroup(name: "plot", summary: "figures written to PNG, SVG or PDF", builtins: PlotBuiltins.charts + PlotBuiltins.methodFigures + [PlotBuiltins.panels])
  }
}

/// The rows of the `plot` group, then the code behind them.
private enum PlotBuiltins {
  /// Where a figure goes: a file (its extension picks PNG, SVG or PDF), or none to get the figure back.
  static var path: Param { Param("path", .optional(.string), default: .none) }

  /// The parameters every figure takes after its data and path.
  static var common: [Param] {
    [Param("title", .string, default: .string("")), Param("dpi", .number, default: .number(100)),
     Param("size", .optional(.any), default: .none), Param("font_size", .number, default: .number(9))]
  }

  /// What `common` means, appended to each figure's doc.
  static let commonDoc = "\npath ends in .png, .svg or .pdf; without a path the figure is returned for plot_panels. "
    + "dpi: PNG pixels per inch (100: one pixel per layout unit; 200: the same layout at twice the pixels). "
    + "size: [width, height] in inches (at 100 layout units per inch). font_size: points (default 9). "
    + "Titles and labels may hold $…$ math with _ and ^ scripts, Greek letters and a few symbols: \"$E_\\\\alpha(z^-)$\" (docs/language.md, Figures)."

  /// General charts of values: scatter, lines, heatmap, histogram, image grid.
  static var charts: [Builtin] {
    [
      Builtin("plot_scatter", params: [Param("points", .tensor), path] + common + [
                Param("color", .optional(.tensor), default: .none), Param("groups", .optional(.any), default: .none),
                Param("marker_size", .number, default: .number(3)), Param("alpha", .number, default: .number(0.6)),
                Param("x_label", .string, default: .string("x")), Param("y_label", .string, default: .string("y"))],
              doc: "Scatter plot of [N, 2] points; color: a value per point (viridis, with a colour bar); groups: a label per point; marker_size: marker diameter in layout units; alpha: opacity." + commonDoc,
              impl: scatter),
      Builtin("plot_lines", params: [Param("series"), path] + common + [
                Param("x", .optional(.any), default: .none),
                Param("log_x", .bool, default: .bool(false)), Param("log_y", .bool, default: .bool(false)),
                Param("xlim", .optional(.any), default: .none), Param("ylim", .optional(.any), default: .none),
                Param("x_label", .string, default: .string("step")), Param("y_label", .string, default: .string("")),
                Param("legend", .string, default: .string("best")),
                Param("band", .optional(.any), default: .none), Param("smooth", .number, default: .number(0))],
              doc: """
                Line chart: series is a list/tensor of values, or a record {name: values, …} for several with a legend.
                x: the x values (steps, epochs, K) shared by the series; xlim/ylim: [low, high]; log_x/log_y: log axes;
                legend: "best" (the default: the corner where the box hides the fewest points and line samples), "top right", "top left", "bottom right", "bottom left" or "none".
                band: shaded mean ± std — a std per value (a list, or a record with the series' names), or true when each
                series is a [runs, T] tensor (its mean is drawn, ± one std shaded).
                smooth: exponential moving average weight in [0, 1) (0.9 averages about 19 points); the raw curve stays faint behind.
                """ + commonDoc,
              impl: lines),
      Builtin("plot_heatmap", params: [Param("values", .tensor), path] + common + [
                Param("extent", .optional(.any), default: .none), Param("colormap", .string, default: .string("viridis"))],
              doc: "Heatmap of an [H, W] grid (row 0 at the bottom) with a colour bar; extent: r or [x0, x1, y0, y1]." + commonDoc,
              impl: heatmap),
      Builtin("plot_hist", params: [Param("values", .tensor), path] + common + [
                Param("bins", .positiveInt, default: .number(40)), Param("density", .bool, default: .bool(false))],
              doc: "Histogram of all the values of a tensor." + commonDoc,
              impl: histogram),
      Builtin("plot_images", params: [Param("images", .tensor), path] + common + [
                Param("columns", .optional(.positiveInt), default: .none), Param("padding", .nonNegativeInt, default: .number(2))],
              doc: "A grid of images [N, C, H, W] (C = 1 or 3; values in [−1, 1] or [0, 1]); [N, D] with D = 784 is read as 28×28." + commonDoc,
              impl: images),
    ]
  }

  /// The method's own figures: the learned prior, its chains, samples against data, training statistics.
  static var methodFigures: [Builtin] {
    [
      Builtin("plot_energy", params: [Param("model", .handle(ModelHandle.self)), path] + common + [
                Param("extent", .any, default: .number(3)), Param("grid", .positiveInt, default: .number(100)),
                Param("show", .string, default: .string("density"))],
              doc: "The learned prior of a 2-D latent: show \"density\" p_α(z) ∝ exp(−E_α(z))·N(0, σ0² I) or \"energy\" E_α(z)." + commonDoc,
              impl: energy),
      Builtin("plot_chains", params: [Param("model", .handle(ModelHandle.self)), path] + common + [
                Param("n", .positiveInt, default: .number(8)), Param("steps", .positiveInt, default: .number(60)),
                Param("step", .number, default: .number(0.4)), Param("extent", .any, default: .number(3))],
              doc: "n prior Langevin chains of a 2-D latent drawn over the potential they move on, E_α(z) + ‖z‖²/(2σ0²), with start and end markers." + commonDoc,
              impl: chains),
      Builtin("plot_data_vs_samples", params: [Param("data", .tensor), Param("samples", .tensor), path] + common + [
                Param("titles", .optional(.list), default: .none),
                Param("x_label", .string, default: .string("$x_1$")), Param("y_label", .string, default: .string("$x_2$")),
                Param("shared", .bool, default: .bool(true)),
                Param("marker_size", .number, default: .number(3)), Param("alpha", .number, default: .number(0.6))],
              doc: "Two [N, 2] point sets side by side (data and model samples, or two samplers); titles: the two panel titles (default [\"data\", \"samples\"]); shared: the same limits on both." + commonDoc,
              impl: dataVsSamples),
      Builtin("plot_prior_posterior", params: [Param("model", .handle(ModelHandle.self)), Param("x", .tensor), path] + common,
              doc: "Histograms per latent dimension of prior samples (prior Langevin) against posterior samples for x." + commonDoc,
              impl: priorPosterior),
      Builtin("plot_stats", params: [Param("history"), path] + common + [
                Param("smooth", .optional(.number), default: .none), Param("log_y", .optional(.bool), default: .none),
                Param("robust", .bool, default: .bool(false))],
              doc: """
                One small panel per training statistic (a model, or a history record from train) over the steps, titled in words and math (‖z⁻‖ prior chains' norm for z_neg).
                smooth: EMA weight in [0, 1); by default none up to 200 steps, then an average over about steps/100, the raw values faint behind; the figure's title says the weight once.
                log_y: true puts every statistic whose values are all positive on a log axis (the others stay linear), false none; by default the gradient norms.
                robust: true clips each panel's y range to the 1st–99th percentile of its raw values (plus 5%), so the spike of the first steps does not set the scale.
                """ + commonDoc,
              impl: stats),
    ]
  }

  /// Several figures as the panels of one file.
  static var panels: Builtin {
    Builtin("plot_panels", params: [Param("figures", .list), path] + common + [
              Param("columns", .optional(.positiveInt), default: .none)],
            doc: "The panels of several figures (plot builtins called without a path) side by side in one file: plot_panels([plot_energy(m), plot_stats(m)], \"run.png\", columns: 2). The figures' own titles (plot_stats' smoothing note) follow title, joined by ' · '." + commonDoc,
            impl: panelsImpl)
  }

  // MARK: - Charts

  static func scatter(_ a: Args) throws -> Value {
    var coloring = PointColoring.single(nil)
    if !a.isNone("color") { coloring = .values(try a.numbers(a["color"], "'color'")) }
    if !a.isNone("groups") { coloring = .groups(try a.numbers(a["groups"], "'groups'").map { $0.isFinite ? Int(Swift.max(-1e6, Swift.min(1e6, $0))) : 0 }, names: []) }
    return try a.save(try Figure.scatter(try a.tensor("points"), title: try a.title(), xLabel: try a.string("x_label"),
                                         yLabel: try a.string("y_label"), coloring: coloring, size: try a.number("marker_size"), alpha: try a.number("alpha")))
  }

  /// One series' values: a list or rank-1 tensor; with `runs`, a [runs, T] tensor or a list of lists.
  static func runs(_ a: Args, _ v: Value, _ what: String) throws -> [[Double]] {
    switch v {
    case .tensor(let t) where t.rank == 2:
      let s = t.scalars.map(Double.init)
      let n = t.shape[1]
      return (0..<t.shape[0]).map { Array(s[($0 * n)..<(($0 + 1) * n)]) }
    case .list(let l) where l.contains(where: { if case .list = $0 { return true }; if case .tensor = $0 { return true }; return false }):
      return try l.map { try a.numbers($0, what) }
    default:
      throw a.fail("\(what) must be a [runs, T] tensor or a list of runs when band: true, got \(shown(v))")
    }
  }

  static func lines(_ a: Args) throws -> Value {
    var named: [(String, Value)] = []
    if case .record(let r) = a["series"] { named = r.pairs } else { named = [("", a["series"])] }
    let runsBand: Bool
    var stds: [String: [Double]] = [:]
    switch a["band"] {
    case .none: runsBand = false
    case .bool(let b): runsBand = b
    case .record(let r):
      runsBand = false
      for (k, v) in r.pairs { stds[k] = try a.numbers(v, "band '\(k)'") }
    case let v:
      runsBand = false
      guard named.count == 1 else { throw a.fail("'band' must be a record {name: std values} for several series") }
      stds[named[0].0] = try a.numbers(v, "'band'")
    }
    let smooth = try a.number("smooth")
    guard smooth.isFinite, smooth >= 0, smooth < 1 else { throw a.fail("'smooth' must be in [0, 1), got \(shown(.number(smooth)))") }
    let xs: [Double]? = a.isNone("x") ? nil : try a.numbers(a["x"], "'x'")
    var series: [LineSeries] = []
    var bands: [BandLayer] = []
    for (k, (name, v)) in named.enumerated() {
      let what = name.isEmpty ? "'series'" : "series '\(name)'"
      let color = Palette.color(k)
      var y: [Double]
      if runsBand {
        let (mean, band) = try BandLayer.meanStd(x: xs, runs: try runs(a, v, what), color: color)
        y = mean
        bands.append(band)
      } else {
        y = try a.numbers(v, what)
        if let sd = stds[name] {
          guard sd.count == y.count else { throw a.fail("band for \(what) has \(sd.count) values but the series has \(y.count)") }
          bands.append(try BandLayer(x: xs ?? y.indices.map(Double.init), lower: zip(y, sd).map { $0 - $1 }, upper: zip(y, sd).map { $0 + $1 }, color: color))
        }
      }
      if let xs, xs.count != y.count { throw a.fail("'x' has \(xs.count) values but \(what) has \(y.count)") }
      if smooth > 0 {
        series.append(try LineSeries(x: xs, y: y, color: color, lineWidth: 1, alpha: 0.25))
        y = exponentialMovingAverage(y, weight: smooth)
      }
      series.append(try LineSeries(name: name, x: xs, y: y, color: color))
    }
    let legendName = try a.string("legend")
    var legend: LegendPosition?
    if legendName != "none" {
      guard let p = LegendPosition(rawValue: legendName) else {
        throw a.fail("'legend' must be \(LegendPosition.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")) or \"none\", got \"\(legendName)\"")
      }
      legend = p
    }
    return try a.save(try Figure.lines(series, bands: bands, title: try a.title(), xLabel: try a.string("x_label"), yLabel: try a.string("y_label"),
                                       logX: try a.bool("log_x"), logY: try a.bool("log_y"), xLimits: try a.limits("xlim"), yLimits: try a.limits("ylim"), legend: legend))
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
    let fallback = show == .density
      ? "$p_\\alpha(z) \\propto \\exp(-E_\\alpha(z)) \\cdot N(z; 0, \\sigma_0^2I)$" : "energy $E_\\alpha(z)$"
    return try a.save(try Figure.energyLandscape(energy: try energyGrid(m.model, e, try a.int("grid")), extent: e, show: show,
                                                 title: t.isEmpty ? fallback : t))
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
    // The chains follow −∇[E(z) + ‖z‖²/(2σ0²)]: draw that potential, not E alone.
    return try a.save(try Figure.langevinChains(energy: try energyGrid(m.model, e, 100, potential: true), extent: e, chains: chains,
                                                title: t.isEmpty ? "prior Langevin chains" : t,
                                                colorBarLabel: "$E_\\alpha(z) + \\|z\\|^2/(2\\sigma_0^2)$"))
  }

  static func dataVsSamples(_ a: Args) throws -> Value {
    var titles = ("data", "samples")
    if !a.isNone("titles") {
      let l = try a.list("titles")
      guard l.count == 2, case .string(let t0) = l[0], case .string(let t1) = l[1] else {
        throw a.fail("'titles' must be two strings [left, right], got \(shown(a["titles"]))")
      }
      titles = (t0, t1)
    }
    var fig = try Figure.dataVsSamples(data: try a.tensor("data"), samples: try a.tensor("samples"), titles: titles,
                                       labels: (try a.string("x_label"), try a.string("y_label")), sharedAxes: try a.bool("shared"),
                                       size: try a.number("marker_size"), alpha: try a.number("alpha"))
    fig.title = try a.title()
    return try a.save(fig)
  }

  static func priorPosterior(_ a: Args) throws -> Value {
    let m = try a.model("model")
    let x = try a.tensor("x")
    let zq = try m.model.samplePosterior(x, from: try m.model.posteriorStarts(x, std: 1, using: &a.interpreter.rng), config: m.config.posterior, using: &a.interpreter.rng)
    let zp = try m.model.samplePrior(from: try m.model.initialLatents(x.shape.first ?? 0, using: &a.interpreter.rng), config: m.config.prior, using: &a.interpreter.rng)
    return try a.save(try Figure.priorPosterior(prior: zp, posterior: zq, title: try a.title()))
  }

  static func stats(_ a: Args) throws -> Value {
    var rec: Record
    switch a["history"] {
    case .record(let r): rec = r
    case .opaque(let o as HistoryHandle): rec = o.record
    case .opaque(let o as ModelHandle): rec = HistoryHandle(o.history, encoder: o.model.encoder != nil).record
    default: throw a.fail("'history' must be a model or a history record, got \(shown(a["history"]))")
    }
    let steps = try rec["step"].map { try a.numbers($0, "'step'") }
    var stats: [TrainingStat] = []
    let logY: Bool? = a.isNone("log_y") ? nil : try a.bool("log_y")
    for (k, v) in rec.pairs where k != "step" {
      let vals = try a.numbers(v, "'\(k)'")
      if vals.isEmpty { continue }
      let positive = vals.allSatisfy { $0 > 0 || $0.isNaN }
      let log = logY.map { $0 && positive } ?? k.hasPrefix("grad")
      stats.append(TrainingStat(name: statTitle(k), steps: steps, values: vals, logY: log))
    }
    guard !stats.isEmpty else { throw a.fail("the history is empty: train first") }
    let smooth: Double? = a.isNone("smooth") ? nil : try a.number("smooth")
    return try a.save(try Figure.trainingStats(stats, title: try a.title(), smoothing: smooth, robust: try a.bool("robust")))
  }

  static func panelsImpl(_ a: Args) throws -> Value {
    let items = try a.list("figures")
    guard !items.isEmpty else { throw a.fail("'figures' is empty: give figures made by plot builtins without a path") }
    var panels: [Panel] = []
    var titles = [try a.title()]
    var w = 0, h = 0
    for (i, v) in items.enumerated() {
      guard case .opaque(let o as FigureHandle) = v else {
        throw a.fail("'figures'[\(i)] must be a figure (a plot builtin called without a path), got \(shown(v))")
      }
      panels += o.figure.panels
      // A figure's own title (plot_stats' smoothing note) is kept, after plot_panels' title.
      if !titles.contains(o.figure.title) { titles.append(o.figure.title) }
      w = Swift.max(w, o.figure.panelWidth)
      h = Swift.max(h, o.figure.panelHeight)
    }
    let fig = Figure(panels: panels, columns: try a.optionalInt("columns") ?? Swift.min(panels.count, 3), panelWidth: w, panelHeight: h,
                     title: titles.filter { !$0.isEmpty }.joined(separator: " · "))
    return try a.save(fig)
  }
}

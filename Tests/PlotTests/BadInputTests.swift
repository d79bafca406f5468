// Bad input: clear errors for empty tensors, wrong ranks, non-finite grids and unwritable paths;
// NaN points in scatter and line data are skipped and reported as warnings.
import Engine
import PNG
import Plot
import Testing

/// The message of the `PlotError` that `body` throws, or `nil`.
func plotError(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let e as PlotError {
    return e.description
  } catch {
    return "unexpected \(error)"
  }
}

@Test func scatterShapeErrors() throws {
  #expect(
    plotError { _ = try Figure.scatter(try Tensor.zeros([5, 3])) }
      == "scatter: points must have shape [N, 2], got [5, 3]")
  #expect(
    plotError { _ = try Figure.scatter(try Tensor.zeros([0, 2])) }
      == "scatter: points are empty (shape [0, 2])")
  #expect(
    plotError { _ = try Figure.scatter(try Tensor.zeros([4])) }
      == "scatter: points must have shape [N, 2], got [4]")
  #expect(plotError { _ = try ScatterLayer(x: [1, 2], y: [1]) } == "scatter: x has 2 values but y has 1")
  #expect(
    plotError { _ = try ScatterLayer(x: [1], y: [1], alpha: 2) }
      == "scatter: alpha must be in [0, 1], got 2.0")
  #expect(plotError { _ = try ScatterLayer(x: [1], y: [1], coloring: .values([1, 2])) } != nil)
}

@Test func gridErrors() throws {
  #expect(
    plotError { _ = try Figure.heatmap(try Tensor.zeros([2, 2, 2])) }
      == "heatmap: values must have shape [H, W], got [2, 2, 2]")
  #expect(
    plotError { _ = try Figure.heatmap(try Tensor.zeros([0, 3])) }
      == "heatmap: values are empty (shape [0, 3])")
  let nan = try Tensor(shape: [2, 2], scalars: [0, .nan, 1, .infinity])
  #expect(
    plotError { _ = try Figure.heatmap(nan) } == "heatmap: values contain 2 NaN or infinite entries (of 4)")
  #expect(plotError { _ = try Figure.energyLandscape(energy: nan, extent: Extent(square: 1)) } != nil)
  let bad = Extent(xMin: 1, xMax: 0, yMin: 0, yMax: 1)
  #expect(
    plotError { _ = try Figure.heatmap(try Tensor.zeros([2, 2]), extent: bad) }?.hasPrefix("heatmap: extent")
      == true)
}

@Test func imageGridErrors() throws {
  #expect(
    plotError { _ = try Figure.imageGrid(try Tensor.zeros([2, 8, 8])) }
      == "image grid: images must have shape [N, C, H, W], got [2, 8, 8]")
  #expect(
    plotError { _ = try Figure.imageGrid(try Tensor.zeros([2, 2, 8, 8])) }
      == "image grid: images must have 1 (gray) or 3 (RGB) channels, got shape [2, 2, 8, 8]")
  #expect(
    plotError { _ = try Figure.imageGrid(try Tensor.zeros([0, 1, 8, 8])) }
      == "image grid: images are empty (shape [0, 1, 8, 8])")
  let inf = try Tensor(shape: [1, 1, 1, 2], scalars: [0, -.infinity])
  #expect(
    plotError { _ = try Figure.imageGrid(inf) }
      == "image grid: images contain 1 NaN or infinite values (of 2)")
  #expect(plotError { _ = try Figure.imageGrid(try Tensor.zeros([1, 1, 2, 2]), columns: 0) } != nil)
}

@Test func otherFigureErrors() throws {
  #expect(
    plotError { _ = try Figure.histogram(try Tensor.zeros([0])) } == "histogram: values are empty (shape [0])"
  )
  #expect(
    plotError { _ = try Figure.histogram(try Tensor.zeros([3]), bins: 0) }
      == "histogram: bins must be in 1...10000, got 0")
  #expect(plotError { _ = try Figure.lines([]) } == "line chart: needs at least one series")
  #expect(plotError { _ = try LineSeries(y: []) } == "line: y values are empty")
  #expect(
    plotError {
      _ = try Figure.priorPosterior(prior: try Tensor.zeros([4, 2]), posterior: try Tensor.zeros([4, 3]))
    }
      == "prior vs posterior: prior has D = 2 but posterior has D = 3")
  #expect(
    plotError {
      _ = try Figure.langevinChains(
        energy: try Tensor.zeros([4, 4]), extent: Extent(square: 1), chains: try Tensor.zeros([3, 2]))
    } == "langevin chains: chains must have shape [C, T, 2], got [3, 2]")
  #expect(plotError { _ = try Figure(panels: []).render() } == "figure: needs at least one panel")
  let p = Panel(title: "P", layers: [.line(try LineSeries(y: [1, 2]))], xLimits: 1...1)
  #expect(
    plotError { _ = try Figure(p).render() }
      == "panel 'P': x limits must be finite with lower < upper, got 1.0...1.0")
  #expect(plotError { _ = try Figure.trainingStats([]) } == "training stats: needs at least one statistic")
}

@Test func unwritablePathThrows() throws {
  let fig = try Figure.scatter(try Tensor.zeros([3, 2]))
  let path = "/nonexistent-lebm-dir/plots/a.png"
  #expect(
    plotError { _ = try fig.save(to: path) }
      == "figure: cannot write '\(path)': No such file or directory")
}

@Test func nanPointsAreSkippedWithWarnings() throws {
  let pts = try Tensor(shape: [5, 2], scalars: [0, 0, .nan, 1, 1, 1, 2, .infinity, 2, 2])
  let out = try Figure.scatter(pts).render()
  #expect(out.warnings == ["scatter: skipped 2 of 5 points with NaN or infinite values"])

  let line = try LineSeries(name: "loss", y: [1, .nan, 3, 4])
  let panel = Panel(title: "L", layers: [.line(line)], logY: false)
  #expect(
    try Figure(panel).render().warnings == [
      "line 'loss': skipped 1 of 4 points with NaN or infinite values (panel 'L')"
    ])

  let logLine = try LineSeries(y: [1, 0, -1, 10])
  #expect(
    try Figure.lines([logLine], logY: true).render().warnings == [
      "line: skipped 2 of 4 points with y <= 0 on a log axis"
    ])

  let h = try HistogramLayer(values: [1, 2, .nan])
  #expect(
    try Figure(Panel(layers: [.histogram(h)])).render().warnings == [
      "histogram: skipped 1 of 3 NaN or infinite values"
    ])

  let dir = try temporaryDirectory("nan")

  defer { removeDirectory(dir) }
  let r = try Figure.scatter(pts).save(to: dir + "/nan.png")
  #expect(r.warnings.count == 1)

  let chains = try Tensor(shape: [1, 3, 2], scalars: [0, 0, .nan, 0, 0.5, 0.5])
  let c = try Figure.langevinChains(
    energy: try Tensor.zeros([4, 4]), extent: Extent(square: 1), chains: chains)
  let cw = try c.render().warnings
  #expect(
    cw == ["line: skipped 1 of 3 points with NaN or infinite values (panel 'Langevin chains')"], "\(cw)")
}

// LegendPlacement: where a legend hides the least data. Each layer says where it draws (markers,
// points along its lines every few units, a grid inside its bars); the legend goes in the corner
// whose box covers the fewest of those points.

/// Chooses a legend's corner and places its box.
enum LegendPlacement {
  /// How far the box sits from the plot area's edges.
  static let inset = 6.0
  /// The spacing of the samples taken along lines and inside bars, in layout units.
  static let spacing = 3.0
  /// The most samples one layer gives (long lines are thinned to about this many).
  static let maxSamples = 20_000
  /// The corners tried, in the order that breaks ties.
  static let corners: [LegendPosition] = [.topRight, .topLeft, .bottomLeft, .bottomRight]

  /// The box of a `width`×`height` legend at `position` (a corner) inside `rect`.
  static func box(_ position: LegendPosition, width: Double, height: Double, in rect: Rect) -> Rect {
    let left = position == .topLeft || position == .bottomLeft
    let top = position == .topLeft || position == .topRight || position == .best
    let x = left ? rect.minX + inset : rect.maxX - inset - width
    let y = top ? rect.minY + inset : rect.maxY - inset - height
    return Rect(x: x.rounded(), y: y.rounded(), width: width, height: height.rounded(.up))
  }

  /// The corner whose box covers the fewest of `points` (the first of ``corners`` among equals).
  static func best(width: Double, height: Double, in rect: Rect, points: [Point]) -> LegendPosition {
    var choice = corners[0]
    var fewest = Int.max
    for corner in corners {
      let b = box(corner, width: width, height: height, in: rect)
      // A margin of a few units: a line just outside the box still crowds it.
      let r = Rect(x: b.minX - 2, y: b.minY - 2, width: b.width + 4, height: b.height + 4)
      let n = points.reduce(0) { $0 + (r.contains($1) ? 1 : 0) }
      if n < fewest {
        fewest = n
        choice = corner
      }
    }
    return choice
  }

  /// Points every ``spacing`` units along a polyline (its vertices included); a run of more
  /// vertices than ``maxSamples`` is thinned to every k-th vertex first.
  static func samples(along path: [Point]) -> [Point] {
    guard path.count > 1 else { return path }
    let step = Swift.max(1, path.count / maxSamples)
    let kept = step == 1 ? path : stride(from: 0, to: path.count, by: step).map { path[$0] }
    var out: [Point] = [kept[0]]
    for (a, b) in zip(kept, kept.dropFirst()) {
      let d = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
      let n = Swift.min(Int((d / spacing).rounded(.up)), 200)
      if n > 1 {
        for k in 1..<n {
          let t = Double(k) / Double(n)
          out.append(Point(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)))
        }
      }
      out.append(b)
      if out.count > 4 * maxSamples { break }
    }
    return out
  }
}

extension ScatterLayer {
  func coverage(frame: PlotFrame) -> [Point] {
    x.indices.compactMap { frame.point(x[$0], y[$0]) }
  }
}

extension LineSeries {
  func coverage(frame: PlotFrame) -> [Point] {
    var out: [Point] = []
    var run: [Point] = []
    for i in x.indices {
      if let p = frame.point(x[i], y[i]) {
        run.append(p)
      } else {
        out += LegendPlacement.samples(along: run)
        run = []
      }
    }
    return out + LegendPlacement.samples(along: run)
  }
}

extension HistogramLayer {
  /// A grid of points inside each bar.
  func coverage(frame: PlotFrame) -> [Point] {
    let r = binRange
    let w = (r.upperBound - r.lowerBound) / Double(bins)
    let baseY = frame.rect.maxY
    var out: [Point] = []
    for (k, v) in heights.enumerated() where v > 0 {
      let x0 = r.lowerBound + Double(k) * w
      guard let a = frame.point(x0, v), let b = frame.point(x0 + w, v) else { continue }
      let top = Swift.max(a.y, frame.rect.minY)
      var y = top
      while y <= baseY, out.count < LegendPlacement.maxSamples {
        var x = a.x
        while x <= b.x {
          out.append(Point(x, y))
          x += LegendPlacement.spacing
        }
        y += LegendPlacement.spacing
      }
    }
    return out
  }
}

import Engine
import Foundation
import Testing
@testable import Datasets

@Suite struct ToyTests {
  func points(_ d: Dataset) -> [(Float, Float)] {
    let s = d.x.scalars
    return (0..<d.count).map { (s[2 * $0], s[2 * $0 + 1]) }
  }

  @Test(arguments: Toy.names) func shapeAndDeterminism(name: String) throws {
    let a = try Dataset.toy(name, n: 500, seed: 7)
    let b = try Dataset.toy(name, n: 500, seed: 7)
    let c = try Dataset.toy(name, n: 500, seed: 8)
    #expect(a.x.shape == [500, 2])
    #expect(a.x.scalars == b.x.scalars)
    #expect(a.labels == b.labels)
    #expect(a.x.scalars != c.x.scalars)
    #expect(a.x.isFinite)
    #expect(a.name == name)
    if let l = a.labels, let k = a.classes { #expect(l.allSatisfy { (0..<k).contains($0) }) }
  }

  @Test func eightGaussiansSitOnTheirCentres() throws {
    let n = 8000
    let d = try Dataset.toy("8gaussians", n: n, seed: 1)
    var counts = [Int](repeating: 0, count: 8)
    for (i, (x, y)) in points(d).enumerated() {
      let dist = Toy.eightCentres.map { hypotf(x - $0.0, y - $0.1) }
      let k = dist.indices.min { dist[$0] < dist[$1] }!
      #expect(dist[k] < 0.5)
      #expect(k == d.labels![i])
      counts[k] += 1
    }
    for c in counts { #expect(abs(Double(c) / Double(n) - 0.125) < 0.02) }
    #expect(abs(hypotf(Toy.eightCentres[1].0, Toy.eightCentres[1].1) - 2) < 1e-5)
    // The spread about each centre is the default std 0.1.
    let dx = points(d).enumerated().map { $0.element.0 - Toy.eightCentres[d.labels![$0.offset]].0 }
    let sd = sqrt(dx.map { $0 * $0 }.reduce(0, +) / Float(n))
    #expect(abs(sd - 0.1) < 0.01)
    let wide = try Dataset.toy("8gaussians", n: n, seed: 1, std: 0.3)
    let wx = points(wide).enumerated().map { $0.element.0 - Toy.eightCentres[wide.labels![$0.offset]].0 }
    #expect(abs(sqrt(wx.map { $0 * $0 }.reduce(0, +) / Float(n)) - 0.3) < 0.03)
  }

  @Test func twentyFiveGaussiansFillTheGrid() throws {
    let d = try Dataset.toy("25gaussians", n: 10000, seed: 2)
    var counts = [Int](repeating: 0, count: 25)
    for (x, y) in points(d) {
      let gx = x.rounded(), gy = y.rounded()
      #expect(abs(x - gx) < 0.3 && abs(y - gy) < 0.3)
      #expect(abs(gx) <= 2 && abs(gy) <= 2)
      counts[Int(gx + 2) * 5 + Int(gy + 2)] += 1
    }
    #expect(counts.allSatisfy { abs(Double($0) / 10000 - 0.04) < 0.015 })
  }

  @Test func swissRollFollowsItsCurve() throws {
    let d = try Dataset.toy("swissroll", n: 1000, seed: 3, std: 0)
    for (x, y) in points(d) {
      let t = 5 * hypotf(x, y)
      #expect(t >= 1.5 * .pi - 1e-3 && t <= 4.5 * .pi + 1e-3)
      #expect(abs(x - t * cosf(t) / 5) < 1e-3 && abs(y - t * sinf(t) / 5) < 1e-3)
    }
    #expect(d.labels == nil)
  }

  @Test func moonsAreTwoHalfCircles() throws {
    let d = try Dataset.toy("moons", n: 2000, seed: 4, std: 0)
    for (i, (x, y)) in points(d).enumerated() {
      let upper = d.labels![i] == 0
      let (cx, cy): (Float, Float) = upper ? (-0.5, -0.25) : (0.5, 0.25)
      #expect(abs(hypotf(x - cx, y - cy) - 1) < 1e-4)
      #expect(upper ? y >= cy - 1e-4 : y <= cy + 1e-4)
    }
    let ones = d.labels!.filter { $0 == 1 }.count
    #expect(abs(Double(ones) / 2000 - 0.5) < 0.05)
  }

  @Test func ringsHaveTheirRadii() throws {
    let d = try Dataset.toy("rings", n: 2000, seed: 5, std: 0)
    for (i, (x, y)) in points(d).enumerated() {
      #expect(abs(hypotf(x, y) - Toy.ringRadii[d.labels![i]]) < 1e-4)
    }
    let noisy = try Dataset.toy("rings", n: 4000, seed: 5)
    let off = points(noisy).enumerated().map {
      hypotf($0.element.0, $0.element.1) - Toy.ringRadii[noisy.labels![$0.offset]]
    }
    #expect(abs(sqrt(off.map { $0 * $0 }.reduce(0, +) / 4000) - 0.05) < 0.01)
  }

  @Test func checkerboardUsesOnlyDarkSquares() throws {
    let d = try Dataset.toy("checkerboard", n: 8000, seed: 6)
    var counts = [Int: Int]()
    for (x, y) in points(d) {
      #expect(abs(x) <= 2 && abs(y) <= 2)
      let cx = Int((x + 2).rounded(.down)), cy = Int((y + 2).rounded(.down))
      #expect((cx + cy) % 2 == 0)
      counts[cx * 4 + cy, default: 0] += 1
    }
    #expect(counts.count == 8)
    #expect(counts.values.allSatisfy { abs(Double($0) / 8000 - 0.125) < 0.02 })
  }

  @Test func pinwheelHasFiveArms() throws {
    let d = try Dataset.toy("pinwheel", n: 5000, seed: 9)
    #expect(d.classes == 5)
    // Each arm's mean direction is distinct, and the arms are roughly equally used.
    var sums = [(Float, Float)](repeating: (0, 0), count: 5), counts = [Int](repeating: 0, count: 5)
    for (i, (x, y)) in points(d).enumerated() {
      let k = d.labels![i]
      sums[k].0 += x; sums[k].1 += y; counts[k] += 1
    }
    let angles = (0..<5).map { atan2f(sums[$0].1, sums[$0].0) }
    for a in 0..<5 { for b in (a + 1)..<5 { #expect(abs(remainderf(angles[a] - angles[b], 2 * .pi)) > 0.8) } }
    #expect(counts.allSatisfy { abs(Double($0) / 5000 - 0.2) < 0.03 })
    #expect(points(d).allSatisfy { hypotf($0.0, $0.1) < 3.5 })
  }

  @Test func unknownNameListsTheKnownOnes() throws {
    let msg = errorMessage { try Dataset.toy("9gaussians", n: 10) }
    #expect(msg?.contains("9gaussians") == true)
    for name in Toy.names { #expect(msg?.contains(name) == true) }
    #expect(errorMessage { try Dataset.toy("moons", n: -1) } != nil)
    #expect(errorMessage { try Dataset.toy("moons", n: 10, std: -1) } != nil)
    #expect(errorMessage { try Dataset.toy("moons", n: 10, std: .nan) } != nil)
    #expect(try Dataset.toy("moons", n: 0).x.shape == [0, 2])
  }
}

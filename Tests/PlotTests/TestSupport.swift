// Helpers shared by the Plot tests: deterministic data, temporary paths and pixel queries.
import Engine
import Foundation
import FoundationXML
import PNG
import Testing

@testable import Plot

/// A fresh, uniquely named temporary directory for one test; the test removes it with
/// ``removeDirectory(_:)``.
func temporaryDirectory(_ name: String) throws -> String {
  let dir = NSTemporaryDirectory() + "lebm-plot-\(name)-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

/// Removes a directory made by ``temporaryDirectory(_:)`` and everything in it.
func removeDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

/// The colour at (x, y) of a decoded RGB or RGBA image (figures on an opaque background are RGB).
func color(_ img: PNGImage, _ x: Int, _ y: Int) -> Color {
  let p = img.pixel(x: x, y: y)
  return p.count == 4 ? Color(p[0], p[1], p[2], p[3]) : (p.count == 3 ? Color(p[0], p[1], p[2]) : .transparent)
}

/// How many pixels in `[x0, x1) × [y0, y1)` differ from `background`.
func inked(_ img: PNGImage, x: Range<Int>, y: Range<Int>, background: Color = .white) -> Int {
  var n = 0
  for yy in y { for xx in x where color(img, xx, yy) != background { n += 1 } }
  return n
}

/// Whether two colours agree within `tolerance` per channel.
func near(_ a: Color, _ b: Color, _ tolerance: Int = 2) -> Bool {
  abs(Int(a.r) - Int(b.r)) <= tolerance && abs(Int(a.g) - Int(b.g)) <= tolerance
    && abs(Int(a.b) - Int(b.b)) <= tolerance && abs(Int(a.a) - Int(b.a)) <= tolerance
}

/// Saves `figure` to `dir/name`, reads it back, and returns both.
func roundTrip(_ figure: Figure, _ dir: String, _ name: String) throws -> (FigureResult, PNGImage) {
  let r = try figure.save(to: dir + "/" + name)
  return (r, try PNGCodec.read(from: r.path))
}

// MARK: - Deterministic example data

/// The 8-Gaussian ring: centres on a circle of radius 2.
let ringCentres: [(Double, Double)] = (0..<8).map { k in
  let a = Double(k) * Double.pi / 4
  return (2 * cos(a), 2 * sin(a))
}

/// `n` points from the 8-Gaussian ring (σ = 0.2) and their mode index.
func ringSamples(_ n: Int, seed: UInt64) throws -> (Tensor, [Int]) {
  var rng = RandomGenerator(seed: seed)
  var s: [Float] = []
  var g: [Int] = []
  for _ in 0..<n {
    let k = rng.int(below: 8)
    s.append(Float(ringCentres[k].0) + 0.2 * rng.normal())
    s.append(Float(ringCentres[k].1) + 0.2 * rng.normal())
    g.append(k)
  }
  return (try Tensor(shape: [n, 2], scalars: s), g)
}

/// An energy whose prior exp(−E)·N(0, I) has modes near the ring centres.
func ringEnergy(_ x: Double, _ y: Double) -> Double {
  var s = 0.0
  for (cx, cy) in ringCentres { s += exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * 0.09)) }
  return -log(s + 1e-12) - (x * x + y * y) / 2 + 0.5 * pow(sqrt(x * x + y * y) - 2, 2)
}

/// `ringEnergy` on the cell centres of an `n`×`n` grid over `extent`, as `[n, n]`.
func ringEnergyGrid(_ n: Int, _ extent: Extent) throws -> Tensor {
  let c = try extent.cellCenters(rows: n, columns: n).scalars
  let e = stride(from: 0, to: c.count, by: 2).map { Float(ringEnergy(Double(c[$0]), Double(c[$0 + 1]))) }
  return try Tensor(shape: [n, n], scalars: e)
}

/// `chains` Langevin chains of `steps` steps on E(z) + |z|²/2 (finite-difference gradient), `[C, T, 2]`.
func langevinChains(chains: Int, steps: Int, stepSize s: Double, seed: UInt64) throws -> Tensor {
  var rng = RandomGenerator(seed: seed)
  var out: [Float] = []
  func u(_ x: Double, _ y: Double) -> Double { ringEnergy(x, y) + (x * x + y * y) / 2 }
  for _ in 0..<chains {
    var x = Double(rng.normal()) * 0.8
    var y = Double(rng.normal()) * 0.8
    for _ in 0..<steps {
      out.append(Float(x))
      out.append(Float(y))
      let h = 1e-4
      let gx = (u(x + h, y) - u(x - h, y)) / (2 * h)
      let gy = (u(x, y + h) - u(x, y - h)) / (2 * h)
      x += -s * s / 2 * gx + s * Double(rng.normal())
      y += -s * s / 2 * gy + s * Double(rng.normal())
    }
  }
  return try Tensor(shape: [chains, steps, 2], scalars: out)
}

/// Checks that the file at `path` is well-formed XML whose root is an `<svg>` of `width`×`height` points.
func checkSVG(_ path: String, width: Int, height: Int) throws {
  final class Root: NSObject, XMLParserDelegate {
    var name: String?
    var attributes: [String: String] = [:]
    func parser(
      _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
      attributes attributeDict: [String: String] = [:]
    ) {
      if name == nil {
        name = elementName
        attributes = attributeDict
      }
    }
  }
  let data = try Data(contentsOf: URL(fileURLWithPath: path))
  let parser = XMLParser(data: data)
  let root = Root()
  parser.delegate = root
  #expect(parser.parse(), "\(path): \(parser.parserError.map { "\($0)" } ?? "not XML")")
  #expect(root.name == "svg", "\(path): root is \(root.name ?? "missing")")
  #expect(root.attributes["width"] == "\(width)pt" && root.attributes["height"] == "\(height)pt", "\(path): \(root.attributes)")
}

/// Checks the structure of the PDF at `path` (header, one page object, trailer, end marker) and,
/// when `pdfinfo` is installed, that it reads one page of `width`×`height` points.
func checkPDF(_ path: String, width: Int, height: Int) throws {
  let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
  let text = String(decoding: bytes, as: UTF8.self)
  let header = text.hasPrefix("%PDF-1.")
  let page = text.contains("/Type /Page ") || text.contains("/Type /Page\n")
  let ends = text.contains("trailer") && text.hasSuffix("%%EOF\n")
  let dated = text.contains("/CreationDate (20000101000000Z)") || text.contains("/CreationDate (D:20000101000000")
  #expect(header, "\(path): no PDF header")
  #expect(page, "\(path): no page object")
  #expect(ends, "\(path): no trailer or end marker")
  #expect(dated, "\(path): creation date not fixed")
  let tool = ["/usr/bin/pdfinfo", "/usr/local/bin/pdfinfo"].first { FileManager.default.isExecutableFile(atPath: $0) }
  guard let tool else { return }
  let p = Process()
  p.executableURL = URL(fileURLWithPath: tool)
  p.arguments = [path]
  let out = Pipe()
  p.standardOutput = out
  p.standardError = Pipe()
  try p.run()
  let info = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  p.waitUntilExit()
  #expect(p.terminationStatus == 0, "\(path): pdfinfo failed")
  #expect(info.contains("Pages:           1"), "\(path): \(info)")
  #expect(info.contains("Page size:       \(width) x \(height) pts"), "\(path): \(info)")
}

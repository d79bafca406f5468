// Regression tests for "bounded work for any file": every loader refuses a file that declares more
// than the engine's limit before doing the work, never waits on a FIFO, and never drops a CSV row
// without saying so.
import Engine
import Foundation
import Glibc
import Testing
@testable import Datasets

@Suite struct BoundedInputTests {
  /// A PNG chunk: length, type, data, CRC-32 of type and data.
  func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    let body = Array(type.utf8) + data
    var crc: UInt32 = 0xffff_ffff
    for b in body {
      crc ^= UInt32(b)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
    }
    return be(UInt32(data.count)) + body + be(~crc)
  }

  /// A tiny PNG whose header declares `width × height` (RGBA when `alpha`, else gray) and holds no pixels.
  func declaredPNG(width: UInt32, height: UInt32, alpha: Bool) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    let ihdr = be(width) + be(height) + [8, alpha ? 6 : 0, 0, 0, 0]
    return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + chunk("IHDR", ihdr)
      + chunk("IDAT", [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
  }

  @Test func idxHeaderPastTheLimitIsRefusedBeforeInflating() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    // 1,369,568 images of 28×28 declared, a little data: refused from the header alone.
    let bytes = idxBytes(magic: 0x803, dims: [1_369_568, 28, 28], data: [UInt8](repeating: 0, count: 4096))
    let p = try dir.write(try Gzip.compress(bytes), "bomb-images-idx3-ubyte.gz")
    let m = errorMessage { try Dataset.idx(imagesPath: p) }
    #expect(m == "\(p): the header's sizes [1369568, 28, 28]: would need 1073741312 elements (4.3 GB), more "
      + "than the limit of 2^28 elements; raise it with the environment variable LEBM_MAX_ELEMENTS "
      + "(e.g. LEBM_MAX_ELEMENTS=2^30)")
  }

  @Test func idxGzipStopsAtTheDeclaredSize() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    // 10 images declared, then six gzip members of 4 MB of zeros each: inflating stops after 7841 bytes.
    let good = try Gzip.compress(idxBytes(magic: 0x803, dims: [10, 28, 28], data: [UInt8](repeating: 1, count: 7840)))
    let member = try Gzip.compress([UInt8](repeating: 0, count: 4 << 20))
    let p = try dir.write(good + (0..<6).flatMap { _ in member }, "multi.gz")
    let m = errorMessage { try Dataset.idx(imagesPath: p) }
    #expect(m == "\(p): expected 7840 bytes of data, found more once decompressed")
    // The same file without the extra members loads.
    #expect(try Dataset.idx(imagesPath: try dir.write(good, "ok.gz")).x.shape == [10, 1, 28, 28])
  }

  @Test func gzipTakesAMaximumOutput() throws {
    let gz = try Gzip.compress([UInt8](repeating: 7, count: 100_000))
    #expect(errorMessage { try Gzip.decompress(gz, path: "z.gz", maxOutput: 1000) }
      == "z.gz: the gzip data decompresses to more than 1000 bytes, the most expected")
    #expect(try Gzip.prefix(gz, count: 10, path: "z.gz") == [UInt8](repeating: 7, count: 10))
  }

  @Test func pngDeclaredSizeIsCheckedBeforeDecoding() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    try FileIO.mkdir(dir.file("huge"))
    let p = try dir.write(declaredPNG(width: 65536, height: 65536, alpha: true), "huge/a.png")
    #expect(errorMessage { try Dataset.pngFolder(dir.file("huge")) }
      == "\(p): cannot decode PNG: png: cannot read '\(p)': the header declares a 65536x65536 RGBA image, "
        + "17179869184 bytes of pixels, more than the limit of 268435456")
    try FileIO.mkdir(dir.file("big"))
    let q = try dir.write(declaredPNG(width: 30000, height: 30000, alpha: false), "big/a.png")
    #expect(errorMessage { try Dataset.pngFolder(dir.file("big")) }?.hasPrefix(
      "\(q): cannot decode PNG: png: cannot read '\(q)': the header declares a 30000x30000 gray image") == true)
  }

  @Test func fifosAreRefusedWithoutWaiting() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    try FileIO.mkdir(dir.file("pngs"))
    #expect(mkfifo(dir.file("pngs/a.png"), 0o600) == 0)
    #expect(mkfifo(dir.file("f"), 0o600) == 0)
    let f = dir.file("f"), a = dir.file("pngs/a.png")
    let fifo = "is a FIFO (named pipe), not a regular file"
    #expect(errorMessage { try Dataset.pngFolder(dir.file("pngs")) }
      == "\(a): cannot decode PNG: png: cannot read '\(a)': \(fifo)")
    #expect(errorMessage { try Dataset.idx(imagesPath: f) } == "\(f): cannot read: \(fifo)")
    #expect(errorMessage { try Dataset.csv(f) } == "\(f): cannot read: \(fifo)")
    #expect(errorMessage { try Dataset.cifar10(files: [f]) } == "\(f): cannot read: \(fifo)")
    #expect(errorMessage { try Dataset.csv("/dev/zero") } == "/dev/zero: cannot read: is a character device, not a regular file")
  }

  @Test func csvByteOrderMarkIsDropped() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write([0xef, 0xbb, 0xbf] + Array("1,2,3\n4,5,6\n".utf8), "bom.csv")
    let d = try Dataset.csv(p)
    #expect(d.x.shape == [2, 3] && d.columnNames == nil)
    let h = try dir.write([0xef, 0xbb, 0xbf] + Array("a,b\n4,5\n".utf8), "bomh.csv")
    #expect(try Dataset.csv(h).columnNames == ["a", "b"])
  }

  @Test func csvNumbersNeverMakeAHeader() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    for (name, first) in [("nan", "nan"), ("inf", "inf"), ("big", "1e39"), ("neg", "-inf")] {
      let p = try dir.write("\(first),2,3\n4,5,6\n", "\(name).csv")
      #expect(errorMessage { try Dataset.csv(p) } == "\(p):1:1: \"\(first)\" is not a finite Float32 number")
    }
    // An explicit header: true still skips the row (and says so in the summary).
    let p = try dir.write("nan,2,3\n4,5,6\n", "h.csv")
    let d = try Dataset.csv(p, header: true)
    #expect(d.x.shape == [1, 3] && d.columnNames == ["nan", "2", "3"])
    #expect(d.description.hasSuffix("header row nan, 2, 3"))
    // header: false keeps a text first row as data, which is then an error naming it.
    let t = try dir.write("x,y\n1,2\n", "t.csv")
    #expect(errorMessage { try Dataset.csv(t, header: false) } == "\(t):1:1: \"x\" is not a number")
    #expect(try Dataset.csv(t).columnNames == ["x", "y"])
  }
}

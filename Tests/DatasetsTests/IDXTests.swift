import Engine
import Foundation
import Testing
@testable import Datasets

@Suite struct IDXTests {
  let pixels: [UInt8] = (0..<(3 * 4 * 5)).map { UInt8($0 * 4) }
  var imageFile: [UInt8] { idxBytes(magic: 0x803, dims: [3, 4, 5], data: pixels) }
  let labelFile = idxBytes(magic: 0x801, dims: [3], data: [2, 0, 1])

  @Test func rawRoundTrip() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let d = try Dataset.idx(imagesPath: try dir.write(imageFile, "img.idx"),
                            labelsPath: try dir.write(labelFile, "lab.idx"))
    #expect(d.x.shape == [3, 1, 4, 5])
    #expect(d.x.scalars == pixels.map { Float($0) / 127.5 - 1 })
    #expect(d.labels == [2, 0, 1] && d.classes == 3)
    #expect(d.name == "img")
    let unlabelled = try Dataset.idx(imagesPath: dir.file("img.idx"))
    #expect(unlabelled.labels == nil && unlabelled.count == 3)
  }

  @Test func gzipRoundTrip() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let gz = try Gzip.compress(imageFile)
    #expect(gz[0] == 0x1f && gz[1] == 0x8b && gz.count < imageFile.count + 40)
    let d = try Dataset.idx(imagesPath: try dir.write(gz, "img.idx.gz"),
                            labelsPath: try dir.write(try Gzip.compress(labelFile), "lab.idx.gz"))
    #expect(d.x.scalars == pixels.map { Float($0) / 127.5 - 1 })
    #expect(d.labels == [2, 0, 1])
    #expect(d.name == "img")
    // A mix of compressed and plain works too; so does a file of two concatenated gzip members.
    let half = imageFile.count / 2
    let twoMembers = try Gzip.compress(Array(imageFile[..<half])) + Gzip.compress(Array(imageFile[half...]))
    let e = try Dataset.idx(imagesPath: try dir.write(twoMembers, "two.gz"),
                            labelsPath: try dir.write(labelFile, "l"))
    #expect(e.x.scalars == d.x.scalars)
  }

  @Test func gzipLargeAndCorrupt() throws {
    let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    #expect(try Gzip.decompress(try Gzip.compress(big), path: "x", maxOutput: 1 << 20) == big)
    let gz = try Gzip.compress(big)
    let cut = errorMessage { try Gzip.decompress(Array(gz[..<(gz.count / 2)]), path: "cut.gz", maxOutput: 1 << 20) }
    #expect(cut?.hasPrefix("cut.gz: truncated gzip") == true)
    var bad = gz
    for i in 20..<60 { bad[i] ^= 0x5a }
    #expect(errorMessage { try Gzip.decompress(bad, path: "bad.gz", maxOutput: 1 << 20) }?.hasPrefix("bad.gz: corrupt gzip") == true)
    #expect(try Gzip.decompress(try Gzip.compress([]), path: "e", maxOutput: 1 << 20) == [])
  }

  @Test func wrongMagicNamesTheFile() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write(idxBytes(magic: 0x1234_5678, dims: [], data: []), "weird.idx")
    let msg = errorMessage { try Dataset.idx(imagesPath: p) }
    #expect(msg == "\(p): not an IDX file (magic 0x12345678, expected 0x00000803 for images)")
    // A label file given as images, and images as labels.
    let l = try dir.write(labelFile, "labels.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: l) }?.contains("magic 0x00000801") == true)
    let i = try dir.write(imageFile, "images.idx")
    let swapped = errorMessage { try Dataset.idx(imagesPath: i, labelsPath: i) }
    #expect(swapped?.hasPrefix("\(i): not an IDX file") == true)
    let tiny = try dir.write([0, 0], "tiny.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: tiny) }?.hasPrefix("\(tiny): truncated") == true)
  }

  @Test func truncatedBodyNamesTheFile() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write(Array(imageFile.dropLast(7)), "short.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: p) }
      == "\(p): truncated: expected 60 bytes of data, found 53")
    let gz = try dir.write(try Gzip.compress(Array(imageFile.dropLast(7))), "short.idx.gz")
    #expect(errorMessage { try Dataset.idx(imagesPath: gz) }
      == "\(gz): truncated: expected 60 bytes of data, found 53")
    let header = try dir.write(Array(imageFile[..<10]), "header.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: header) }?.contains("the header needs 16 bytes") == true)
    let long = try dir.write(imageFile + [1, 2], "long.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: long) }?.contains("2 extra") == true)
  }

  @Test func countMismatchAndMissingFiles() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let img = try dir.write(imageFile, "img.idx")
    let lab = try dir.write(idxBytes(magic: 0x801, dims: [2], data: [1, 1]), "lab.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: img, labelsPath: lab) }
      == "\(lab): 2 labels for 3 images in \(img)")
    let missing = dir.file("nope.idx")
    #expect(errorMessage { try Dataset.idx(imagesPath: missing) } == "\(missing): no such file or folder")
    #expect(errorMessage { try Dataset.idx(imagesPath: dir.path) }?.contains("is a folder") == true)
    let fm = errorMessage { try Dataset.fashionMNIST(split: .test, root: dir.path) }
    #expect(fm?.contains("t10k-images-idx3-ubyte") == true)
  }

  @Test func vectorsFromRank2Files() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let p = try dir.write(idxBytes(magic: 0x802, dims: [2, 3], data: [0, 255, 0, 255, 0, 255]), "v.idx")
    let d = try Dataset.idx(imagesPath: p)
    #expect(d.x.shape == [2, 3] && d.x.scalars == [-1, 1, -1, 1, -1, 1])
  }

  static let fashionRoot = "/usr/share/datasets/fashion-mnist"
  static var haveFashion: Bool {
    FileManager.default.fileExists(atPath: fashionRoot + "/t10k-images-idx3-ubyte.gz")
  }

  @Test(.enabled(if: haveFashion)) func fashionMNISTTestSplit() throws {
    let d = try Dataset.fashionMNIST(split: .test)
    #expect(d.x.shape == [10000, 1, 28, 28])
    #expect(d.labels?.count == 10000 && Set(d.labels!) == Set(0..<10))
    #expect(d.classes == 10 && d.classNames?.count == 10)
    let v = d.x.scalars
    #expect(v.min() == -1 && v.max() == 1)
    #expect(d.name == "fashion-mnist/test")
    // Every class has 1,000 test images.
    #expect((0..<10).allSatisfy { k in d.labels!.filter { $0 == k }.count == 1000 })
  }

  @Test(.enabled(if: haveFashion)) func fashionMNISTTrainLoadsQuickly() throws {
    let clock = ContinuousClock()
    var d: Dataset? = nil
    let t = try clock.measure { d = try Dataset.fashionMNIST(split: .train) }
    #expect(d?.x.shape == [60000, 1, 28, 28] && d?.labels?.count == 60000)
    print("fashion-mnist train: 60000 images loaded in \(t) (debug build)")
    #expect(t < .seconds(10))
  }
}

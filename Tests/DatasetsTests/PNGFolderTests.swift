import Engine
import Glibc
import PNG
import Testing
@testable import Datasets

/// A stand-in for the PNG module: each "PNG" file holds `width height channels` and then one value
/// that fills every byte.
struct FakeDecoder: PNGDecoding {
  struct Failure: Error, CustomStringConvertible { var description: String { "bad chunk" } }
  func decodePNG(atPath path: String) throws -> DecodedImage {
    let text = String(decoding: try FileIO.read(path, limit: 1 << 20), as: UTF8.self)
    let f = text.split(separator: " ").compactMap { Int($0) }
    guard f.count == 4 else { throw Failure() }
    return DecodedImage(width: f[0], height: f[1], channels: f[2],
                        pixels: Array(repeating: UInt8(f[3]), count: f[0] * f[1] * f[2]))
  }
}

@Suite struct PNGFolderTests {
  @Test func flatFolder() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    _ = try dir.write("3 2 1 255", "b.png")
    _ = try dir.write("3 2 1 0", "a.PNG")
    _ = try dir.write("not an image", "notes.txt")
    let d = try Dataset.pngFolder(dir.path, decoder: FakeDecoder())
    #expect(d.x.shape == [2, 1, 2, 3] && d.labels == nil)
    #expect(d.x.scalars == Array(repeating: -1, count: 6) + Array(repeating: 1, count: 6))  // a before b
  }

  @Test func subfoldersGiveLabels() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    for (cls, files) in [("dog", ["1.png", "2.png"]), ("cat", ["x.png"])] {
      try FileIO.mkdir(dir.file(cls))
      for f in files { _ = try dir.write("2 2 3 51", "\(cls)/\(f)") }
    }
    try FileIO.mkdir(dir.file("empty"))
    let d = try Dataset.pngFolder(dir.path, decoder: FakeDecoder())
    #expect(d.x.shape == [3, 3, 2, 2])
    #expect(d.classNames == ["cat", "dog"] && d.labels == [0, 1, 1] && d.classes == 2)
    let gray = try Dataset.pngFolder(dir.path, decoder: PNGDecoder { try FakeDecoder().decodePNG(atPath: $0) },
                                     channels: 1)
    #expect(gray.x.shape == [3, 1, 2, 2])
    #expect(abs(gray.x.scalars[0] - (51 / 127.5 - 1)) < 1e-5)
    _ = try dir.write("2 2 3 51", "loose.png")
    #expect(errorMessage { try Dataset.pngFolder(dir.path, decoder: FakeDecoder()) }?.contains("both") == true)
  }

  @Test func oddSizeNamesTheFile() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    _ = try dir.write("4 4 3 0", "a.png")
    let odd = try dir.write("4 5 3 0", "b.png")
    let msg = errorMessage { try Dataset.pngFolder(dir.path, decoder: FakeDecoder()) }
    #expect(msg?.hasPrefix("\(odd): is 4×5 with 3 channels, but \(dir.file("a.png")) is 4×4") == true)
    let gray = try dir.write("4 4 1 0", "b.png")
    #expect(errorMessage { try Dataset.pngFolder(dir.path, decoder: FakeDecoder()) }?.hasPrefix(gray) == true)
    let conv = try Dataset.pngFolder(dir.path, decoder: FakeDecoder(), channels: 3)
    #expect(conv.x.shape == [2, 3, 4, 4])
    let broken = try dir.write("garbage", "c.png")
    #expect(errorMessage { try Dataset.pngFolder(dir.path, decoder: FakeDecoder(), channels: 3) }
      == "\(broken): cannot decode PNG: bad chunk")
  }

  @Test func missingOrEmptyFolder() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    #expect(errorMessage { try Dataset.pngFolder(dir.path, decoder: FakeDecoder()) }
      == "\(dir.path): no .png files")
    let gone = dir.file("gone")
    #expect(errorMessage { try Dataset.pngFolder(gone, decoder: FakeDecoder()) }
      == "\(gone): no such file or folder")
    #expect(errorMessage { try Dataset.pngFolder(dir.path, decoder: FakeDecoder(), channels: 2) } != nil)
  }
}

@Test func pngFolderThroughLibpng() throws {
  let scratch = try TempDir()
  defer { scratch.cleanup() }
  let dir = scratch.path
  for i in 0..<2 {
    let img = try PNGImage(width: 3, height: 2, format: .gray, pixels: [0, 255, 0, 255, 0, UInt8(i * 255)])
    try PNGCodec.write(img, to: "\(dir)/\(i).png")
  }
  let d = try Dataset.pngFolder(dir)
  #expect(d.x.shape == [2, 1, 2, 3])
  #expect(d.x.scalars[0..<6] == [-1, 1, -1, 1, -1, -1])
}

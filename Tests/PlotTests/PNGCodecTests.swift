// PNG: round trips for gray, RGB and RGBA through files and memory, and errors naming the path.
import Foundation
import PNG
import Testing

/// A `w`×`h` image whose bytes follow a fixed pattern.
func patternImage(_ format: PNGFormat, width w: Int = 7, height h: Int = 5) throws -> PNGImage {
  let n = w * h * format.channels
  return try PNGImage(
    width: w, height: h, format: format, pixels: (0..<n).map { UInt8(($0 * 37 + 11) % 256) })
}

@Test(arguments: [PNGFormat.gray, .rgb, .rgba])
func pngFileRoundTrip(format: PNGFormat) throws {
  let dir = try temporaryDirectory("png")
  defer { removeDirectory(dir) }
  let img = try patternImage(format)
  let path = dir + "/round-\(format).png"
  try PNGCodec.write(img, to: path)
  let back = try PNGCodec.read(from: path)
  #expect(back == img)
}

@Test(arguments: [PNGFormat.gray, .rgb, .rgba])
func pngMemoryRoundTrip(format: PNGFormat) throws {
  let img = try patternImage(format, width: 13, height: 3)
  let bytes = try PNGCodec.encode(img)
  #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  #expect(try PNGCodec.decode(bytes) == img)
  // The same image always encodes to the same bytes.
  #expect(try PNGCodec.encode(img) == bytes)
}

@Test func pngReadConvertsLayout() throws {
  let img = try PNGImage(width: 2, height: 1, format: .gray, pixels: [0, 200])
  let rgba = try PNGCodec.decode(try PNGCodec.encode(img), as: .rgba)
  #expect(rgba.pixels == [0, 0, 0, 255, 200, 200, 200, 255])
}

@Test func pngErrorsNameThePath() throws {
  let img = try patternImage(.rgb)
  let bad = "/nonexistent-dir-lebm/sub/out.png"
  let e = #expect(throws: PNGError.self) { try PNGCodec.write(img, to: bad) }
  #expect(e?.message.contains(bad) == true)

  let dir = try temporaryDirectory("png-bad")
  defer { removeDirectory(dir) }
  let text = dir + "/not-a-png.png"
  try "hello".write(toFile: text, atomically: true, encoding: .utf8)
  let r = #expect(throws: PNGError.self) { try PNGCodec.read(from: text) }
  #expect(r?.message.contains(text) == true)
  let m = #expect(throws: PNGError.self) { try PNGCodec.read(from: dir + "/missing.png") }
  #expect(m?.message.contains("missing.png") == true)
  #expect(throws: PNGError.self) { try PNGCodec.decode([1, 2, 3]) }
}

@Test func pngImageChecksSize() {
  #expect(throws: PNGError.self) { try PNGImage(width: 2, height: 2, format: .rgb, pixels: [0, 0, 0]) }
  #expect(throws: PNGError.self) { try PNGImage(width: 0, height: 2, format: .gray, pixels: []) }
}

import Engine
import PNG

extension Dataset {
  /// Images `[N, C, H, W]` in [−1, 1] from a folder of PNGs (or class subfolders), decoded with
  /// libpng. See ``pngFolder(_:decoder:channels:)`` for the rules.
  public static func pngFolder(_ folder: String, channels: Int? = nil) throws -> Dataset {
    try pngFolder(folder, decoder: PNGDecoder { path in
      // Each image becomes as many floats as it has pixel bytes: the engine's limit bounds both.
      let image = try PNGCodec.read(from: path, maxBytes: MemoryLimit.maxElements)
      return DecodedImage(width: image.width, height: image.height, channels: image.format.channels, pixels: image.pixels)
    }, channels: channels)
  }
}

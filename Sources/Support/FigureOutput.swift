// A figure file as every host sees it: what the plotting code wrote, typed, so no host re-reads a
// file or compares strings to learn what it holds.

/// A figure written to a file: its path, format, size and length, as the plotting code knows them.
public struct FigureOutput: Equatable, Sendable {
  /// The file formats figures are written in.
  public enum Format: String, Sendable, CaseIterable {
    case png, svg, pdf

    /// The MIME type a host sends the file's bytes under (Jupyter's display_data keys).
    public var mimeType: String {
      switch self {
      case .png: return "image/png"
      case .svg: return "image/svg+xml"
      case .pdf: return "application/pdf"
      }
    }

    /// The file name extension, without the dot.
    public var fileExtension: String { rawValue }
  }

  /// The file written.
  public var path: String
  public var format: Format
  /// Width and height in pixels (PNG) or points (SVG, PDF).
  public var width: Int, height: Int
  /// The file's length in bytes.
  public var bytes: Int

  public init(path: String, format: Format, width: Int, height: Int, bytes: Int) {
    self.path = path
    self.format = format
    self.width = width
    self.height = height
    self.bytes = bytes
  }

  /// `"(640×480, 12 KB)"` for a PNG, `"(SVG, 12 KB)"` or `"(PDF, 12 KB)"` otherwise.
  public var summary: String {
    let size = Self.formatSize(bytes)
    return format == .png ? "(\(width)×\(height), \(size))" : "(\(format.rawValue.uppercased()), \(size))"
  }

  /// The line hosts print for it: `[figure] path (640×480, 12 KB)`.
  public var line: String { "[figure] \(path) \(summary)" }

  /// Bytes as `"812 B"`, `"3.4 KB"`, `"57 KB"` or `"2.1 MB"`.
  public static func formatSize(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    let kb = Double(bytes) / 1024
    if kb < 10 { return "\(Double((kb * 10).rounded()) / 10) KB" }
    if kb < 1024 { return "\(Int(kb.rounded())) KB" }
    return "\(Double((kb / 1024 * 10).rounded()) / 10) MB"
  }
}

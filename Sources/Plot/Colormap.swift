// Colormap: continuous colour scales (viridis, magma, coolwarm, gray) and a categorical palette.

/// A continuous colour scale: evenly spaced stops, linearly interpolated in sRGB.
public struct Colormap: Sendable, Equatable {
  /// The scale's name, e.g. `viridis`.
  public let name: String
  /// The stops, low end first.
  public let stops: [Color]

  /// A scale through `stops` (at least two), evenly spaced from 0 to 1.
  public init(name: String, stops: [Color]) {
    self.name = name
    self.stops = stops.count >= 2 ? stops : [.black, .white]
  }

  /// The colour at `t` in [0, 1]; `t` outside is clamped, NaN gives the low end.
  public func color(at t: Double) -> Color {
    let u = t.isNaN ? 0 : Swift.min(Swift.max(t, 0), 1) * Double(stops.count - 1)
    let i = Swift.min(Int(u), stops.count - 2)
    let f = u - Double(i)
    let a = stops[i]
    let b = stops[i + 1]
    func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
    return Color(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b), mix(a.a, b.a))
  }

  /// Perceptually uniform blue → green → yellow (matplotlib's default); the default for heatmaps.
  public static let viridis = Colormap(
    name: "viridis",
    stops: [
      0x440154, 0x482878, 0x3E4989, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6ECE58, 0xB5DE2B, 0xFDE725,
    ]
    .map { Color(hex: $0) })
  /// Perceptually uniform black → purple → orange → pale yellow.
  public static let magma = Colormap(
    name: "magma",
    stops: [
      0x000004, 0x180F3D, 0x440F76, 0x721F81, 0x9E2F7F, 0xCD4071, 0xF1605D, 0xFD9668, 0xFECA8D, 0xFCFDBF,
    ]
    .map { Color(hex: $0) })
  /// Diverging blue → light gray → red (Moreland), for signed values around a centre.
  public static let coolwarm = Colormap(
    name: "coolwarm", stops: [0x3B4CC0, 0x8DB0FE, 0xDDDDDD, 0xF49A7B, 0xB40426].map { Color(hex: $0) })
  /// Black → white.
  public static let gray = Colormap(name: "gray", stops: [.black, .white])

  /// The built-in scales by name.
  public static let all: [Colormap] = [.viridis, .magma, .coolwarm, .gray]

  /// The built-in scale called `name`, or `nil`.
  public static func named(_ name: String) -> Colormap? { all.first { $0.name == name.lowercased() } }
}

/// Distinct colours for groups and series (the ten "tab10" colours), reused cyclically.
public enum Palette {
  /// The colours in order.
  public static let categorical: [Color] = [
    0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
  ].map { Color(hex: $0) }

  /// The colour for group or series `index` (any integer; negative indices wrap too).
  public static func color(_ index: Int) -> Color {
    let n = categorical.count
    return categorical[((index % n) + n) % n]
  }
}

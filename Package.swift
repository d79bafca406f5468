// swift-tools-version: 6.0
// lebm: a notebook-style scripting environment for latent space energy-based prior models.
// Layers (DESIGN.md §2), each a target depending only on those below it:
//   lebm → REPL → Lang → {LatentEBM, Datasets, Plot} → Engine → {CBLAS, CKernels}
import PackageDescription

/// The numeric targets are optimised in every configuration, so `swift test` (a debug build) runs
/// training tests at a useful speed; release builds also drop overflow and bounds checks there
/// (every index the kernels use is validated by the throwing API in front of them).
let fast: [SwiftSetting] = [
  .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
  .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
  name: "lebm",
  products: [
    .executable(name: "lebm", targets: ["lebm"]),
    .library(name: "Engine", targets: ["Engine"]),
  ],
  targets: [
    // System libraries, each wrapped once.
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // Products against weights packed once per Langevin chain (AVX2/FMA, chosen at run time).
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

    .target(name: "Engine", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
    .target(name: "PNG", dependencies: ["CPNG"]),
    .target(name: "Plot", dependencies: ["Engine", "PNG"], swiftSettings: fast),
    .target(name: "Datasets", dependencies: ["Engine", "PNG", "CZlib"], swiftSettings: fast),
    .target(name: "LatentEBM", dependencies: ["Engine", "Datasets"], swiftSettings: fast),
    .target(name: "Lang", dependencies: ["Engine", "LatentEBM", "Datasets", "Plot"]),
    .target(name: "REPL", dependencies: ["Lang", "CEditLine"]),
    .executableTarget(name: "lebm", dependencies: ["REPL", "LatentEBM"]),

    .testTarget(name: "EngineTests", dependencies: ["Engine"]),
    .testTarget(name: "PlotTests", dependencies: ["Plot", "PNG"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "PNG"]),
    .testTarget(name: "LatentEBMTests", dependencies: ["LatentEBM"]),
    .testTarget(name: "LangTests", dependencies: ["Lang"], resources: [.copy("Scripts")]),
    .testTarget(name: "REPLTests", dependencies: ["REPL"]),
  ],
  swiftLanguageModes: [.v5]
)

// swift-tools-version: 6.0
// lebm: a notebook-style scripting environment for latent space energy-based prior models.
// Layers, each a target that depends only on targets below it and declares exactly the modules
// it imports (Tests/PackageTests checks this):
//   - the `lebm` executable: the command line's table of commands, plus `lebm bench`;
//   - Kernel (and the `lebm-kernel` program): the Jupyter kernel (ZeroMQ, signed messages) over
//     the REPL's backend;
//   - REPL: the read-eval-print loop, notebooks, the tutorial and the command-line parser, which
//     see the language only through Lang;
//   - Lang: the lebm language, its interpreter and its builtins;
//   - LatentEBM (the model, samplers, training), Datasets (file formats, toy data) and Plot
//     (figures drawn with cairo: PNG, SVG, PDF), side by side;
//   - Engine: tensors, autodiff, layers and optimisers, over OpenBLAS and the C kernels;
//   - PNG, and the system libraries, each wrapped once;
//   - Support: the few file, folder, clock and JSON helpers everything shares.
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
    .executable(name: "lebm-kernel", targets: ["lebm-kernel"]),
    .library(name: "Engine", targets: ["Engine"]),
  ],
  targets: [
    // System libraries, each wrapped once.
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CCmark", pkgConfig: "libcmark-gfm", providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
    .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev", "fonts-dejavu-core"])]),

    // Products against weights packed once per Langevin chain (AVX2/FMA, chosen at run time), and
    // im2col/col2im for 4×4 stride-2 convolutions.
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

    // File, folder and clock helpers without Foundation (start-up stays fast).
    .target(name: "Support"),

    .target(name: "Engine", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
    .target(name: "PNG", dependencies: ["CPNG", "Support"]),
    .target(name: "Plot", dependencies: ["Engine", "PNG", "CCairo", "Support"], swiftSettings: fast),
    .target(name: "Datasets", dependencies: ["Engine", "PNG", "CZlib", "Support"], swiftSettings: fast),
    // Python/ holds the templates of export_torch's files, carried as TorchTemplates.swift
    // (Tools/generate-torch-templates.py writes it; a test checks the two agree).
    .target(name: "LatentEBM", dependencies: ["Engine", "Datasets", "Support"], exclude: ["Python"], swiftSettings: fast),
    .target(name: "Lang", dependencies: ["Engine", "LatentEBM", "Datasets", "Plot", "Support"]),
    .target(name: "REPL", dependencies: ["Lang", "CEditLine", "CCmark", "Support"]),
    .target(name: "Kernel", dependencies: ["REPL", "Support", "CZMQ", "COpenSSL"]),
    .executableTarget(name: "lebm", dependencies: ["REPL", "Lang", "LatentEBM", "Engine", "Support"]),
    // The kernel is its own program so that `lebm` does not load ZeroMQ and OpenSSL at start-up;
    // `lebm kernel …` replaces itself with it.
    .executableTarget(name: "lebm-kernel", dependencies: ["Kernel", "REPL"]),

    .testTarget(name: "PackageTests"),
    .testTarget(name: "SupportTests", dependencies: ["Support"]),
    .testTarget(name: "EngineTests", dependencies: ["Engine", "CKernels"]),
    .testTarget(name: "PlotTests", dependencies: ["Plot", "PNG", "Engine"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "PNG", "Engine", "Support"]),
    .testTarget(name: "LatentEBMTests", dependencies: ["LatentEBM", "Datasets", "Engine", "Support"]),
    .testTarget(name: "LangTests", dependencies: ["Lang", "Engine", "Support"], resources: [.copy("Scripts")]),
    .testTarget(name: "REPLTests", dependencies: ["REPL", "Lang", "Engine", "Support"]),
    .testTarget(name: "KernelTests", dependencies: ["Kernel", "Support"], exclude: ["Resources"]),
  ],
  swiftLanguageModes: [.v5]
)

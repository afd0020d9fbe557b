// swift-tools-version:6.0
// Fovea: a computer-vision toolkit in Swift for Linux.
// Modules are layered; imports point one way:
//   FoveaEngine (tensors, layers, training)  ->  FoveaImage (codecs, image ops)  ->  FoveaPlot (charts)
//   -> FoveaDetection (boxes, IoU, NMS, CenterNet heads, mAP)  ->  FoveaOCR (text lines) | FoveaFace (faces, landmarks, smile)
//   -> FoveaBatch (folders of images through a pipeline, resumable)  ->  fovea (CLI)
import PackageDescription

let package = Package(
    name: "Fovea",
    products: [
        .library(name: "Fovea", targets: ["FoveaEngine", "FoveaImage", "FoveaPlot", "FoveaDetection", "FoveaOCR", "FoveaFace", "FoveaBatch"]),
        .executable(name: "fovea", targets: ["FoveaCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries, found with pkg-config.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // setjmp/longjmp-safe wrappers around libpng and libjpeg (Swift cannot call setjmp).
        .target(name: "CFoveaCodec", dependencies: ["CPNG", "CJPEG"]),

        // Hand-written numeric kernels (direct and Winograd convolution, optimizer
        // updates), multi-versioned for AVX-512 / AVX2 / baseline x86-64.
        .target(name: "CFoveaKernels", dependencies: ["COpenBLAS"],
                // Optimised in debug builds too: the test suite trains and
                // evaluates models through these loops.
                cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-mprefer-vector-width=512"])]),

        .target(name: "FoveaEngine", dependencies: ["COpenBLAS", "CZlib", "CFoveaKernels"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "FoveaImage", dependencies: ["FoveaEngine", "CFoveaCodec"]),
        .target(name: "FoveaPlot", dependencies: ["FoveaImage"]),
        .target(name: "FoveaDetection", dependencies: ["FoveaEngine", "FoveaImage", "FoveaPlot"]),
        .target(name: "FoveaOCR", dependencies: ["FoveaEngine", "FoveaImage", "FoveaPlot", "FoveaDetection", "CZlib"]),
        .target(name: "FoveaFace", dependencies: ["FoveaEngine", "FoveaImage", "FoveaPlot", "FoveaDetection"]),
        .target(name: "FoveaBatch", dependencies: ["FoveaEngine", "FoveaImage", "FoveaDetection", "FoveaOCR", "FoveaFace"]),
        .executableTarget(name: "FoveaCLI", dependencies: [
            "FoveaEngine", "FoveaImage", "FoveaPlot", "FoveaDetection", "FoveaOCR", "FoveaFace", "FoveaBatch",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "FoveaEngineTests", dependencies: ["FoveaEngine"]),
        .testTarget(name: "FoveaImageTests", dependencies: ["FoveaImage"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FoveaPlotTests", dependencies: ["FoveaPlot"]),
        .testTarget(name: "FoveaDetectionTests", dependencies: ["FoveaDetection"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FoveaOCRTests", dependencies: ["FoveaOCR"]),
        .testTarget(name: "FoveaFaceTests", dependencies: ["FoveaFace"]),
        .testTarget(name: "FoveaBatchTests", dependencies: ["FoveaBatch"]),
        .testTarget(name: "FoveaCLITests", dependencies: ["FoveaCLI"], exclude: ["Fixtures"]),
    ]
)

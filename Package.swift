// swift-tools-version:6.0
// Fovea: a computer-vision toolkit in Swift for Linux.
// Modules are layered; imports point one way:
//   FoveaEngine (tensors, layers, training)  ->  FoveaImage (codecs, image ops)  ->  FoveaPlot (charts)
//   -> FoveaDetection (boxes, IoU, NMS, CenterNet heads, mAP)  ->  FoveaOCR (text lines) | FoveaFace (faces, landmarks, smile)
//   -> FoveaService (HTTP, Hummingbird) | FoveaBatch (folders of images through a pipeline, resumable)  ->  fovea (CLI)
//   FoveaEngine -> FoveaExport (ONNX and TensorFlow Lite writers) -> fovea (CLI)
import PackageDescription

let package = Package(
    name: "Fovea",
    products: [
        .library(name: "Fovea", targets: ["FoveaEngine", "FoveaImage", "FoveaPlot", "FoveaDetection", "FoveaOCR", "FoveaFace", "FoveaExport", "FoveaService", "FoveaBatch"]),
        // The readers of untrusted files without the service's packages: what Tools/fuzz links.
        .library(name: "FoveaReaders", targets: ["FoveaEngine", "FoveaImage", "FoveaDetection", "FoveaOCR"]),
        .executable(name: "fovea", targets: ["FoveaCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Only the runtime library: onnx.pb.swift is generated once and committed
        // (see Docs/export.md), so no build plugin runs.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        .target(name: "FoveaExport", dependencies: [
            "FoveaEngine", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["ONNX/onnx.proto"]),
        // The HTTP service: both pipelines behind bounded, micro-batching inference queues.
        .target(name: "FoveaService", dependencies: [
            "FoveaEngine", "FoveaImage", "FoveaDetection", "FoveaOCR", "FoveaFace",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "FoveaBatch", dependencies: ["FoveaEngine", "FoveaImage", "FoveaDetection", "FoveaOCR", "FoveaFace"]),
        .executableTarget(name: "FoveaCLI", dependencies: [
            "FoveaEngine", "FoveaImage", "FoveaPlot", "FoveaDetection", "FoveaOCR", "FoveaFace", "FoveaService", "FoveaBatch", "FoveaExport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "FoveaEngineTests", dependencies: ["FoveaEngine"]),
        .testTarget(name: "FoveaImageTests", dependencies: ["FoveaImage"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FoveaPlotTests", dependencies: ["FoveaPlot"]),
        .testTarget(name: "FoveaDetectionTests", dependencies: ["FoveaDetection"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FoveaOCRTests", dependencies: ["FoveaOCR"]),
        .testTarget(name: "FoveaFaceTests", dependencies: ["FoveaFace"]),
        .testTarget(name: "FoveaServiceTests", dependencies: ["FoveaService"]),
        .testTarget(name: "FoveaExportTests", dependencies: ["FoveaExport"]),
        .testTarget(name: "FoveaBatchTests", dependencies: ["FoveaBatch"]),
        .testTarget(name: "FoveaCLITests", dependencies: ["FoveaCLI"], exclude: ["Fixtures"]),
    ]
)

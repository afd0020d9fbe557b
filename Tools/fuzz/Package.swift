// swift-tools-version:6.0
// libFuzzer targets for Fovea's readers of untrusted files: the PNG and JPEG
// decoders, the COCO JSON reader, the safetensors reader and the IDX reader.
// Built with coverage instrumentation by Tools/fuzz.sh (not part of the main
// package's build or test suite).
import PackageDescription

let package = Package(
    name: "FoveaFuzz",
    dependencies: [.package(name: "Fovea", path: "../..")],
    targets: [.target(name: "CFuzzDriver")] + ["FuzzPNG", "FuzzJPEG", "FuzzCOCO", "FuzzSafetensors", "FuzzIDX"].map {
        .executableTarget(name: $0, dependencies: ["CFuzzDriver", .product(name: "FoveaReaders", package: "Fovea")])
    }
)

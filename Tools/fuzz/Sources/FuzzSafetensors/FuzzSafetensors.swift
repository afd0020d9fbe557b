// libFuzzer target: arbitrary bytes as a safetensors file (header length,
// JSON header, dtypes, shapes and offsets against the data). Errors are fine;
// crashes are bugs.
import FoveaEngine
import Foundation
import CFuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    _ = try? SafetensorsFile(decoding: Data(bytes: data, count: size), source: "fuzz.safetensors")
    return 0
}

@main
enum FuzzSafetensorsMain {
    static func main() {
        exit(fovea_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, { fuzz($0, $1) }))
    }
}

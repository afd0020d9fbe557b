// libFuzzer target: arbitrary bytes as COCO ground truth and as a COCO
// results list (the pull JSON reader underneath). Errors are fine; crashes are bugs.
import FoveaDetection
import CFuzzDriver
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? COCOGroundTruth(json: bytes, name: "fuzz.json")
    _ = try? COCOResults.load(json: bytes, name: "fuzz.json")
    return 0
}

@main
enum FuzzCOCOMain {
    static func main() {
        exit(fovea_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, { fuzz($0, $1) }))
    }
}

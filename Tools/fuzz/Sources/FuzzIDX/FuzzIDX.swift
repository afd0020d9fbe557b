// libFuzzer target: arbitrary bytes as IDX image and label files, raw or
// gzipped (the reader takes a path, so each input is written to a file in
// /dev/shm first). Errors are fine; crashes are bugs.
import FoveaOCR
import Foundation
import CFuzzDriver

private let path = "/dev/shm/fovea-fuzz-idx-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else { return 0 }
    _ = try? IDX.readImages(path: path)
    _ = try? IDX.readLabels(path: path)
    return 0
}

@main
enum FuzzIDXMain {
    static func main() {
        exit(fovea_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, { fuzz($0, $1) }))
    }
}

// libFuzzer target: arbitrary bytes through the PNG decoder (a PNG signature
// is put in front, so every input reaches libpng and the chunk handling).
// Any error is fine; a crash, trap or sanitizer report is a bug.
import FoveaImage
import CFuzzDriver
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if !bytes.starts(with: signature) { bytes = signature + bytes }
    _ = try? Image(decoding: bytes, name: "fuzz.png", options: DecodeOptions(maxPixels: 4_000_000))
    _ = try? ImageInfo(decoding: bytes, name: "fuzz.png")
    return 0
}

@main
enum FuzzPNGMain {
    static func main() {
        exit(fovea_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, { fuzz($0, $1) }))
    }
}

// libFuzzer target: arbitrary bytes through the JPEG decoder (with an SOI
// marker in front), EXIF orientation included. Errors are fine; crashes are bugs.
import FoveaImage
import CFuzzDriver
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if !bytes.starts(with: [0xFF, 0xD8, 0xFF]) { bytes = [0xFF, 0xD8, 0xFF] + bytes }
    _ = try? Image(decoding: bytes, name: "fuzz.jpg", options: DecodeOptions(maxPixels: 4_000_000))
    _ = try? ImageInfo(decoding: bytes, name: "fuzz.jpg")
    return 0
}

@main
enum FuzzJPEGMain {
    static func main() {
        exit(fovea_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, { fuzz($0, $1) }))
    }
}

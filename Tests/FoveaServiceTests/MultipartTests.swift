// Tests of the multipart/form-data reader against a body laid out as curl
// sends it (`curl -F file=@name.png`): boundary lines, part headers, CRLFs.
import XCTest
@testable import FoveaService

final class MultipartTests: XCTestCase {
    private func body(boundary: String, parts: [(headers: String, content: [UInt8])]) -> [UInt8] {
        var out = [UInt8]()
        for p in parts {
            out += Array("--\(boundary)\r\n\(p.headers)\r\n\r\n".utf8) + p.content + Array("\r\n".utf8)
        }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    func testFileFieldIsFoundAmongOtherFieldsWithItsFilename() throws {
        let boundary = "------------------------d74496d66958873e"
        // Content holding CR LF and dashes must come back byte for byte.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 13, 10, 0x1A, 10, 45, 45, 13, 10, 0]
        let data = body(boundary: boundary, parts: [
            ("Content-Disposition: form-data; name=\"note\"", Array("hello".utf8)),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"line 1.png\"\r\nContent-Type: image/png", png),
        ])
        XCTAssertEqual(Multipart.boundary(ofContentType: "multipart/form-data; boundary=\(boundary)"), boundary)
        XCTAssertEqual(Multipart.boundary(ofContentType: "multipart/form-data; charset=utf-8; boundary=\"\(boundary)\""), boundary)
        let upload = try Multipart.file(named: "file", in: data, boundary: boundary)
        XCTAssertEqual(upload.bytes, png)
        XCTAssertEqual(upload.fileName, "line 1.png")
    }

    func testMissingFieldOrBoundaryIsAClientError() {
        XCTAssertNil(Multipart.boundary(ofContentType: "multipart/form-data"))
        let data = body(boundary: "xyz", parts: [("Content-Disposition: form-data; name=\"image\"", [1, 2, 3])])
        XCTAssertThrowsError(try Multipart.file(named: "file", in: data, boundary: "xyz")) { error in
            XCTAssertEqual((error as? ServiceError)?.status.code, 400)
            XCTAssertTrue("\(error)".contains("no part named \"file\""), "\(error)")
        }
        XCTAssertThrowsError(try Multipart.file(named: "file", in: Array("not multipart".utf8), boundary: "xyz")) { error in
            XCTAssertEqual((error as? ServiceError)?.status.code, 400)
        }
    }
}

// Multipart: the `file` field of a multipart/form-data body (RFC 7578), as
// browsers and `curl -F file=@photo.jpg` send it — its bytes and filename.
import Foundation

struct Upload: Sendable {
    var bytes: [UInt8]
    /// The filename the client gave, if any.
    var fileName: String?
}

enum Multipart {
    /// The boundary parameter of a multipart/form-data content type.
    static func boundary(ofContentType contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2
                ? String(pair[1].dropFirst().dropLast()) : pair[1]
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    /// The part named `field`; throws a 400 ServiceError when the body is not
    /// well-formed multipart or has no such part.
    static func file(named field: String, in body: [UInt8], boundary: String) throws -> Upload {
        let delimiter = Array("--\(boundary)".utf8)
        var position = 0
        guard let first = find(delimiter, in: body, from: 0) else {
            throw ServiceError(.badRequest, "multipart body has no part: boundary \(boundary) not found")
        }
        position = first + delimiter.count
        while true {
            // After a delimiter: "--" ends the body, else CRLF and the part's headers.
            if body[position...].starts(with: Array("--".utf8)) { break }
            guard body[position...].starts(with: [13, 10]) else { break }
            let headersStart = position + 2
            guard let headersEnd = find([13, 10, 13, 10], in: body, from: headersStart) else { break }
            let contentStart = headersEnd + 4
            guard let next = find([13, 10] + delimiter, in: body, from: contentStart) else { break }
            let headers = String(decoding: body[headersStart..<headersEnd], as: UTF8.self)
            let disposition = headers.split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-disposition:") }.map(String.init) ?? ""
            if parameter("name", in: disposition) == field {
                return Upload(bytes: Array(body[contentStart..<next]), fileName: parameter("filename", in: disposition))
            }
            position = next + 2 + delimiter.count
        }
        throw ServiceError(.badRequest, "multipart/form-data body has no part named \"\(field)\" (send the image as -F \(field)=@image.png)")
    }

    /// A `key="value"` (or unquoted) parameter of a header line.
    private static func parameter(_ key: String, in header: String) -> String? {
        for item in header.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

// A small pull reader for JSON over raw bytes, used to load COCO files quickly:
// Foundation's JSONSerialization builds a dictionary per detection, which is too slow
// for 100k-detection result files. Errors carry the byte offset, line and column.

import Foundation

/// Malformed JSON, or JSON of the wrong shape for what the caller expected.
public struct JSONReadError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let offset: Int
    public let line: Int
    public let column: Int
    public let message: String
    public var description: String {
        "\(file): \(message) (line \(line), column \(column), byte \(offset))"
    }
}

/// Reads one JSON document token by token. Objects and arrays are walked with
/// callbacks that must consume each value (read it or `skipValue()` it).
final class JSONReader {
    // The document followed by one 0 byte, so number scans and strtod always stop.
    // A raw pointer and unchecked exclusivity on `position`: this reader touches every
    // byte of 10 MB files, and array bounds and access checks would dominate.
    private let bytes: UnsafeMutablePointer<UInt8>
    private let end: Int
    @exclusivity(unchecked) private(set) var position = 0
    /// Open objects and arrays; bounded so hostile nesting gives an error, not a stack overflow.
    @exclusivity(unchecked) private var depth = 0
    static let maxDepth = 512
    let file: String

    init(bytes document: [UInt8], file: String) {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: document.count + 1)
        document.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { buffer.initialize(from: b, count: document.count) }
        }
        buffer[document.count] = 0
        bytes = buffer
        end = document.count
        self.file = file
    }

    deinit { bytes.deallocate() }

    convenience init(contentsOfFile path: String) throws(DetectionDataError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DetectionDataError.unreadable(file: path)
        }
        self.init(bytes: [UInt8](data), file: path)
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONReadError {
        let at = min(offset ?? position, end)
        var line = 1, lineStart = 0
        for i in 0..<at where bytes[i] == UInt8(ascii: "\n") { line += 1; lineStart = i + 1 }
        return JSONReadError(file: file, offset: at, line: line, column: at - lineStart + 1, message: message)
    }

    @inline(__always) private func skipWhitespace() {
        while position < end {
            let c = bytes[position]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 } else { return }
        }
    }

    /// The next significant byte without consuming it (0 at end of input).
    @inline(__always) func peek() -> UInt8 {
        skipWhitespace()
        return position < end ? bytes[position] : 0
    }

    private func describeNext() -> String {
        let c = peek()
        if position >= end { return "end of file" }
        if c >= 0x20 && c < 0x7F { return "'\(Character(UnicodeScalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    private func expect(_ c: UInt8, _ what: @autoclosure () -> String) throws(JSONReadError) {
        if peek() != c || position >= end { throw error("expected \(what()), found \(describeNext())") }
        position += 1
    }

    /// Walks an object, calling `body` with each key; `body` must consume the value.
    func readObject(_ what: @autoclosure () -> String, _ body: (_ key: String) throws(DetectionDataError) -> Void) throws(DetectionDataError) {
        do { try expect(UInt8(ascii: "{"), "\(what()) (a JSON object)") } catch { throw .json(error) }
        try enter()
        defer { depth -= 1 }
        if peek() == UInt8(ascii: "}") { position += 1; return }
        while true {
            let key: String
            do throws(JSONReadError) {
                if peek() != UInt8(ascii: "\"") { throw error("expected a quoted key in \(what()), found \(describeNext())") }
                key = try readStringRaw()
                try expect(UInt8(ascii: ":"), "':' after key \"\(key)\"")
            } catch { throw .json(error) }
            try body(key)
            let c = peek()
            position += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return }
            position -= 1
            throw .json(error("expected ',' or '}' in \(what()), found \(describeNext())"))
        }
    }

    /// Walks an array, calling `body` once per element with its index; `body` must consume it.
    func readArray(_ what: @autoclosure () -> String, _ body: (_ index: Int) throws(DetectionDataError) -> Void) throws(DetectionDataError) {
        do { try expect(UInt8(ascii: "["), "\(what()) (a JSON array)") } catch { throw .json(error) }
        try enter()
        defer { depth -= 1 }
        if peek() == UInt8(ascii: "]") { position += 1; return }
        var index = 0
        while true {
            try body(index)
            index += 1
            let c = peek()
            position += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "]") { return }
            position -= 1
            throw .json(error("expected ',' or ']' in \(what()), found \(describeNext())"))
        }
    }

    private func enter() throws(DetectionDataError) {
        depth += 1
        if depth > JSONReader.maxDepth {
            throw .json(error("objects and arrays nested more than \(JSONReader.maxDepth) deep"))
        }
    }

    /// Reads a string value, decoding escapes.
    func readString(_ what: @autoclosure () -> String) throws(DetectionDataError) -> String {
        do throws(JSONReadError) {
            if peek() != UInt8(ascii: "\"") { throw error("expected \(what()) (a string), found \(describeNext())") }
            return try readStringRaw()
        } catch { throw .json(error) }
    }

    private func readStringRaw() throws(JSONReadError) -> String {
        let start = position
        position += 1
        var out: [UInt8] = []
        var runStart = position
        while true {
            guard position < end else { throw error("unterminated string", at: start) }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                let s: String
                if out.isEmpty {
                    s = String(decoding: UnsafeBufferPointer(start: bytes + runStart, count: position - runStart), as: UTF8.self)
                } else {
                    out += UnsafeBufferPointer(start: bytes + runStart, count: position - runStart)
                    s = String(decoding: out, as: UTF8.self)
                }
                position += 1
                return s
            }
            if c < 0x20 { throw error("control character inside a string") }
            if c == UInt8(ascii: "\\") {
                out += UnsafeBufferPointer(start: bytes + runStart, count: position - runStart)
                position += 1
                guard position < end else { throw error("unterminated string", at: start) }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if scalar >= 0xD800 && scalar < 0xDC00,
                       position + 1 < end, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try readHex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            // A high surrogate not followed by a low one: U+FFFD, then the second escape on its own.
                            out += Array("\u{FFFD}".utf8)
                            scalar = low
                        }
                    }
                    let u = UnicodeScalar(scalar) ?? "\u{FFFD}"
                    out += Array(String(Character(u)).utf8)
                default: throw error("invalid escape '\\\(Character(UnicodeScalar(e)))' in a string", at: position - 2)
                }
                runStart = position
            } else {
                position += 1
            }
        }
    }

    private func readHex4() throws(JSONReadError) -> UInt32 {
        guard position + 4 <= end else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | UInt32(d)
            position += 1
        }
        return v
    }

    /// True (consuming it) when the next value is `null`.
    func readNullIfPresent() -> Bool {
        if peek() == UInt8(ascii: "n"), position + 4 <= end,
           bytes[position + 1] == UInt8(ascii: "u"), bytes[position + 2] == UInt8(ascii: "l"),
           bytes[position + 3] == UInt8(ascii: "l") {
            position += 4
            return true
        }
        return false
    }

    /// Reads a finite number. JSON has no NaN or infinity: the tokens `NaN`, `Infinity`
    /// and numbers too large for a double (1e999) are errors, not values.
    func readNumber(_ what: @autoclosure () -> String) throws(DetectionDataError) -> Double {
        let start = position
        do throws(JSONReadError) {
            let c = peek()
            let tokenStart = position
            // Python's json writes NaN, Infinity and -Infinity; none of them is JSON or a usable value.
            let letter = c == UInt8(ascii: "-") ? bytes[position + 1] : c
            if letter == UInt8(ascii: "N") || letter == UInt8(ascii: "I") {
                throw error("\(what()) is \(letter == UInt8(ascii: "N") ? "NaN" : "infinite"); expected a finite number")
            }
            if c == UInt8(ascii: "t") || c == UInt8(ascii: "f") {
                // Python's json and pycocotools treat true/false as 1/0 where a number is expected.
                if matchLiteral("true") { return 1 }
                if matchLiteral("false") { return 0 }
            }
            var p = position
            var negative = false
            if bytes[p] == UInt8(ascii: "-") { negative = true; p += 1 }
            var mantissa: UInt64 = 0
            var digits = 0
            var exponent = 0
            let intStart = p
            while bytes[p] &- 0x30 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[p] &- 0x30); digits += mantissa == 0 ? 0 : 1 } else { exponent += 1 }
                p += 1
            }
            if p == intStart { throw error("expected \(what()) (a number), found \(describeNext())") }
            if bytes[intStart] == UInt8(ascii: "0") && p - intStart > 1 { throw error("\(what()): leading zeros are not valid JSON") }
            if bytes[p] == UInt8(ascii: ".") {
                p += 1
                let fracStart = p
                while bytes[p] &- 0x30 < 10 {
                    if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[p] &- 0x30); digits += mantissa == 0 ? 0 : 1; exponent -= 1 }
                    p += 1
                }
                if p == fracStart { throw error("\(what()): a digit must follow the decimal point") }
            }
            var simple = digits < 19
            if bytes[p] == UInt8(ascii: "e") || bytes[p] == UInt8(ascii: "E") {
                p += 1
                var expNegative = false
                if bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { expNegative = bytes[p] == UInt8(ascii: "-"); p += 1 }
                let expStart = p
                var e = 0
                while bytes[p] &- 0x30 < 10 { if e < 100_000 { e = e * 10 + Int(bytes[p] &- 0x30) }; p += 1 }
                if p == expStart { throw error("\(what()): a digit must follow the exponent marker") }
                exponent += expNegative ? -e : e
                simple = false
            }
            let value: Double
            // Clinger's fast path: an exactly representable mantissa times an exact power of ten
            // rounds once, so it is correctly rounded; anything else goes to strtod.
            if simple && mantissa < (1 << 53) && exponent >= -22 && exponent <= 0 {
                let m = Double(mantissa)
                value = exponent == 0 ? m : m / JSONReader.powersOfTen[-exponent]
            } else {
                value = UnsafeRawPointer(bytes + tokenStart).withMemoryRebound(to: CChar.self, capacity: p - tokenStart + 1) {
                    strtod($0, nil)
                }
                position = p
                if !value.isFinite { throw error("\(what()) is too large for a double; expected a finite number", at: tokenStart) }
                return value
            }
            position = p
            return negative ? -value : value
        } catch {
            position = start
            throw .json(error)
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }

    private func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard position + n <= end else { return false }
        let lit = UnsafeBufferPointer(start: literal.utf8Start, count: n)
        for k in 0..<n where bytes[position + k] != lit[k] { return false }
        position += n
        return true
    }

    /// Reads an integer id; a number with a fraction is rejected.
    func readInt(_ what: @autoclosure () -> String) throws(DetectionDataError) -> Int {
        let start = position
        let v = try readNumber(what())
        guard v == v.rounded(), abs(v) < 9.0e15 else {
            position = start
            throw .json(error("\(what()) must be an integer, found \(v)"))
        }
        return Int(v)
    }

    /// Skips any value, checking that it is well-formed.
    func skipValue() throws(DetectionDataError) {
        switch peek() {
        case UInt8(ascii: "{"): try readObject("object") { _ throws(DetectionDataError) in try skipValue() }
        case UInt8(ascii: "["): try readArray("array") { _ throws(DetectionDataError) in try skipValue() }
        case UInt8(ascii: "\""): _ = try readString("string")
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            if matchLiteral("true") || matchLiteral("false") || matchLiteral("null") { return }
            throw .json(error("unexpected \(describeNext())"))
        case 0 where position >= end: throw .json(error("unexpected end of file"))
        default:
            // Unused numbers are still checked, so a NaN anywhere is reported.
            _ = try readNumber("value")
        }
    }

    /// Fails unless only whitespace remains.
    func expectEnd() throws(DetectionDataError) {
        if peek() != 0 || position < end {
            throw .json(error("unexpected \(describeNext()) after the end of the JSON document"))
        }
    }
}

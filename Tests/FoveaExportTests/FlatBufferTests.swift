// FlatBuffer writer: exact bytes of small buffers against layouts worked out
// by hand from the format's rules, and read-back of nested values.
@testable import FoveaExport
import XCTest

final class FlatBufferTests: XCTestCase {
    func testTableWithAnInt32AndAByteMatchesTheHandComputedLayout() {
        // Root table {slot 0: int32 7, slot 1: int8 -2}.
        let bytes = FlatBuffer.serialize(root: .table([.int32(7), .int8(-2)]))
        let expected: [UInt8] = [
            12, 0, 0, 0,        // 0: uoffset to the table at 12
            8, 0, 9, 0,         // 4: vtable: 8 bytes, table 9 bytes
            4, 0, 8, 0,         // 8: slot 0 at +4, slot 1 at +8
            8, 0, 0, 0,         // 12: soffset 12 - 4 = 8 to the vtable
            7, 0, 0, 0,         // 16: int32 7
            0xFE,               // 20: int8 -2
        ]
        XCTAssertEqual(bytes, expected)
    }

    func testStringVectorAndIdentifierMatchTheHandComputedLayout() {
        // Root {slot 0: absent, slot 1: "ab", slot 2: [int32 1, 2]}, identifier "TEST".
        let bytes = FlatBuffer.serialize(root: .table([nil, .offset(.string("ab")), .offset(.int32s([1, 2]))]),
                                         identifier: "TEST")
        let expected: [UInt8] = [
            20, 0, 0, 0,                    // 0: uoffset to the table at 20
            84, 69, 83, 84,                 // 4: "TEST"
            10, 0, 12, 0, 0, 0, 4, 0, 8, 0, // 8: vtable: 10 bytes, table 12, slot 0 absent, slot 1 +4, slot 2 +8
            0, 0,                           // 18: padding to the table's 4-byte boundary
            12, 0, 0, 0,                    // 20: soffset 20 - 8 = 12
            8, 0, 0, 0,                     // 24: uoffset 24 → 32 (the string)
            12, 0, 0, 0,                    // 28: uoffset 28 → 40 (the vector)
            2, 0, 0, 0, 97, 98, 0, 0,       // 32: "ab", terminator, padding
            2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, // 40: [1, 2]
        ]
        XCTAssertEqual(bytes, expected)
    }

    func testByteVectorDataStartsOnItsAlignment() {
        let bytes = FlatBuffer.serialize(root: .table([.offset(.bytes([1, 2, 3], alignment: 16))]))
        let r = FlatBufferReader(bytes: bytes)
        let (start, count) = r.root.bytes(0)!
        XCTAssertEqual(start % 16, 0)
        XCTAssertEqual(Array(bytes[start..<(start + count)]), [1, 2, 3])
    }

    func testNestedTablesAndEightByteScalarsReadBack() {
        let child: (Int32) -> FlatValue = { .table([.int32($0), .offset(.string("c\($0)"))]) }
        let root = FlatValue.table([.int64(-5), .offset(.vector([child(1), child(2), child(3)])), .float32(1.5), .bool(true)])
        let r = FlatBufferReader(bytes: FlatBuffer.serialize(root: root))
        let t = r.root
        let at = t.field(0)!
        XCTAssertEqual(at % 8, 0, "an 8-byte scalar sits on an 8-byte boundary")
        let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(r.bytes[at + $1]) << (8 * UInt64($1)) }
        XCTAssertEqual(Int64(bitPattern: v), -5)
        XCTAssertEqual(t.tables(1).map { $0.int32(0) }, [1, 2, 3])
        XCTAssertEqual(t.tables(1).map { $0.string(1) }, ["c1", "c2", "c3"])
        XCTAssertEqual(t.float32(2), 1.5)
        XCTAssertTrue(t.bool(3))
        XCTAssertNil(t.field(4))
    }
}

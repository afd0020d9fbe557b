// FlatBufferReader: a minimal FlatBuffers reader for the tests, written from
// the format's layout rules independently of the writer's code paths: it
// follows uoffsets from the root, looks fields up through vtables and reads
// scalars, strings and vectors.
import Foundation

struct FlatBufferReader {
    let bytes: [UInt8]

    func u8(_ at: Int) -> UInt8 { bytes[at] }
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
    func i32(_ at: Int) -> Int32 { Int32(bitPattern: u32(at)) }
    func f32(_ at: Int) -> Float { Float(bitPattern: u32(at)) }

    var root: Table { Table(reader: self, position: Int(u32(0))) }
    var identifier: String { String(decoding: bytes[4..<8], as: UTF8.self) }

    struct Table {
        let reader: FlatBufferReader
        let position: Int

        var vtable: Int { position - Int(reader.i32(position)) }

        /// Absolute position of field `slot`, nil when absent.
        func field(_ slot: Int) -> Int? {
            let vt = vtable
            guard 4 + 2 * slot < reader.u16(vt) else { return nil }
            let offset = reader.u16(vt + 4 + 2 * slot)
            return offset == 0 ? nil : position + offset
        }

        func target(_ slot: Int) -> Int? { field(slot).map { $0 + Int(reader.u32($0)) } }
        func int8(_ slot: Int, default d: Int8 = 0) -> Int8 { field(slot).map { Int8(bitPattern: reader.u8($0)) } ?? d }
        func int32(_ slot: Int, default d: Int32 = 0) -> Int32 { field(slot).map(reader.i32) ?? d }
        func uint32(_ slot: Int, default d: UInt32 = 0) -> UInt32 { field(slot).map(reader.u32) ?? d }
        func float32(_ slot: Int, default d: Float = 0) -> Float { field(slot).map(reader.f32) ?? d }
        func bool(_ slot: Int) -> Bool { int8(slot) != 0 }
        func table(_ slot: Int) -> Table? { target(slot).map { Table(reader: reader, position: $0) } }

        func string(_ slot: Int) -> String? {
            target(slot).map { at in
                let n = Int(reader.u32(at))
                return String(decoding: reader.bytes[(at + 4)..<(at + 4 + n)], as: UTF8.self)
            }
        }

        func tables(_ slot: Int) -> [Table] {
            guard let at = target(slot) else { return [] }
            return (0..<Int(reader.u32(at))).map { i in
                let p = at + 4 + 4 * i
                return Table(reader: reader, position: p + Int(reader.u32(p)))
            }
        }

        func int32s(_ slot: Int) -> [Int32] {
            guard let at = target(slot) else { return [] }
            return (0..<Int(reader.u32(at))).map { reader.i32(at + 4 + 4 * $0) }
        }

        /// A byte vector: where its data starts and its length.
        func bytes(_ slot: Int) -> (start: Int, count: Int)? {
            target(slot).map { ($0 + 4, Int(reader.u32($0))) }
        }

        /// A vector of float32 (the count is in elements).
        func float32s(_ slot: Int) -> [Float] {
            guard let at = target(slot) else { return [] }
            return (0..<Int(reader.u32(at))).map { reader.f32(at + 4 + 4 * $0) }
        }

        /// A byte vector read as float32 (TFLite buffer data; the count is in bytes).
        func floats(_ slot: Int) -> [Float] {
            guard let (start, count) = bytes(slot) else { return [] }
            return (0..<(count / 4)).map { reader.f32(start + 4 * $0) }
        }
    }
}

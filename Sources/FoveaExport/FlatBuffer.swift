// FlatBuffer: Fovea's own FlatBuffers writer, enough for the TensorFlow Lite
// schema (no package fits: the official Swift runtime is not among the
// pinned packages). A buffer is described as a tree of values (tables by
// field slot, vectors, strings) and laid out front to back: the root offset
// (and file identifier) first, then each table preceded by its vtable, its
// children after it. Every uoffset therefore points forward, as the format
// requires; each offset slot is patched once its child is placed.
// Layout rules (flatbuffers.dev, "Internals"): little-endian scalars aligned
// to their size; a table starts with an int32 soffset to its vtable (the
// vtable sits at table − soffset); a vtable holds uint16 vtable size, table
// size and one uint16 offset per field slot (0 = absent); vectors and
// strings start with a uint32 element count, strings end with a 0 byte.

/// A table field.
public enum FlatField {
    /// A little-endian scalar (1, 2, 4 or 8 bytes, aligned to its size).
    case scalar([UInt8])
    /// A uoffset to a table, vector or string written after the table.
    case offset(FlatValue)

    public static func int8(_ v: Int8) -> FlatField { .scalar([UInt8(bitPattern: v)]) }
    public static func uint8(_ v: UInt8) -> FlatField { .scalar([v]) }
    public static func bool(_ v: Bool) -> FlatField { .scalar([v ? 1 : 0]) }
    public static func int32(_ v: Int32) -> FlatField { .scalar(littleEndian(UInt32(bitPattern: v))) }
    public static func uint32(_ v: UInt32) -> FlatField { .scalar(littleEndian(v)) }
    public static func float32(_ v: Float) -> FlatField { .scalar(littleEndian(v.bitPattern)) }
    public static func int64(_ v: Int64) -> FlatField { .scalar(littleEndian(UInt64(bitPattern: v))) }
}

/// An object a uoffset points at.
public indirect enum FlatValue {
    /// Fields by slot (the schema's field order); nil slots are absent.
    case table([FlatField?])
    case string(String)
    /// A vector of tables or strings.
    case vector([FlatValue])
    /// A vector of scalars: raw little-endian element bytes, the element
    /// size, and the alignment the first element needs (at least its size).
    case scalars([UInt8], elementSize: Int, alignment: Int)

    public static func int32s(_ v: [Int32]) -> FlatValue {
        .scalars(v.flatMap { littleEndian(UInt32(bitPattern: $0)) }, elementSize: 4, alignment: 4)
    }
    public static func int64s(_ v: [Int64]) -> FlatValue {
        .scalars(v.flatMap { littleEndian(UInt64(bitPattern: $0)) }, elementSize: 8, alignment: 8)
    }
    public static func float32s(_ v: [Float]) -> FlatValue {
        .scalars(v.flatMap { littleEndian($0.bitPattern) }, elementSize: 4, alignment: 4)
    }
    /// A byte vector whose data starts on an `alignment` boundary (TFLite buffers: 16).
    public static func bytes(_ v: [UInt8], alignment: Int = 1) -> FlatValue {
        .scalars(v, elementSize: 1, alignment: alignment)
    }
}

func littleEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    withUnsafeBytes(of: v.littleEndian) { Array($0) }
}

public enum FlatBuffer {
    /// The bytes of a buffer whose root is `root`, with an optional
    /// 4-character file identifier after the root offset.
    public static func serialize(root: FlatValue, identifier: String? = nil) -> [UInt8] {
        precondition(identifier.map { $0.utf8.count == 4 } ?? true, "a file identifier has 4 bytes")
        var w = Writer()
        w.bytes = [UInt8](repeating: 0, count: 4)
        if let identifier { w.bytes += Array(identifier.utf8) }
        w.place(root, slot: 0)
        return w.bytes
    }
}

private struct Writer {
    var bytes: [UInt8] = []

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    /// Writes `value` at the end and points the uoffset at `slot` to it.
    mutating func place(_ value: FlatValue, slot: Int) {
        let position = write(value)
        patch(slot, UInt32(position - slot))
    }

    mutating func patch(_ at: Int, _ v: UInt32) {
        for (i, b) in littleEndian(v).enumerated() { bytes[at + i] = b }
    }

    /// Writes `value` and its children; returns where an offset must point.
    mutating func write(_ value: FlatValue) -> Int {
        switch value {
        case .table(let fields):
            return writeTable(fields)
        case .string(let s):
            pad(to: 4)
            let start = bytes.count
            bytes += littleEndian(UInt32(s.utf8.count)) + Array(s.utf8) + [0]
            return start
        case .vector(let items):
            pad(to: 4)
            let start = bytes.count
            bytes += littleEndian(UInt32(items.count))
            let slots = bytes.count
            bytes += [UInt8](repeating: 0, count: 4 * items.count)
            for (i, item) in items.enumerated() { place(item, slot: slots + 4 * i) }
            return start
        case .scalars(let data, let size, let alignment):
            // The count sits just before the data, which must start aligned.
            let a = max(4, alignment, size)
            while (bytes.count + 4) % a != 0 { bytes.append(0) }
            let start = bytes.count
            bytes += littleEndian(UInt32(data.count / size)) + data
            return start
        }
    }

    private mutating func writeTable(_ fields: [FlatField?]) -> Int {
        let present = fields.indices.filter { fields[$0] != nil }
        let slotCount = (present.last ?? -1) + 1
        let vtableSize = 4 + 2 * slotCount
        // Place the vtable, then the table start on a 4-byte boundary.
        pad(to: 2)
        let vtable = bytes.count
        var tableStart = vtable + vtableSize
        while tableStart % 4 != 0 { tableStart += 1 }
        // Scalars largest first (fewer gaps), then offsets; each aligned to its size.
        func size(_ f: FlatField) -> Int {
            if case .scalar(let b) = f { return b.count }
            return 4
        }
        let order = present.sorted { size(fields[$0]!) > size(fields[$1]!) || (size(fields[$0]!) == size(fields[$1]!) && $0 < $1) }
        var fieldOffsets = [Int](repeating: 0, count: slotCount)
        var cursor = tableStart + 4
        for slot in order {
            let s = size(fields[slot]!)
            while cursor % s != 0 { cursor += 1 }
            fieldOffsets[slot] = cursor - tableStart
            cursor += s
        }
        let tableSize = cursor - tableStart
        bytes += littleEndian(UInt16(vtableSize)) + littleEndian(UInt16(tableSize))
        for offset in fieldOffsets { bytes += littleEndian(UInt16(offset)) }
        while bytes.count < tableStart { bytes.append(0) }
        bytes += littleEndian(UInt32(bitPattern: Int32(tableStart - vtable)))
        bytes += [UInt8](repeating: 0, count: tableSize - 4)
        var children: [(Int, FlatValue)] = []
        for slot in present {
            let at = tableStart + fieldOffsets[slot]
            switch fields[slot]! {
            case .scalar(let b):
                for (i, byte) in b.enumerated() { bytes[at + i] = byte }
            case .offset(let child):
                children.append((at, child))
            }
        }
        for (at, child) in children { place(child, slot: at) }
        return tableStart
    }
}

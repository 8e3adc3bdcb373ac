/// The one explicit encoder for everything Kith signs or stores: big-endian
/// integers, fixed-length fields and length-prefixed byte strings, written in
/// a fixed order. Signed bytes are never produced by a general serializer.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xff)) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xff)) }
    }

    /// Bytes whose length the format fixes (ids, keys, hashes).
    mutating func fixed(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    /// A byte string with a 32-bit length prefix.
    mutating func data(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// An optional identifier: a 0 byte, or a 1 byte and the 16 id bytes.
    mutating func optionalID(_ value: Identifier?) {
        if let value {
            u8(1)
            fixed(value.bytes)
        } else {
            u8(0)
        }
    }

    /// A UTF-8 string with a 16-bit length prefix (contexts and short names).
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u16(UInt16(min(utf8.count, Int(UInt16.max))))
        bytes.append(contentsOf: utf8.prefix(Int(UInt16.max)))
    }
}

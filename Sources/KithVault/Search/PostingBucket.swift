import KithCrypto

/// One bucket of the search index: keyed term hashes and, for each, the
/// ordinals of the records indexed under it. Terms fall into buckets by
/// their hash's top 12 bits, so a query opens a few small buckets and a
/// write rewrites only those its terms fall in.
///
/// ```
/// u8 format (1), u32 term count, then per term, by hash:
///     40-bit hash (its top 12 bits, the bucket, then its low 28),
///     varint byte length, varint ordinals (first as is, then the gap to
///     the one before)
/// ```
///
/// 28 bits keep a bucket's terms apart with room to spare (a collision only
/// over-matches, and every result is checked against its record); the
/// bucket's 12 bits are kept too, so a delta's pairs, from every bucket,
/// still go to theirs when the deltas are folded in.
struct PostingBucket {
    static let format: UInt8 = 1
    /// A term's hash as kept: its bucket (top 12 bits) and its low 28 bits, in place.
    static func kept(_ hash: UInt64) -> UInt64 { hash & (0xFFF0_0000_0000_0000 | 0x0FFF_FFFF) }
    /// The kept hash in 40 bits, as stored.
    static func packed(_ kept: UInt64) -> UInt64 { (kept >> 52) << 28 | (kept & 0x0FFF_FFFF) }
    /// The kept hash from its 40 stored bits.
    static func unpacked(_ packed: UInt64) -> UInt64 { (packed >> 28) << 52 | (packed & 0x0FFF_FFFF) }

    /// (hash, ordinal) pairs, sorted, without repeats.
    private(set) var pairs: [(hash: UInt64, ordinal: UInt32)] = []

    init() {}

    /// Adds pairs (in any order, repeats allowed; hashes are cut to the bits kept).
    mutating func add(_ new: [(hash: UInt64, ordinal: UInt32)]) {
        pairs += new.map { (Self.kept($0.hash), $0.ordinal) }
        pairs.sort { ($0.hash, $0.ordinal) < ($1.hash, $1.ordinal) }
        var unique: [(hash: UInt64, ordinal: UInt32)] = []
        unique.reserveCapacity(pairs.count)
        for pair in pairs where unique.last.map({ $0.hash != pair.hash || $0.ordinal != pair.ordinal }) ?? true { unique.append(pair) }
        pairs = unique
    }

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 16 + pairs.count * 4)
        w.u8(Self.format)
        var runs: [(UInt64, ArraySlice<(hash: UInt64, ordinal: UInt32)>)] = []
        var start = 0
        for index in pairs.indices where index == pairs.count - 1 || pairs[index + 1].hash != pairs[index].hash {
            runs.append((pairs[index].hash, pairs[start...index]))
            start = index + 1
        }
        w.u32(UInt32(runs.count))
        for (hash, run) in runs {
            var list: [UInt8] = []
            var previous: UInt32 = 0
            for (offset, pair) in run.enumerated() {
                Self.varint(UInt64(offset == 0 ? pair.ordinal : pair.ordinal - previous), into: &list)
                previous = pair.ordinal
            }
            let stored = Self.packed(hash)
            for shift in stride(from: 32, through: 0, by: -8) { w.u8(UInt8((stored >> UInt64(shift)) & 0xff)) }
            var header: [UInt8] = []
            Self.varint(UInt64(list.count), into: &header)
            w.fixed(header)
            w.fixed(list)
        }
        return w.bytes
    }

    /// A bucket from its decrypted bytes; every pair.
    static func decode(_ bytes: borrowing SecureBytes) throws -> PostingBucket {
        var bucket = PostingBucket()
        try scan(bytes) { hash, ordinals in
            for ordinal in ordinals { bucket.pairs.append((hash, ordinal)) }
            return true
        }
        return bucket
    }

    /// The ordinals held for each of `hashes` (those absent are left out),
    /// without decoding the other terms' lists. Keys are the kept bits.
    static func lookup(_ bytes: borrowing SecureBytes, hashes: Set<UInt64>) throws -> [UInt64: [UInt32]] {
        try lookup(bytes, hashes: hashes, deferringAbove: .max).lists
    }

    /// What `lookup(_:hashes:deferringAbove:)` finds in one bucket.
    struct Found {
        /// The decoded lists, by kept bits.
        var lists: [UInt64: [UInt32]] = [:]
        /// Every list's stored length in bytes, decoded or not.
        var sizes: [UInt64: Int] = [:]
        /// The terms whose list was longer than the limit, not decoded.
        var deferred = Set<UInt64>()
    }

    /// `lookup`, leaving undecoded each list of more than `limit` bytes.
    static func lookup(_ bytes: borrowing SecureBytes, hashes: Set<UInt64>, deferringAbove limit: Int) throws -> Found {
        let wanted = Set(hashes.map(kept))
        var found = Found()
        try scan(bytes, wants: wanted, decodingUpTo: limit) { hash, length, ordinals in
            found.sizes[hash] = length
            if let ordinals { found.lists[hash] = ordinals } else { found.deferred.insert(hash) }
            return found.sizes.count < wanted.count
        }
        return found
    }

    /// Walks the terms, decoding the lists of those in `wants` (all when
    /// nil) and handing them to `visit`, which returns whether to go on.
    private static func scan(_ bytes: borrowing SecureBytes, wants: Set<UInt64>? = nil, _ visit: (UInt64, [UInt32]) -> Bool) throws {
        try scan(bytes, wants: wants, decodingUpTo: .max) { hash, _, ordinals in visit(hash, ordinals ?? []) }
    }

    /// `scan`, handing `visit` each wanted list's stored length, and its
    /// ordinals when that is at most `limit` bytes (else nil).
    private static func scan(_ bytes: borrowing SecureBytes, wants: Set<UInt64>?, decodingUpTo limit: Int, _ visit: (UInt64, Int, [UInt32]?) -> Bool) throws {
        try bytes.withUnsafeBytes { raw in
            var at = 0
            func byte() throws -> UInt8 {
                guard at < raw.count else { throw SearchIndexDamaged() }
                defer { at += 1 }
                return raw[at]
            }
            func varint() throws -> UInt64 {
                var value: UInt64 = 0
                for shift in stride(from: 0, to: 64, by: 7) {
                    let b = try byte()
                    value |= UInt64(b & 0x7f) << UInt64(shift)
                    if b & 0x80 == 0 { return value }
                }
                throw SearchIndexDamaged()
            }
            func fixed(_ count: Int) throws -> UInt64 {
                var value: UInt64 = 0
                for _ in 0..<count { value = value << 8 | UInt64(try byte()) }
                return value
            }
            guard try byte() == format else { throw SearchIndexDamaged() }
            let terms = try fixed(4)
            // One form per meaning, as the encoder writes: terms in ascending
            // order, each once (a fuzzer found a repeated term whose lookup
            // and decoding disagreed), ordinals ascending within a term.
            var previous: UInt64?
            for _ in 0..<terms {
                let hash = unpacked(try fixed(5))
                guard previous.map({ hash > $0 }) ?? true else { throw SearchIndexDamaged() }
                previous = hash
                let length = try varint()
                guard length <= UInt64(raw.count - at), length > 0 else { throw SearchIndexDamaged() }
                let end = at + Int(length)
                if let wants, !wants.contains(hash) {
                    at = end
                    continue
                }
                guard length <= UInt64(limit) else {
                    at = end
                    if !visit(hash, Int(length), nil) { return }
                    continue
                }
                var ordinals: [UInt32] = []
                var value: UInt64 = 0
                while at < end {
                    let step = try varint()
                    guard ordinals.isEmpty || step > 0 else { throw SearchIndexDamaged() }
                    let (sum, overflow) = value.addingReportingOverflow(step)
                    guard !overflow else { throw SearchIndexDamaged() }
                    value = ordinals.isEmpty ? step : sum
                    guard let ordinal = UInt32(exactly: value) else { throw SearchIndexDamaged() }
                    ordinals.append(ordinal)
                }
                guard at == end else { throw SearchIndexDamaged() }
                if !visit(hash, Int(length), ordinals) { return }
            }
            guard at == raw.count else { throw SearchIndexDamaged() }
        }
    }

    static func varint(_ value: UInt64, into bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

/// A part of the search index failed its check (the index is then dropped
/// and built again: never an error, never a wrong answer).
struct SearchIndexDamaged: Error {}

/// SQLite could not read or write the index file (truncated, garbled, not a
/// database): the file is started again.
struct SearchIndexUnreadable: Error {
    let reason: String
}

/// A set of a group's record ordinals (their numbers in the index), as
/// bits. A search's candidates are unions and intersections of posting
/// lists; as bits those cost one pass over each list and a few thousand
/// word operations, however common the words (an e-mail's "org" is in
/// every record).
struct OrdinalSet: Equatable {
    /// Bit `n % 64` of word `n / 64` stands for ordinal `n`.
    private var words: [UInt64]
    /// Ordinals run from 0 to `bound - 1`.
    let bound: UInt32

    /// The empty set of ordinals below `bound`.
    init(bound: UInt32) {
        self.bound = bound
        words = Array(repeating: 0, count: (Int(bound) + 63) / 64)
    }

    /// Adds every ordinal of `list`; false when one is not below `bound`
    /// (an index that contradicts its own manifest), which is left out.
    @discardableResult
    mutating func insert(_ list: [UInt32]) -> Bool {
        var inRange = true
        words.withUnsafeMutableBufferPointer { bits in
            for ordinal in list {
                guard ordinal < bound else {
                    inRange = false
                    continue
                }
                bits[Int(ordinal >> 6)] |= 1 << UInt64(ordinal & 63)
            }
        }
        return inRange
    }

    /// Whether `ordinal` is in the set.
    func contains(_ ordinal: UInt32) -> Bool {
        ordinal < bound && words[Int(ordinal >> 6)] & (1 << UInt64(ordinal & 63)) != 0
    }

    /// Keeps only what `other` holds too.
    mutating func formIntersection(_ other: OrdinalSet) {
        for i in words.indices { words[i] &= i < other.words.count ? other.words[i] : 0 }
    }

    /// Adds what `other` holds.
    mutating func formUnion(_ other: OrdinalSet) {
        for i in words.indices where i < other.words.count { words[i] |= other.words[i] }
    }

    /// Removes what `other` holds.
    mutating func subtract(_ other: OrdinalSet) {
        for i in words.indices where i < other.words.count { words[i] &= ~other.words[i] }
    }

    /// This set without what `other` holds.
    func subtracting(_ other: OrdinalSet) -> OrdinalSet {
        var copy = self
        copy.subtract(other)
        return copy
    }

    /// How many ordinals it holds.
    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Its ordinals, lowest first.
    var ordinals: [UInt32] {
        var found: [UInt32] = []
        for (i, word) in words.enumerated() where word != 0 {
            var rest = word
            while rest != 0 {
                found.append(UInt32(i * 64 + rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
        return found
    }

    /// The ordinals every set of `sets` holds (none for no sets).
    static func common(_ sets: [OrdinalSet], bound: UInt32) -> OrdinalSet {
        guard var result = sets.first else { return OrdinalSet(bound: bound) }
        for set in sets.dropFirst() { result.formIntersection(set) }
        return result
    }
}

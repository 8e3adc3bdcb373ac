internal import CSodium

/// Comparisons whose time does not depend on where two values differ.
public enum ConstantTime {
    /// Whether `a` and `b` are equal (tags, MACs), with libsodium's
    /// `sodium_memcmp`; different lengths are unequal at once.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in b.withUnsafeBytes { right in sodium_memcmp(left.bytePointer, right.bytePointer, a.count) == 0 } }
    }
}

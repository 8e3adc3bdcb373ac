import Testing
@testable import KithVault

/// The bit sets search combines its posting lists in.
@Suite("Ordinal sets")
struct OrdinalSetTests {
    @Test("insert, intersect, unite and subtract as sets do, lowest first; an ordinal past the bound is refused and left out")
    func operations() {
        var a = OrdinalSet(bound: 200)
        let aInRange = a.insert([5, 64, 199, 0, 5])
        var b = OrdinalSet(bound: 200)
        let bInRange = b.insert([64, 130, 200, 4000])
        #expect(aInRange && !bInRange)
        #expect(a.ordinals == [0, 5, 64, 199] && a.count == 4)
        #expect(b.ordinals == [64, 130] && !b.contains(200) && b.contains(130))
        var both = a
        both.formIntersection(b)
        #expect(both.ordinals == [64])
        var either = a
        either.formUnion(b)
        #expect(either.ordinals == [0, 5, 64, 130, 199])
        #expect(a.subtracting(b).ordinals == [0, 5, 199])
        #expect(OrdinalSet.common([a, b, either], bound: 200).ordinals == [64])
        #expect(OrdinalSet.common([], bound: 200).ordinals.isEmpty)
        #expect(OrdinalSet(bound: 0).ordinals.isEmpty)
    }
}

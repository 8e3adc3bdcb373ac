import Foundation
import Testing

@testable import KithCrypto

/// Shamir's secret sharing over GF(2^8) (issue 20): any K of N shares
/// rebuild the secret, fewer say nothing about it, and malformed or mixed
/// shares are refused.
@Suite("Secret sharing (Shamir, GF(2^8))")
struct SecretSharingTests {
    static func bytes(_ secret: borrowing SecureBytes) -> [UInt8] { secret.withUnsafeBytes { Array($0) } }

    /// All subsets of `0..<n` of size `k`.
    static func subsets(_ n: Int, _ k: Int) -> [[Int]] {
        guard k > 0 else { return [[]] }
        guard n >= k else { return [] }
        return subsets(n - 1, k - 1).map { $0 + [n - 1] } + subsets(n - 1, k)
    }

    @Test("the field: a · a^-1 = 1 for every non-zero a, and multiplication matches the AES test value")
    func field() {
        for a in 1...255 { #expect(GF256.multiply(UInt8(a), GF256.inverse(UInt8(a))) == 1, "\(a)") }
        // FIPS 197, 4.2: {57} · {83} = {c1}.
        #expect(GF256.multiply(0x57, 0x83) == 0xC1)
        #expect(GF256.multiply(0, 0x83) == 0 && GF256.inverse(0) == 0)
    }

    @Test("every K-subset of N shares rebuilds the secret, for N up to 10", arguments: 2...10)
    func everySubset(count: Int) throws {
        var plain = Array((0..<32).map { UInt8($0 * 7 + count) })
        let expected = plain
        let secret = try SecureBytes(wiping: &plain)
        for threshold in 2...count {
            let shares = try SecretSharing.split(secret, threshold: threshold, count: count)
            #expect(shares.map(\.index) == (1...count).map(UInt8.init))
            for subset in Self.subsets(count, threshold) {
                #expect(Self.bytes(try SecretSharing.combine(subset.map { shares[$0] })) == expected, "\(threshold) of \(count): \(subset)")
            }
            // More than enough works too, in any order.
            #expect(Self.bytes(try SecretSharing.combine(shares.reversed())) == expected)
            // Fewer than the threshold: refused, and the interpolation of any such subset is never the secret.
            // (Subsets of one split share its coefficients, so byte-level agreement is tested over independent splits below.)
            for size in 1..<threshold {
                for subset in Self.subsets(count, size) {
                    let picked = subset.map { shares[$0] }
                    #expect(throws: KithCryptoError.self) { try SecretSharing.combine(picked) }
                    #expect(Self.bytes(try SecretSharing.interpolate(picked)) != expected, "\(size) of \(count) must not rebuild it")
                }
            }
        }
    }

    @Test("K-1 shares are uniformly distributed whatever the secret (chi-square over 20,000 splits)")
    func fewerSayNothing() throws {
        // For a 3-of-5 split, the first two shares' bytes, and what those two interpolate to at 0 (the best guess
        // they allow), must look the same for a secret of 0x00 and of 0xFF: uniform over 0...255. A polynomial one
        // degree too low would make the interpolation the secret itself.
        for secretByte in [UInt8(0x00), 0xFF] {
            var counts = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 3)
            let samples = 20_000
            for _ in 0..<samples {
                var plain = [secretByte]
                let shares = try SecretSharing.split(try SecureBytes(wiping: &plain), threshold: 3, count: 5)
                let y1 = shares[0].values.withUnsafeBytes { $0[0] }, y2 = shares[1].values.withUnsafeBytes { $0[0] }
                let guess = try SecretSharing.interpolate([shares[0], shares[1]]).withUnsafeBytes { $0[0] }
                counts[0][Int(y1)] += 1
                counts[1][Int(y2)] += 1
                counts[2][Int(guess)] += 1
            }
            let expected = Double(samples) / 256
            for (which, histogram) in counts.enumerated() {
                let chiSquare = histogram.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
                // 255 degrees of freedom: mean 255, sd 22.6; 400 is over six sd (never by chance), and a leak is far above.
                #expect(chiSquare < 400, "secret \(secretByte), statistic \(which): chi-square \(chiSquare)")
            }
        }
    }

    @Test("below the threshold, no byte of the secret leaks: over independent splits, a byte agrees by chance alone (1 in 256)")
    func noByteLeaks() throws {
        var agreeing = 0, compared = 0
        for trial in 0..<2000 {
            let secret = try SecureBytes(randomCount: 32)
            let expected = Self.bytes(secret)
            let threshold = 2 + trial % 4
            let shares = try SecretSharing.split(secret, threshold: threshold, count: threshold + 1)
            let candidate = Self.bytes(try SecretSharing.interpolate(Array(shares.prefix(threshold - 1))))
            agreeing += zip(candidate, expected).filter { $0 == $1 }.count
            compared += expected.count
        }
        // Expected 1/256 (0.0039) of 64,000 bytes, about 250, sd 16; one leaking byte position alone would add 1/32.
        #expect(Double(agreeing) / Double(compared) < 0.01, "\(agreeing) of \(compared) bytes agree below the threshold")
    }

    @Test("malformed, mixed and duplicated shares are refused; a share round-trips through its encoding")
    func malformed() throws {
        var plain: [UInt8] = Array("a group recovery key, 32 bytes!!".utf8)
        let secret = try SecureBytes(wiping: &plain)
        let shares = try SecretSharing.split(secret, threshold: 2, count: 3)
        let other = try SecretSharing.split(try SecureBytes(randomCount: 16), threshold: 2, count: 3)
        let otherThreshold = try SecretSharing.split(secret, threshold: 3, count: 3)
        for (picked, says) in [
            ([SecretShare](), "no share"), ([shares[0], shares[0]], "same index"), ([shares[0], other[1]], "not of one secret"),
            ([shares[0], otherThreshold[1]], "not of one secret"), ([shares[0]], "1 share given, 2 needed"),
        ] {
            let error = #expect(throws: KithCryptoError.self) { try SecretSharing.combine(picked) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(says), "\(String(describing: error))")
        }
        for (threshold, count) in [(1, 3), (4, 3), (2, 256), (0, 0)] {
            #expect(throws: KithCryptoError.self) { try SecretSharing.split(secret, threshold: threshold, count: count) }
        }
        #expect(throws: KithCryptoError.self) { try SecretSharing.split(try SecureBytes(count: 0), threshold: 2, count: 3) }

        let decoded = try SecretShare(encoded: shares[2].encoded())
        #expect(decoded.index == 3 && decoded.threshold == 2 && Self.bytes(decoded.values) == Self.bytes(shares[2].values))
        #expect(Self.bytes(try SecretSharing.combine([decoded, shares[0]])) == Self.bytes(secret))
        for bad: [UInt8] in [[1, 2, 3], [2, 2, 1, 9], [1, 1, 1, 9], [1, 2, 0, 9], []] {
            var raw = bad
            #expect(throws: KithCryptoError.self, "\(bad)") { try SecretShare(encoded: try SecureBytes(wiping: &raw)) }
        }
    }
}

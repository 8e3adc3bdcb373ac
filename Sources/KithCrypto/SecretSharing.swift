/// One share of a secret split with Shamir's scheme (`SecretSharing`): its
/// x coordinate (1 to 255), how many shares rebuild the secret, and the
/// polynomials' values at x, one byte per byte of the secret, in guarded
/// memory. A class, so shares can be collected in arrays while their bytes
/// stay in one guarded buffer each.
///
/// Encoded (`encoded`, `init(encoded:)`): u8 format (1), u8 threshold,
/// u8 index, then the values.
public final class SecretShare: @unchecked Sendable {
    // @unchecked: immutable after init; the buffer is never written again.
    /// The share's x coordinate, 1 to 255 (0 is where the secret lies).
    public let index: UInt8
    /// How many shares rebuild the secret (2 to 255).
    public let threshold: UInt8
    /// The polynomials' values at `index`.
    public let values: SecureBytes

    /// The encoding's format byte.
    public static let format: UInt8 = 1
    /// Bytes before the values.
    public static let headerLength = 3

    init(index: UInt8, threshold: UInt8, values: consuming SecureBytes) {
        self.index = index
        self.threshold = threshold
        self.values = values
    }

    /// Parses an encoded share strictly.
    public init(encoded: borrowing SecureBytes) throws {
        guard encoded.count > Self.headerLength else { throw KithCryptoError.invalidShares("a share is too short") }
        let (format, threshold, index) = encoded.withUnsafeBytes { ($0[0], $0[1], $0[2]) }
        guard format == Self.format else { throw KithCryptoError.invalidShares("a share is in format \(format), not \(Self.format)") }
        guard threshold >= 2 else { throw KithCryptoError.invalidShares("a share names a threshold below 2") }
        guard index != 0 else { throw KithCryptoError.invalidShares("a share has index 0, where the secret itself lies") }
        self.index = index
        self.threshold = threshold
        self.values = try encoded.copy(range: Self.headerLength..<encoded.count)
    }

    /// The share as bytes, in guarded memory (seal them before they leave it).
    public func encoded() throws -> SecureBytes {
        var header: [UInt8] = [Self.format, threshold, index]
        return try SecureBytes.concatenate(try SecureBytes(wiping: &header), values)
    }
}

/// Shamir's secret sharing over GF(2^8) (the AES field, x^8 + x^4 + x^3 +
/// x + 1), byte by byte: `split` hides a secret in `count` shares of which
/// any `threshold` rebuild it with `combine`, and any fewer say nothing
/// about it (every secret is equally consistent with them). The field's
/// arithmetic has no tables and no secret-dependent branch, so its timing
/// does not depend on the bytes. The shares carry no check of their own:
/// the caller binds the secret (a key commitment), so a wrong or forged
/// share is found when what was rebuilt fails it.
public enum SecretSharing {
    /// The most shares one split makes (each needs its own non-zero x).
    public static let maximumShares = 255

    /// Splits `secret` into `count` shares, any `threshold` of which rebuild it.
    public static func split(_ secret: borrowing SecureBytes, threshold: Int, count: Int) throws -> [SecretShare] {
        guard threshold >= 2, threshold <= count, count <= maximumShares else {
            throw KithCryptoError.invalidShares("a split needs 2 to \(maximumShares) shares and a threshold from 2 to the number of shares (asked: \(threshold) of \(count))")
        }
        guard secret.count > 0 else { throw KithCryptoError.invalidShares("there is no secret to split") }
        // Per secret byte, threshold - 1 random coefficients; the secret byte is the constant term.
        let coefficients = try SecureBytes(randomCount: secret.count * (threshold - 1))
        var shares: [SecretShare] = []
        for x in 1...count {
            var values = try SecureBytes(count: secret.count)
            secret.withUnsafeBytes { secretBytes in
                coefficients.withUnsafeBytes { random in
                    values.withUnsafeMutableBytes { out in
                        for byte in 0..<secretBytes.count {
                            // Horner's rule from the highest coefficient down to the secret.
                            var y: UInt8 = 0
                            for degree in stride(from: threshold - 1, through: 1, by: -1) {
                                y = GF256.multiply(y, UInt8(x)) ^ random[byte * (threshold - 1) + degree - 1]
                            }
                            out[byte] = GF256.multiply(y, UInt8(x)) ^ secretBytes[byte]
                        }
                    }
                }
            }
            shares.append(SecretShare(index: UInt8(x), threshold: UInt8(threshold), values: values))
        }
        return shares
    }

    /// Rebuilds the secret from at least `threshold` shares of one split.
    /// Refuses too few, two with one index, and shares that name different
    /// thresholds or lengths (never a silently wrong secret from those).
    public static func combine(_ shares: [SecretShare]) throws -> SecureBytes {
        guard let first = shares.first else { throw KithCryptoError.invalidShares("no share was given") }
        guard shares.allSatisfy({ $0.threshold == first.threshold && $0.values.count == first.values.count }) else {
            throw KithCryptoError.invalidShares("the shares are not of one secret (their thresholds or lengths differ)")
        }
        guard Set(shares.map(\.index)).count == shares.count else { throw KithCryptoError.invalidShares("two shares have the same index") }
        guard shares.count >= Int(first.threshold) else {
            throw KithCryptoError.invalidShares("\(shares.count) share\(shares.count == 1 ? "" : "s") given, \(first.threshold) needed")
        }
        return try interpolate(Array(shares.prefix(Int(first.threshold))))
    }

    /// The value at x = 0 of the polynomials through `shares` (Lagrange),
    /// whatever their number: with fewer than the threshold it is not the
    /// secret (the tests check that it never is).
    static func interpolate(_ shares: [SecretShare]) throws -> SecureBytes {
        let length = shares.first?.values.count ?? 0
        var secret = try SecureBytes(count: length)
        // Each share's Lagrange weight at 0: the product over the others of x_j / (x_j - x_i); minus is xor here.
        let weights = shares.map { share in
            shares.reduce(UInt8(1)) { weight, other in
                other.index == share.index ? weight : GF256.multiply(weight, GF256.divide(other.index, other.index ^ share.index))
            }
        }
        secret.withUnsafeMutableBytes { out in
            for (share, weight) in zip(shares, weights) {
                share.values.withUnsafeBytes { values in
                    for byte in 0..<length { out[byte] ^= GF256.multiply(values[byte], weight) }
                }
            }
        }
        return secret
    }
}

/// GF(2^8) with the AES polynomial, in constant time.
enum GF256 {
    /// a · b: shift-and-add over all 8 bits, masks instead of branches.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a, b = b, product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let carry = 0 &- (a >> 7)
            a = (a << 1) ^ (0x1B & carry)
            b >>= 1
        }
        return product
    }

    /// a^254, which is a^-1 for a ≠ 0 (and 0 for 0): a fixed chain of squarings and products.
    static func inverse(_ a: UInt8) -> UInt8 {
        var result: UInt8 = 1
        var power = a
        // 254 = 0b11111110: the product of a^2, a^4, ..., a^128.
        for _ in 0..<7 {
            power = multiply(power, power)
            result = multiply(result, power)
        }
        return result
    }

    /// a / b for b ≠ 0.
    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 { multiply(a, inverse(b)) }
}

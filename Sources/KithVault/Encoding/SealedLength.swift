import KithCrypto

/// The padding rule for small sealed texts (handles, group names, entry
/// details): padded, with ISO/IEC 7816-4 padding, to the next power of two
/// from 64 up to 4 KiB, then to a multiple of 4 KiB. So a copy of the store
/// tells only which bucket a name or a list of field names falls in, not
/// its length. Record contents use the larger buckets of `FieldCodec`.
enum SealedLength {
    /// The padded length of `length` bytes (padding adds at least one byte).
    static func bucket(for length: Int) -> Int {
        let needed = length + 1
        if needed > 4096 { return (needed + 4095) / 4096 * 4096 }
        var size = 64
        while size < needed { size *= 2 }
        return size
    }

    /// `plain` padded to its bucket.
    static func pad(_ plain: borrowing SecureBytes) throws -> SecureBytes {
        try Padding.pad(plain, blockSize: bucket(for: plain.count))
    }

    /// `padded` without its padding, checking it was padded to its bucket.
    static func unpad(_ padded: borrowing SecureBytes) throws -> SecureBytes {
        guard padded.count > 0, bucket(for: padded.count - 1) == padded.count else { throw KithCryptoError.invalidPadding }
        return try Padding.unpad(padded, blockSize: padded.count)
    }
}

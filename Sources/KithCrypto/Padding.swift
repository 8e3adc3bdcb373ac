internal import CSodium

/// ISO/IEC 7816-4 padding (`sodium_pad` / `sodium_unpad`): hides a
/// plaintext's exact length inside a block. Padding always adds at least one
/// byte, so an empty input becomes one whole block.
public enum Padding {
    /// The padded length of `length` bytes with `blockSize`.
    public static func paddedLength(_ length: Int, blockSize: Int) -> Int {
        length + (blockSize - length % blockSize)
    }

    /// `data` padded to a multiple of `blockSize`.
    public static func pad(_ data: borrowing SecureBytes, blockSize: Int) throws -> SecureBytes {
        try Sodium.ensureReady()
        guard blockSize > 0 else {
            throw KithCryptoError.invalidLength(what: "padding block size", expected: "at least 1", actual: blockSize)
        }
        let total = paddedLength(data.count, blockSize: blockSize)
        var out = try SecureBytes(count: total)
        var written = 0
        let status = data.withUnsafeBytes { d in
            out.withUnsafeMutableBytes { o in
                if let src = d.baseAddress, let dst = o.baseAddress, d.count > 0 {
                    dst.copyMemory(from: src, byteCount: d.count)
                }
                return sodium_pad(&written, o.bytePointer, d.count, blockSize, o.count)
            }
        }
        guard status == 0, written == total else {
            throw KithCryptoError.invalidLength(what: "padding buffer", expected: "\(total)", actual: written)
        }
        return out
    }

    /// `data` with its padding removed; throws `invalidPadding` if there is none.
    public static func unpad(_ data: borrowing SecureBytes, blockSize: Int) throws -> SecureBytes {
        try Sodium.ensureReady()
        guard blockSize > 0 else {
            throw KithCryptoError.invalidLength(what: "padding block size", expected: "at least 1", actual: blockSize)
        }
        guard data.count > 0, data.count % blockSize == 0 else { throw KithCryptoError.invalidPadding }
        var unpadded = 0
        let status = data.withUnsafeBytes { d in
            sodium_unpad(&unpadded, d.bytePointer, d.count, blockSize)
        }
        guard status == 0 else { throw KithCryptoError.invalidPadding }
        return try data.copy(range: 0..<unpadded)
    }
}

internal import CSodium

/// BLAKE2b over data that arrives in pieces (a file too large to hold), with
/// the same personalisation rule as `BLAKE2b.hash`. Unkeyed: it hashes
/// public bytes such as ciphertext.
public struct BLAKE2bHasher: ~Copyable {
    private let state: UnsafeMutableRawPointer
    private let outputLength: Int

    /// Starts a hash of `outputLength` bytes (16 to 64) under `personal`
    /// (at most 16 bytes, zero-padded).
    public init(outputLength: Int = 32, personal: [UInt8] = []) throws {
        let padded = try BLAKE2b.paddedPersonal(personal, outputLength: outputLength)
        // sodium_malloc places the block at the end of a page; the state's
        // size is a multiple of 64, so it keeps the alignment BLAKE2b needs.
        let size = crypto_generichash_blake2b_statebytes()
        guard let state = sodium_malloc(size) else { throw KithCryptoError.outOfMemory(bytes: size) }
        let status = padded.withUnsafeBytes { p in
            crypto_generichash_blake2b_init_salt_personal(
                OpaquePointer(state), nil, 0, outputLength, nil, p.bytePointer)
        }
        guard status == 0 else {
            sodium_free(state)
            throw KithCryptoError.libraryUnavailable
        }
        self.state = state
        self.outputLength = outputLength
    }

    deinit { sodium_free(state) }

    /// Adds `bytes` to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        crypto_generichash_blake2b_update(
            OpaquePointer(state), base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    /// Adds `bytes` to the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The hash of everything added. Ends the hasher.
    public consuming func finish() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputLength)
        let state = self.state
        let status = out.withUnsafeMutableBytes { o in
            crypto_generichash_blake2b_final(OpaquePointer(state), o.bytePointer, o.count)
        }
        guard status == 0 else { throw KithCryptoError.libraryUnavailable }
        return out
    }
}

internal import CSodium
import KithCrypto

#if canImport(Glibc)
    import Glibc
#endif

extension Baseline {
    /// Seconds for raw secretstream from file to file: `input` is read in
    /// `chunkSize` pieces, each pushed and written to `sealed`, which is
    /// then flushed to disk (`fsync`, as Kith does before it commits an
    /// attachment); then `sealed` is read back, pulled and written to
    /// `opened`, also flushed. One reused buffer each way, no hashing, no
    /// format. Throws if the round trip fails.
    public static func secretStreamFiles(input: String, sealed: String, opened: String, chunkSize: Int) throws -> (seal: Double, open: Double) {
        try Sodium.ensureReady()
        let key = random(Int(crypto_secretstream_xchacha20poly1305_keybytes()))
        let abytes = Int(crypto_secretstream_xchacha20poly1305_abytes())
        var header = [UInt8](repeating: 0, count: Int(crypto_secretstream_xchacha20poly1305_headerbytes()))
        var state = crypto_secretstream_xchacha20poly1305_state()
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize + abytes, alignment: 64)
        let cipher = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize + abytes, alignment: 64)
        defer {
            plain.deallocate()
            cipher.deallocate()
        }
        var failed = false

        let sealTime = seconds {
            let inFD = open(input, O_RDONLY), outFD = open(sealed, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer {
                close(inFD)
                close(outFD)
            }
            crypto_secretstream_xchacha20poly1305_init_push(&state, &header, key)
            failed = failed || write(outFD, header, header.count) != header.count
            var next = fill(inFD, plain, chunkSize)
            while next >= 0 {
                let count = next
                // Read ahead one chunk so the last one can carry the final tag.
                let isLast = count < chunkSize || peekEnd(inFD)
                let tag = isLast ? crypto_secretstream_xchacha20poly1305_tag_final() : crypto_secretstream_xchacha20poly1305_tag_message()
                var outLength: UInt64 = 0
                crypto_secretstream_xchacha20poly1305_push(
                    &state, cipher.bytePointer, &outLength, plain.bytePointer, UInt64(count), nil, 0, tag)
                failed = failed || write(outFD, cipher.baseAddress, Int(outLength)) != Int(outLength)
                if isLast { break }
                next = fill(inFD, plain, chunkSize)
            }
            failed = failed || fsync(outFD) != 0
        }

        let openTime = seconds {
            let inFD = open(sealed, O_RDONLY), outFD = open(opened, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer {
                close(inFD)
                close(outFD)
            }
            failed = failed || read(inFD, &header, header.count) != header.count
            failed = failed || crypto_secretstream_xchacha20poly1305_init_pull(&state, header, key) != 0
            var finished = false
            while !finished && !failed {
                let count = fill(inFD, cipher, chunkSize + abytes)
                guard count >= abytes else {
                    failed = true
                    break
                }
                var outLength: UInt64 = 0
                var tag: UInt8 = 0
                failed =
                    crypto_secretstream_xchacha20poly1305_pull(
                        &state, plain.bytePointer, &outLength, &tag, cipher.bytePointer, UInt64(count), nil, 0) != 0
                finished = tag == crypto_secretstream_xchacha20poly1305_tag_final()
                failed = failed || write(outFD, plain.baseAddress, Int(outLength)) != Int(outLength)
            }
            failed = failed || fsync(outFD) != 0
        }
        guard !failed else { throw KithCryptoError.authenticationFailed }
        return (sealTime, openTime)
    }

    /// Reads up to `count` bytes (fewer only at the end); -1 on error.
    private static func fill(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ count: Int) -> Int {
        var total = 0
        while total < count {
            let got = read(fd, buffer.baseAddress.map { $0 + total }, count - total)
            if got < 0 { return -1 }
            if got == 0 { break }
            total += got
        }
        return total
    }

    /// Whether `fd` is at its end (its position equals its size).
    private static func peekEnd(_ fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return true }
        return lseek(fd, 0, SEEK_CUR) >= info.st_size
    }
}

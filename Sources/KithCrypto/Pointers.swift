// Several libsodium functions are declared nonnull even for zero-length
// inputs, while Swift gives an empty buffer a nil base address. These
// accessors hand C a valid address in that case; with a length of zero C
// never reads or writes through it.
nonisolated(unsafe) private let emptyScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

extension UnsafeRawBufferPointer {
    /// The base address as bytes, never nil.
    package var bytePointer: UnsafePointer<UInt8> {
        baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyScratch)
    }

    /// The base address as C characters (for passphrases and contexts), never nil.
    package var charPointer: UnsafePointer<CChar> {
        UnsafeRawPointer(bytePointer).assumingMemoryBound(to: CChar.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The base address as bytes, never nil.
    package var bytePointer: UnsafeMutablePointer<UInt8> {
        baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyScratch
    }
}

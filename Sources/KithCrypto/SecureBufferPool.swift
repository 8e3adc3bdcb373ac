internal import CSodium
import Foundation

/// A small free list of `sodium_malloc` buffers, so that hot paths (a
/// rewrap unwraps one record key per record) do not pay for a fresh guarded
/// mapping each time: `sodium_malloc` maps guard pages, locks and protects
/// them, which costs tens of microseconds, far more than the cipher.
///
/// A buffer is wiped with `sodium_memzero` the moment its `SecureBytes`
/// goes away, before it enters the list, so no secret waits in the pool.
/// Only buffers of at most 32 KiB are pooled (keys, short plaintexts, a
/// search index's buckets), at most 32 per size up to 4 KiB and 8 per
/// size above, which bounds the locked memory held back (under 1 MiB). The
/// price: a pooled buffer may be larger than the bytes it holds, so an
/// overrun of a few bytes would hit slack, not the guard page.
enum SecureBufferPool {
    static let largestPooled = 32768
    /// How many buffers of `capacity` bytes are kept.
    static func kept(_ capacity: Int) -> Int { capacity <= 4096 ? 32 : 8 }

    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private static let lock = NSLock()

    /// The allocation size for `count` bytes.
    static func capacity(for count: Int) -> Int {
        guard count <= largestPooled else { return max(count, 1) }
        var size = 64
        while size < count { size *= 2 }
        return size
    }

    /// A zeroed guarded buffer of `capacity(for: count)` bytes.
    static func take(_ count: Int) -> (UnsafeMutableRawPointer, Int)? {
        let capacity = capacity(for: count)
        if capacity <= largestPooled {
            lock.lock()
            let reused = free[capacity]?.popLast()
            lock.unlock()
            if let reused { return (reused, capacity) }
        }
        guard let pointer = sodium_malloc(capacity) else { return nil }
        sodium_memzero(pointer, capacity)
        return (pointer, capacity)
    }

    /// Wipes the buffer and keeps it for reuse, or frees it.
    static func give(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        sodium_memzero(pointer, capacity)
        if capacity <= largestPooled {
            lock.lock()
            var list = free[capacity] ?? []
            let kept = list.count < Self.kept(capacity)
            if kept {
                list.append(pointer)
                free[capacity] = list
            }
            lock.unlock()
            if kept { return }
        }
        sodium_free(pointer)
    }
}

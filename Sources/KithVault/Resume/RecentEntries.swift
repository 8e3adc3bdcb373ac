/// The bytes of the newest log entries a replay or a refresh read, at most
/// `limit` of them (plus a page), so that this client's journal is filled
/// from what was read and verified already, not by reading the store twice.
struct RecentEntries {
    /// How many to keep (0: none).
    let limit: Int
    /// The position of the first kept entry.
    private(set) var start: UInt64 = 0
    private var bytes: [[UInt8]] = []

    init(limit: Int) { self.limit = limit }

    /// One past the last kept entry.
    var end: UInt64 { start + UInt64(bytes.count) }

    /// Adds `page`, whose first entry is at `seq`; a page that does not follow on starts the window again.
    mutating func append(_ page: [[UInt8]], at seq: UInt64) {
        guard limit > 0, !page.isEmpty else { return }
        if seq != end || bytes.isEmpty {
            bytes = []
            start = seq
        }
        bytes += page
        // Trimmed a page at a time, so a long replay moves each entry a few times, not once per page.
        if bytes.count > limit, bytes.count - limit > VerifiedLog.pageSize {
            let drop = bytes.count - limit
            bytes.removeFirst(drop)
            start += UInt64(drop)
        }
    }

    /// The kept entries `from..<to`, or nil when they are not all kept.
    func slice(from: UInt64, to: UInt64) -> [[UInt8]]? {
        guard from >= start, to <= end, from <= to else { return nil }
        return Array(bytes[Int(from - start)..<Int(to - start)])
    }

    /// Forgets what is kept (the journal has it), so a long-lived process holds no more than it must.
    mutating func clear(at seq: UInt64) {
        bytes = []
        start = seq
    }
}

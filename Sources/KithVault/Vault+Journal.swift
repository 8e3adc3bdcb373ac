import Foundation
import KithCrypto

extension Vault {
    /// This client's journal, opened once per vault (nil: no state folder, or it keeps none).
    func openJournal() throws -> ClientJournal? {
        guard let memory, memory.journalEntries > 0 else { return nil }
        if let journalHandle { return journalHandle }
        let url = memory.journalFile(fingerprint: state.fingerprint, user: me)
        try memory.makeFolder(for: url)
        let journal = try ClientJournal.open(path: url.path)
        journalHandle = journal
        return journal
    }

    /// Brings the journal up to the verified head: the entries since it
    /// last moved (at most the newest `journalEntries`) are read from the
    /// store once more and kept only if they chain, hash by hash, back from
    /// the head this client verified. Like the resume cache, a journal that
    /// cannot be written costs nothing now; it is noted for --verbose.
    func keepVerifiedEntries() {
        guard let memory, memory.journalEntries > 0, journaledSize != state.count else { return }
        do {
            guard var journal = try openJournal() else { return }
            let count = state.count
            let oldestWanted = count > memory.journalEntries ? count - memory.journalEntries : 0
            var from = oldestWanted
            if let span = try journal.span(), span.upperBound > oldestWanted {
                if span.upperBound > count {
                    // Ahead of this state: another process of this user moved it on (nothing to do), or it holds
                    // another history (a restore an admin accepted): that one is set aside and this one kept from scratch.
                    guard try journal.entries(from: count - 1, limit: 1).first.map(SHA256.hash) != state.headHash else {
                        journaledSize = count
                        return
                    }
                    try setJournalAside(journal)
                    guard let fresh = try openJournal() else { return }
                    journal = fresh
                } else {
                    from = span.upperBound
                }
            }
            guard from < count else {
                journaledSize = count
                return
            }
            let entries = try verifiedEntries(from: from, to: count)
            // What the journal held before them must be what they follow, or it was another history.
            if from > 0, let before = try journal.entries(from: from - 1, limit: 1).first, let first = entries.first,
                try LogEntry.decode(first).previousHash != SHA256.hash(before)
            {
                try setJournalAside(journal)
                try openJournal()?.keep(entries: entries, from: from, keptAt: count, limit: memory.journalEntries)
            } else {
                try journal.keep(entries: entries, from: from, keptAt: count, limit: memory.journalEntries)
            }
            journaledSize = count
        } catch {
            journalNote = "the journal could not be kept (\(error)); this device could not heal a restored store of the newest entries"
        }
    }

    /// Keeps this client's own commit: its entries and the record versions they wrote.
    func keepCommitted(entries rows: [EntryRow], records: [RecordRow]) {
        guard let memory, memory.journalEntries > 0, let first = rows.first else { return }
        keepVerifiedEntries()
        guard journaledSize == first.seq else { return }
        do {
            try openJournal()?.keep(
                entries: rows.map(\.bytes), from: first.seq, records: records, keptAt: first.seq + UInt64(rows.count), limit: memory.journalEntries)
            journaledSize = first.seq + UInt64(rows.count)
        } catch {
            journalNote = "the journal could not be kept (\(error)); this device could not heal a restored store of this change"
        }
    }

    /// Keeps record versions this client re-keyed (a restored store holds them on the old keys).
    func keepRekeyed(_ rows: [RecordRow]) {
        guard let memory, memory.journalEntries > 0, !rows.isEmpty else { return }
        do {
            try openJournal()?.keep(entries: [], from: state.count, records: rows, keptAt: state.count, limit: memory.journalEntries)
        } catch {
            journalNote = "the journal could not keep re-keyed records (\(error))"
        }
    }

    /// The store's entries `from..<to`, checked to chain back from the
    /// verified head (so they are exactly the entries this client verified).
    private func verifiedEntries(from: UInt64, to end: UInt64) throws -> [[UInt8]] {
        var entries: [[UInt8]] = []
        while UInt64(entries.count) < end - from {
            let page = try store.entries(from: from + UInt64(entries.count), limit: Int(min(4096, end - from - UInt64(entries.count))))
            if page.isEmpty { break }
            entries += page
        }
        guard UInt64(entries.count) == end - from, let last = entries.last, SHA256.hash(last) == state.headHash else {
            throw KithVaultError.integrity("the store's entries changed since they were verified")
        }
        var expected = state.headHash
        for bytes in entries.reversed() {
            guard SHA256.hash(bytes) == expected else { throw KithVaultError.integrity("the store's entries changed since they were verified") }
            expected = try LogEntry.decode(bytes).previousHash
        }
        return entries
    }

    /// Moves a journal of another history aside (kept, for a heal by hand)
    /// and starts a new one.
    private func setJournalAside(_ journal: ClientJournal) throws {
        journalHandle = nil
        try journal.close()
        let aside = journal.path + ".aside-\(clock())"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: journal.path + suffix) {
            try FileManager.default.moveItem(atPath: journal.path + suffix, toPath: aside + suffix)
        }
    }
}

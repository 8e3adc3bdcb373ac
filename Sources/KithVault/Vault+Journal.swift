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
    /// last moved (at most the newest `journalEntries`), taken from what the
    /// open or a refresh read (else read from the store once more), are kept
    /// only if they chain, hash by hash, back from the head this client
    /// verified. Like the resume cache, a journal that
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
                    guard try journal.entry(at: count - 1).map(SHA256.hash) != state.headHash else {
                        journaledSize = count
                        return
                    }
                    journal = try setJournalAside(journal)
                } else if let last = try journal.entry(at: span.upperBound - 1), span.upperBound == count {
                    // Up to date, if what it holds last is this log's head.
                    if SHA256.hash(last) != state.headHash { journal = try setJournalAside(journal) } else { from = count }
                } else {
                    from = span.upperBound
                }
            }
            guard from < count else {
                journaledSize = count
                return
            }
            var (entries, erased, firstPrevious) = try verifiedEntries(from: from, to: count)
            if from > oldestWanted, let before = try journal.entry(at: from - 1), firstPrevious != SHA256.hash(before) {
                // What it holds last is not what this log's next entry follows: another history too.
                journal = try setJournalAside(journal)
                from = oldestWanted
                (entries, erased, _) = try verifiedEntries(from: from, to: count)
            }
            try journal.keep(entries: entries, from: from, erased: erased, keptAt: count, limit: memory.journalEntries)
            journaledSize = count
            recentEntries.clear(at: count)
        } catch {
            journalNote = "the journal could not be kept (\(error)); this device could not heal a restored store of the newest entries"
        }
    }

    /// Keeps this client's own commit: its entries and the record versions they wrote.
    func keepCommitted(entries rows: [EntryRow], records: [RecordRow]) {
        guard let memory, memory.journalEntries > 0, let first = rows.first else { return }
        if journalAssumed {
            // Before adding to it, make sure it reaches this commit's start (a journal behind is caught up, not cut).
            journaledSize = nil
            journalAssumed = false
        }
        keepVerifiedEntries()
        guard journaledSize == first.seq else {
            journalNote = journalNote ?? "the journal could not be brought up to entry \(first.seq), so this change is not kept in it"
            return
        }
        do {
            try openJournal()?.keep(
                entries: rows.map(\.bytes), from: first.seq, records: records, erased: try Self.erasures(in: rows.map(\.bytes)),
                keptAt: first.seq + UInt64(rows.count), limit: memory.journalEntries)
            journaledSize = first.seq + UInt64(rows.count)
        } catch {
            journalNote = "the journal could not be kept (\(error)); this device could not heal a restored store of this change"
        }
    }

    /// The records these entries erase: the journal forgets their versions.
    static func erasures(in entries: [[UInt8]]) throws -> [RecordID] {
        try entries.flatMap { try LogEntry.decode($0).body.erasedRecords }
    }

    /// The store's entries `from..<to`, checked to chain back from the
    /// verified head (so they are exactly the entries this client verified),
    /// with the records they erase and the hash the first one follows (each
    /// entry decoded once).
    private func verifiedEntries(from: UInt64, to end: UInt64) throws -> (entries: [[UInt8]], erased: [RecordID], firstPrevious: [UInt8]?) {
        // What the open or a refresh read and verified already, when it covers them; else the store once more.
        var entries = recentEntries.slice(from: from, to: end) ?? []
        while UInt64(entries.count) < end - from {
            let page = try store.entries(from: from + UInt64(entries.count), limit: Int(min(4096, end - from - UInt64(entries.count))))
            if page.isEmpty { break }
            entries += page
        }
        guard UInt64(entries.count) == end - from, let last = entries.last, SHA256.hash(last) == state.headHash else {
            throw KithVaultError.integrity("the store's entries changed since they were verified")
        }
        var expected = state.headHash
        var erased: [RecordID] = []
        for bytes in entries.reversed() {
            guard SHA256.hash(bytes) == expected else { throw KithVaultError.integrity("the store's entries changed since they were verified") }
            let entry = try LogEntry.decode(bytes)
            erased += entry.body.erasedRecords
            expected = entry.previousHash
        }
        return (entries, erased, entries.isEmpty ? nil : expected)
    }

    /// Moves a journal of another history aside (kept, for a heal by hand;
    /// `ClientJournal.remove` and a wipe take it too) and opens a new one.
    private func setJournalAside(_ journal: ClientJournal) throws -> ClientJournal {
        journalHandle = nil
        try journal.close()
        let aside = journal.path + ".aside-\(clock())"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: journal.path + suffix) {
            try FileManager.default.moveItem(atPath: journal.path + suffix, toPath: aside + suffix)
        }
        guard let fresh = try openJournal() else { throw KithVaultError.storage("the journal could not be made again after it was set aside") }
        return fresh
    }
}

import Foundation
import GRDB
import Testing
@testable import KithVault

/// Search through the vault (issue 18): what it finds, for whom, what it
/// logs, what it leaves on the device, and what a damaged index costs.
@Suite("Search")
struct SearchTests {
    static let group = "Trans Support"

    /// A group with people written the ways a network writes them, and a
    /// state folder per person (so the index is a file).
    struct Setting {
        let fixture: VaultFixture
        let lead: Vault
        let people: [String: RecordID]

        func memory(_ handle: String) -> CheckpointMemory {
            CheckpointMemory(directory: fixture.directory.appendingPathComponent("state-\(handle)"))
        }

        /// `handle`'s client with its state folder.
        func open(_ handle: String) throws -> Vault {
            try Vault(store: fixture.store(), holder: #require(fixture.identities[handle]), memory: memory(handle))
        }

        func indexFile(_ vault: Vault) -> String { memory(vault.whoamiHandle).searchFile(fingerprint: vault.state.fingerprint, user: vault.me).path }
    }

    static func setting() throws -> Setting {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(group)
        var people: [String: RecordID] = [:]
        let rows: [(String, [(String, String)])] = [
            ("sam", [("name", "Sam Rivera"), ("phone", "+44 7700 900123"), ("sensitive:status", "Zqvunsearchable"), ("notes:need", "housing Zqvnotes")]),
            ("samira", [("name", "Samira Haddad"), ("email", "samira@example.org")]),
            ("mohammed", [("الاسم", "مُحَمَّد عَلِي"), ("phone", "٠٧٧٠٠ ٩٠٠٤٥٦")]),
            ("ahmad", [("name", "أحمد خليل")]),
            ("jose", [("first_name", "José"), ("last_name", "Núñez")]),
        ]
        for (key, pairs) in rows {
            people[key] = try lead.addRecord(groupName: group, kind: .member, fields: fields(pairs))
        }
        return Setting(fixture: fixture, lead: lead, people: people)
    }

    static func ids(_ outcome: SearchOutcome) -> [RecordID] { outcome.results.map(\.id) }

    @Test("names are found as case workers type them: without tashkeel or accents, hamza as alef, digits in any script, a phone in any form")
    func findsAsTyped() throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        let cases: [([String], String)] = [
            (["محمد"], "mohammed"), (["محمد", "علي"], "mohammed"), (["محمد على"], "mohammed"), (["07700 900456"], "mohammed"),
            (["احمد"], "ahmad"), (["jose"], "jose"), (["JOSÉ", "nunez"], "jose"), (["sam rivera"], "sam"), (["0044 7700 900123"], "sam"),
            (["phone=07700900123"], "sam"), (["samira@example.org"], "samira"), (["haddad"], "samira"), (["Hadad"], "samira"),
            (["nune"], "jose"),
        ]
        for (typed, expected) in cases {
            let found = try caseworker.search(SearchQuery.parse(typed), groupName: Self.group)
            #expect(Self.ids(found) == [setting.people[expected]], "\(typed) should find \(expected) only")
        }
    }

    @Test("a word half the records hold is not looked up when a rarer one narrows the search; the results are still only true matches")
    func commonWords() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        // As in a large group, where "org" and "example" of every e-mail have lists too long to be worth decoding.
        lead.searchCommonListBytes = 0
        let people = try lead.addRecords(
            groupName: Self.group, kind: .member, (0..<12).map { try fields([("name", "Person \($0)"), ("email", "p\($0)@example.org")]) })
        let elsewhere = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Zora Okafor"), ("email", "zora@elsewhere.net")]))
        let zora = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Zora Bello"), ("email", "zb@example.org")]))
        func found(_ text: String) throws -> [RecordID] { Self.ids(try lead.search(SearchQuery.parse(line: text), groupName: Self.group)) }
        #expect(try found("zora org") == [zora])
        #expect(try found("zora elsewhere") == [elsewhere])
        #expect(try found("p3@example.org") == [people[3]])
        #expect(try Set(found("zora")) == [zora, elsewhere])
        // Every word common: the rarest is looked up after all, and every match is found.
        let all = try lead.search(SearchQuery.parse(line: "example org"), groupName: Self.group, limit: 50)
        #expect(Set(Self.ids(all)) == Set(people + [zora]) && all.total == 13)
    }

    @Test("results come best first: whole value, every word, prefixes, one typo")
    func ranked() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        let typo = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Samuel Okafor")]))
        let prefix = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Samantha Bello")]))
        let word = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dr Samual")]))
        let whole = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("alias", "samual")]))
        let outcome = try lead.search(SearchQuery.parse(["samual"]), groupName: Self.group)
        #expect(Self.ids(outcome) == [whole, word, typo])
        #expect(outcome.results.map(\.rank) == [.whole, .allWords, .typo])
        #expect(outcome.results.first?.matched == ["alias"])
        let prefixes = try lead.search(SearchQuery.parse(["sam"]), groupName: Self.group)
        #expect(Set(Self.ids(prefixes)) == [typo, prefix, word, whole])
        #expect(prefixes.results.allSatisfy { $0.rank == .prefix })
        #expect(outcome.total == 3 && outcome.unchecked == 0)
        // --limit: the best first; once a tier of the index gives enough, the rest (all ranked lower) is left unchecked, and counted.
        let limited = try lead.search(SearchQuery.parse(["samual"]), groupName: Self.group, limit: 1)
        #expect(Self.ids(limited) == [whole] && limited.total == 1 && limited.unchecked == 2)
        let two = try lead.search(SearchQuery.parse(["samual"]), groupName: Self.group, limit: 2)
        #expect(Self.ids(two) == [whole, word] && two.total == 2 && two.unchecked == 1)
    }

    @Test("nobody finds a record by a field they may not read, or by notes or sensitive fields at all")
    func followsTheKeys() throws {
        let setting = try Self.setting()
        for handle in ["lead-tra", "cw-tra", "viewer-tra"] {
            let vault = try setting.open(handle)
            #expect(try vault.search(SearchQuery.parse(["Zqvunsearchable"])).results.isEmpty)
            #expect(try vault.search(SearchQuery.parse(["housing"])).results.isEmpty)
            #expect(try Self.ids(vault.search(SearchQuery.parse(["sam", "rivera"]))) == [setting.people["sam"]])
            // A viewer's results carry only what a viewer reads.
            let result = try #require(try vault.search(SearchQuery.parse(["sam rivera"])).results.first)
            #expect(!result.fields.contains { $0.compartment != .profile })
        }
        // A policy that takes profile away from viewers: nothing to search, said plainly; their index goes at the next open.
        let viewer = try setting.open("viewer-tra")
        _ = try viewer.search(SearchQuery.parse(["sam"]))
        #expect(SearchIndex.indexedGroups(path: setting.indexFile(viewer))?.count == 1)
        var policy = GroupPolicy.default
        policy.readable[.viewer] = []
        try setting.lead.setPolicy(groupName: Self.group, policy)
        let reopened = try setting.open("viewer-tra")
        #expect(SearchIndex.indexedGroups(path: setting.indexFile(reopened))?.isEmpty == true)
        #expect {
            _ = try reopened.search(SearchQuery.parse(["sam"]), groupName: Self.group)
        } throws: { error in
            (error as? KithVaultError)?.code == .accessDenied && (error as? KithVaultError)?.reason.contains("may not read profile") == true
        }
    }

    @Test("a revoked user's index goes with their next command, and they find nothing written after")
    func revoked() throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        #expect(try !caseworker.search(SearchQuery.parse(["sam"])).results.isEmpty)
        let file = setting.indexFile(caseworker)
        #expect(SearchIndex.indexedGroups(path: file)?.count == 1)
        try setting.lead.refresh()
        _ = try setting.lead.revoke(groupName: Self.group, from: "cw-tra", mode: .reencrypt)
        _ = try setting.lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam Later")]))
        // Any command: opening is enough.
        let reopened = try setting.open("cw-tra")
        #expect(SearchIndex.indexedGroups(path: file)?.isEmpty == true)
        #expect(throws: KithVaultError.self) { _ = try reopened.search(SearchQuery.parse(["sam"]), groupName: Self.group) }
        #expect(throws: KithVaultError.self) { _ = try reopened.search(SearchQuery.parse(["sam"])) }
        // A long-lived client (an agent or a web interface: the index in memory here) drops it at its next search.
        let longLived = try setting.fixture.open("viewer-tra")
        _ = try longLived.search(SearchQuery.parse(["sam"]))
        #expect(longLived.searchIndexHandle?.indexedGroups?.count == 1)
        try setting.lead.refresh()
        _ = try setting.lead.revoke(groupName: Self.group, from: "viewer-tra", mode: nil)
        #expect(throws: KithVaultError.self) { _ = try longLived.search(SearchQuery.parse(["sam"])) }
        #expect(longLived.searchIndexHandle?.indexedGroups?.isEmpty == true)
        try setting.lead.share(groupName: Self.group, with: "viewer-tra", role: .viewer)
        // And a removed identity's index file is deleted outright.
        let viewer = try setting.open("viewer-tra")
        _ = try viewer.search(SearchQuery.parse(["sam"]))
        let viewerFile = setting.indexFile(viewer)
        #expect(FileManager.default.fileExists(atPath: viewerFile))
        try setting.fixture.admin.refresh()
        _ = try setting.fixture.admin.removeUser(handle: "viewer-tra")
        #expect(throws: KithVaultError.self) { _ = try setting.open("viewer-tra") }
        #expect(!FileManager.default.fileExists(atPath: viewerFile))
    }

    @Test("building the index is logged once per batch, each search once, and no read is logged per record")
    func logged() throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        let before = caseworker.state.count
        let first = try caseworker.search(SearchQuery.parse(["sam"]))
        #expect(first.indexed.map(\.records) == [5])
        let entries = try caseworker.store.entries(from: before).map { try LogEntry.decode($0).body }
        #expect(entries.map(\.type) == [.recordsIndexed, .searched])
        guard case .recordsIndexed(_, let count) = entries[0] else { throw KithVaultError.integrity("no index entry") }
        #expect(count == 5)
        // Up to date: the next search logs only itself.
        let again = caseworker.state.count
        #expect(try caseworker.search(SearchQuery.parse(["rivera"])).indexed.isEmpty)
        #expect(try caseworker.store.entries(from: again).map { try LogEntry.decode($0).body.type } == [.searched])
        // Someone else writes: the next search catches up with a batch of one.
        try setting.lead.refresh()
        let newcomer = try setting.lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Noor Saleh")]))
        let caught = try caseworker.search(SearchQuery.parse(["noor"]))
        #expect(caught.indexed.map(\.records) == [1])
        #expect(Self.ids(caught) == [newcomer])
        // The writer's own write goes into their index as it is written: nothing is decrypted or logged for it.
        let mine = try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Layla Nasser")]))
        let own = try caseworker.search(SearchQuery.parse(["layla"]))
        #expect(own.indexed.isEmpty)
        #expect(Self.ids(own) == [mine])
        // Updates are found by their new value and no longer by the old one.
        try caseworker.updateRecord(mine, fields: fields([("name", "Layla Haddad")]))
        #expect(try Self.ids(caseworker.search(SearchQuery.parse(["layla", "haddad"]))) == [mine])
        #expect(try caseworker.search(SearchQuery.parse(["nasser"])).results.isEmpty)
    }

    @Test("an auditor reads what was searched and how many records matched; the store sees neither")
    func auditorReadsQuery() throws {
        let setting = try Self.setting()
        let auditor = try setting.fixture.enroll("kai", role: .auditor)
        _ = try auditor.shareAuditKey()
        let caseworker = try setting.open("cw-tra")
        _ = try caseworker.search(SearchQuery.parse(["Zqvmarker"]))
        _ = try caseworker.search(SearchQuery.parse(["Samira"]))
        try auditor.refresh()
        let lines = try auditor.auditLog(AuditLogFilter(actor: caseworker.me, type: .searched))
        let details = lines.compactMap(\.details).map { Dictionary($0, uniquingKeysWith: { a, _ in a }) }
        #expect(details.map { $0["query"] } == ["Zqvmarker", "Samira"])
        #expect(details.map { $0["results"] } == ["0", "1"])
        #expect(try !setting.fixture.allStoreBytes().contains(subsequence: Array("Zqvmarker".utf8)))
    }

    @Test("the index file holds no name, number or term, only sealed rows, mode 0600")
    func noPlaintext() throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        _ = try caseworker.search(SearchQuery.parse(["samira"]))
        let file = setting.indexFile(caseworker)
        let queue = try DatabaseQueue(path: file)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        var bytes: [UInt8] = []
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: file + suffix) {
            bytes += [UInt8](try Data(contentsOf: URL(fileURLWithPath: file + suffix)))
        }
        #expect(bytes.count > 1000)
        // Terms of 5 bytes or more: a shorter one turns up by chance in this many sealed bytes.
        for term in ["samira", "Samira", "haddad", "rivera", "700900123", "example", "محمد", "احمد", "nunez", Self.group] {
            #expect(!bytes.contains(subsequence: Array(term.utf8)), "\(term) is in the index file")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
    }

    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case deleted, truncated, garbage, flippedBucket, deletedBucket, flippedIDs, olderBucket, flippedDelta, deletedDelta, flippedCounters, otherIdentity
        var testDescription: String { rawValue }
    }

    @Test("a deleted, truncated, flipped, rolled-back or foreign index is built again, never a wrong or missing result", arguments: Damage.allCases)
    func damaged(damage: Damage) throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        // A short word has one way into the index (no typo terms), so losing its bucket would lose the result.
        let query = try SearchQuery.parse(["org"])
        #expect(try Self.ids(caseworker.search(query)) == [setting.people["samira"]])
        // A write of one's own goes into a delta, beside the buckets.
        let own = try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dana Own"), ("email", "dana@example.org")]))
        #expect(try Set(Self.ids(caseworker.search(query))) == [setting.people["samira"], own])
        let file = setting.indexFile(caseworker)
        let samiraHash = try caseworker.searchIndex().hash(IndexTerm(kind: .word, text: "org"))
        let bucket = Int64(SearchIndex.bucket(of: samiraHash))
        func sql(_ statement: String) throws {
            let queue = try DatabaseQueue(path: file)
            try queue.write { db in try db.execute(sql: statement, arguments: [bucket]) }
            try queue.close()
        }
        /// Flips one byte of every `table` row's body (SQLite still reads the file; only the sealing can tell).
        func flip(_ table: String, at offset: Int) throws {
            let queue = try DatabaseQueue(path: file)
            try queue.write { db in
                for row in try Row.fetchAll(db, sql: "SELECT body FROM \(table)") {
                    var body = [UInt8](row["body"] as Data)
                    body[offset % body.count] ^= 0x01
                    try db.execute(sql: "UPDATE \(table) SET body = ? WHERE body = ?", arguments: [Data(body), row["body"] as Data])
                }
            }
            try queue.close()
        }
        switch damage {
        case .deleted:
            SearchIndex.removeFiles(file)
        case .truncated:
            SearchIndex.removeFiles(file + "-wal")
            try Data(try Data(contentsOf: URL(fileURLWithPath: file)).prefix(2048)).write(to: URL(fileURLWithPath: file))
        case .garbage:
            SearchIndex.removeFiles(file)
            try Data((0..<50_000).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: file))
        case .flippedBucket:
            try flip("buckets", at: 40)
        case .deletedBucket:
            try sql("DELETE FROM buckets WHERE bucket = ?")
        case .flippedIDs:
            try flip("ids", at: 30)
        case .olderBucket:
            // The bucket as it was before a later write: its counter no longer matches the manifest.
            let queue = try DatabaseQueue(path: file)
            let old = try queue.read { db in try Data.fetchOne(db, sql: "SELECT body FROM buckets WHERE bucket = ?", arguments: [bucket]) }
            try queue.close()
            // A batch of 64 rewrites the buckets.
            _ = try caseworker.addRecords(
                groupName: Self.group, kind: .member, [try fields([("name", "Samira Other"), ("email", "other@example.org")])] + (1..<64).map { try fields([("name", "Filler \($0)")]) })
            let again = try DatabaseQueue(path: file)
            try again.write { db in try db.execute(sql: "UPDATE buckets SET body = ? WHERE bucket = ?", arguments: [old, bucket]) }
            try again.close()
        case .flippedDelta:
            try flip("deltas", at: 33)
        case .deletedDelta:
            try sql("DELETE FROM deltas WHERE ? IS NOT NULL")
        case .flippedCounters:
            let queue = try DatabaseQueue(path: file)
            try queue.write { db in
                let counters = try #require(try Data.fetchOne(db, sql: "SELECT counters FROM groups"))
                var bytes = [UInt8](counters)
                bytes[30] ^= 1
                try db.execute(sql: "UPDATE groups SET counters = ?", arguments: [Data(bytes)])
            }
            try queue.close()
        case .otherIdentity:
            let lead = try setting.open("lead-tra")
            _ = try lead.search(query)
            SearchIndex.removeFiles(file)
            try FileManager.default.copyItem(atPath: setting.indexFile(lead), toPath: file)
        }
        let reopened = try setting.open("cw-tra")
        let expected = damage == .olderBucket ? 3 : 2
        let found = try reopened.search(query)
        #expect(found.results.count == expected)
        #expect(found.results.contains { $0.id == setting.people["samira"] } && found.results.contains { $0.id == own })
        // Built again: the next search needs no rebuild.
        #expect(try reopened.search(query).indexed.isEmpty)
    }

    enum Forgery: String, CaseIterable, CustomTestStringConvertible {
        case indexedByOutsider, searchedByOutsider, searchedNothing, searchedTwice, indexedNoGroup, indexedNoRecords
        var testDescription: String { rawValue }
    }

    @Test("a modified client's index and search entries are refused by every client unless their author may read the group", arguments: Forgery.allCases)
    func forgedEntries(forgery: Forgery) throws {
        let setting = try Self.setting()
        _ = try setting.fixture.enroll("mallory")
        let group = try setting.lead.group(named: Self.group).id
        let author = [.indexedByOutsider, .searchedByOutsider].contains(forgery) ? "mallory" : "cw-tra"
        let attacker = try Attacker(identity: #require(setting.fixture.identities[author]), store: setting.fixture.store())
        let body: EntryBody
        switch forgery {
        case .indexedByOutsider: body = .recordsIndexed(group: group, records: 3)
        case .searchedByOutsider: body = .searched(groups: [group])
        case .searchedNothing: body = .searched(groups: [])
        case .searchedTwice: body = .searched(groups: [group, group])
        case .indexedNoGroup: body = .recordsIndexed(group: try Identifier(bytes: Array(repeating: 7, count: 16)), records: 1)
        case .indexedNoRecords: body = .recordsIndexed(group: group, records: 0)
        }
        let forged = try attacker.append(body)
        #expect {
            _ = try setting.fixture.open("lead-tra")
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidEntry && (error as? KithVaultError)?.entry == Int(forged.seq)
        }
    }

    @Test("a record whose author's signature does not hold is never a result, however well it matches")
    func forgedRecordNeverShown() throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        caseworker.signsRecordsWronglyForTesting = true
        let forged = try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Samira Haddad")]))
        caseworker.signsRecordsWronglyForTesting = false
        let lead = try setting.open("lead-tra")
        #expect(throws: KithVaultError.self) { _ = try lead.readRecord(forged) }
        let found = try lead.search(SearchQuery.parse(["samira", "haddad"]))
        #expect(Self.ids(found) == [setting.people["samira"]])
        // Also among many results, where the signatures are checked across cores.
        _ = try setting.lead.addRecords(groupName: Self.group, kind: .member, (1...8).map { try fields([("name", "Samira \($0)")]) })
        let many = try lead.search(SearchQuery.parse(["samira"]))
        #expect(many.results.count == 9 && !Self.ids(many).contains(forged))
    }

    @Test("a store that leaves a record out of its listings, or answers the log differently, cannot hide it from search")
    func storeCannotHide() throws {
        let setting = try Self.setting()
        let lying = LyingStore(try setting.fixture.store())
        let samira = try #require(setting.people["samira"])
        lying.hides = { $0 == samira }
        let caseworker = try Vault(store: lying, holder: #require(setting.fixture.identities["cw-tra"]))
        #expect(try Self.ids(caseworker.search(SearchQuery.parse(["samira"]))) == [samira])
        // Caught up from the log's own entries, not from the store's listing of what they wrote.
        let later = try setting.lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Samira Later")]))
        lying.hides = { $0 == samira || $0 == later }
        #expect(try Set(Self.ids(caseworker.search(SearchQuery.parse(["samira"])))) == [samira, later])
        // Entries that do not chain to the verified head, read again, are refused rather than trusted.
        _ = try setting.lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Samira Third")]))
        try caseworker.refresh()
        let written = caseworker.state.count - 1
        lying.rewrite = { seq, bytes in seq == written ? bytes.map { $0 ^ 1 } : bytes }
        #expect(throws: KithVaultError.self) { _ = try caseworker.search(SearchQuery.parse(["samira"])) }
    }

    @Test("deltas folded into the buckets keep every record they held")
    func foldKeepsDeltas() throws {
        let setting = try Self.setting()
        let caseworker = try setting.open("cw-tra")
        _ = try caseworker.search(SearchQuery.parse(["sam"]))
        // Three writes of one's own: three deltas (merged two by two).
        let own = try (1...3).map { try caseworker.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Delta Person\($0)")])) }
        #expect(try Set(Self.ids(caseworker.search(SearchQuery.parse(["delta"])))) == Set(own))
        // A bulk batch goes into the buckets, folding the deltas in with it.
        let bulk = try caseworker.addRecords(groupName: Self.group, kind: .member, (1...64).map { try fields([("name", "Bulk Person\($0)")]) })
        let reopened = try setting.open("cw-tra")
        #expect(try Set(Self.ids(reopened.search(SearchQuery.parse(["delta"])))) == Set(own))
        #expect(try reopened.search(SearchQuery.parse(["bulk"])).results.count == 20)
        let exact = try reopened.search(SearchQuery.parse(["bulk", "person64"]))
        #expect(exact.results.first?.id == bulk[63] && exact.results.first?.rank == .whole)
    }

    @Test("a name and a phone number typed together must both match: another person with the number is no result")
    func phoneWithName() throws {
        let setting = try Self.setting()
        _ = try setting.lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dee Jones"), ("phone", "07700 900123")]))
        let found = try setting.lead.search(SearchQuery.parse(["sam", "7700", "900123"]))
        #expect(Self.ids(found) == [setting.people["sam"]])
    }

    @Test("the same entries from a member of the group are accepted")
    func memberEntries() throws {
        let setting = try Self.setting()
        let group = try setting.lead.group(named: Self.group).id
        let attacker = try Attacker(identity: #require(setting.fixture.identities["viewer-tra"]), store: setting.fixture.store())
        try attacker.append(.recordsIndexed(group: group, records: 3))
        try attacker.append(.searched(groups: [group]))
        #expect(try setting.fixture.open("lead-tra").state.count == setting.lead.state.count + 2)
    }
}

extension Vault {
    /// This client's handle (tests: to find its state folder).
    fileprivate var whoamiHandle: String { (try? whoami().handle) ?? "" }
}

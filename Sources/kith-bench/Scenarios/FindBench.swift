import Foundation
import KithBaselines
import KithCrypto
import KithSQLite
import KithVault

/// Search over `records` member records with three-part names (Latin and
/// Arabic, so nearly every name is unique), a phone number and an e-mail.
///
/// - find-index: the first search of the group, which decrypts every
///   record's profile and builds the index on the device (one logged
///   batch). Baseline: raw XChaCha20-Poly1305 opens of each record's
///   wrapped key and padded profile (32 and 256 bytes), the least any build
///   must do.
/// - find-query: searches in a warm process by whole name, first and last
///   name, phone in its national form, e-mail, and a last name with one
///   typo, each checked against the decrypted record and logged. Baseline:
///   `readRecord` of one record in the same process (decrypt, verify, log
///   one entry), so the ratio says what a search costs next to one read.
/// - find-write: adding a record with the index present, against the same
///   writes to a copy of the vault without an index.
enum FindBench {
    static let latin = (
        first: ["Sam", "Alex", "Noor", "Kim", "Jo", "Robin", "Ali", "Maya", "Lina", "Omar", "Zoe", "Eli", "Rami", "Dana", "Yusuf", "Hana"],
        last: ["Rivera", "Okafor", "Haddad", "Núñez", "Bello", "Nasser", "Lee", "Smith", "García", "Khalil", "Mensah", "Dubois", "Rossi", "Novak", "Silva", "Kaya"]
    )
    static let arabic = (
        first: ["مُحَمَّد", "أحمد", "فاطمة", "علي", "مريم", "يوسف", "ليلى", "عمر", "سارة", "حسن", "نور", "خالد", "رنا", "سامي", "هدى", "طارق"],
        last: ["عَلِي", "خليل", "الزهراء", "حداد", "ناصر", "سليمان", "إبراهيم", "منصور", "عيسى", "يوسف", "الحسن", "قاسم", "صالح", "عثمان", "جابر", "فارس"]
    )

    /// The name of record `index`: three parts from one script, unique for
    /// the first 16^4 = 65,536 of each script (and rarely shared after).
    static func name(_ index: Int) -> String {
        let lists = index % 2 == 0 ? latin : arabic
        let n = index / 2
        let parts = [lists.first[n % 16], lists.last[(n / 16) % 16], lists.last[(n / 256 + n / 4096) % 16]]
        return parts.joined(separator: " ") + (n >= 4096 ? " \(lists.first[(n / 4096) % 16])" : "")
    }

    /// Record `index`'s mobile number without the country code or the leading 0.
    static func phone(_ index: Int) -> String { "7" + String(format: "%09d", 100_000_000 + index) }

    static func fields(_ index: Int) throws -> [RecordField] {
        try [
            RecordField(compartment: .profile, name: "name", value: name(index)),
            RecordField(compartment: .profile, name: "phone", value: "+44 " + phone(index)),
            RecordField(compartment: .profile, name: "email", value: "person\(index)@example.org"),
            RecordField(compartment: .profile, name: "pronouns", value: "they/them"),
            RecordField(compartment: .notes, name: "need", value: "Needs help with housing, food and travel to appointments."),
        ]
    }

    static func run(records: Int, queries: Int, log: (String) -> Void) throws -> [BenchResult] {
        log("find: a vault of \(records) member records (not timed)")
        let vault = try BenchVault(members: 0, records: 0)
        let writer = try vault.open(vault.path, as: vault.lead)
        var ids: [RecordID] = []
        for start in stride(from: 0, to: records, by: 1000) {
            ids += try writer.addRecords(groupName: BenchVault.group, kind: .member, (start..<min(records, start + 1000)).map(fields))
        }
        let withoutIndex = try vault.copy(named: "no-index.kith")
        let state = CheckpointMemory(directory: vault.directory.appendingPathComponent("state"))
        let lead = try Vault(store: SQLiteVaultStore(path: vault.path), holder: vault.lead, memory: state)

        log("find-index: the first search builds the index")
        var built: SearchOutcome?
        let buildSeconds = try measure { built = try lead.search(SearchQuery.parse([name(0)]), groupName: BenchVault.group) }
        let decryptSeconds = try Baseline.aeadOpens(count: records, lengths: [32, 256])
        let file = state.directory.appendingPathComponent(Hex.encode(lead.state.fingerprint)).appendingPathComponent("\(lead.me).search").path
        let bytes = indexBytes(file)
        var results = [
            BenchResult(
                name: "find-index", n: records, seconds: buildSeconds, unit: "records/s",
                baseline: "raw AEAD opens of each profile", baselineSeconds: decryptSeconds,
                note: "index file \(bytes / 1_000_000) MB for \(records) records (\(bytes / max(records, 1)) B each); \(built?.indexed.first?.records ?? 0) decrypted")
        ]

        log("find-query: \(queries) searches in a warm process")
        var typed: [[String]] = []
        let kinds = ["whole name", "first and last", "phone", "e-mail", "prefix", "phone field"]
        var generator = SystemRandomNumberGenerator()
        for query in 0..<queries {
            let index = Int.random(in: 0..<records, using: &generator)
            let words = name(index).split(separator: " ").map(String.init)
            switch query % 6 {
            case 0: typed.append([name(index)])
            case 1: typed.append([words[0], words[1]])
            case 2: typed.append(["0" + phone(index)])
            case 3: typed.append(["person\(index)@example.org"])
            case 4: typed.append([words[0], String(words[1].dropLast())])
            default: typed.append(["phone=0044 " + phone(index)])
            }
        }
        var latencies: [Double] = []
        var found = 0
        let querySeconds = try measure {
            for words in typed {
                let query = try SearchQuery.parse(words)
                var outcome: SearchOutcome?
                latencies.append(try measure { outcome = try lead.search(query, groupName: BenchVault.group) })
                found += outcome?.results.isEmpty == false ? 1 : 0
            }
        }
        let readSeconds = try measure {
            for index in 0..<queries { _ = try lead.readRecord(ids[(index * 7919) % ids.count]) }
        }
        func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] * 1000 }
        let byKind = kinds.enumerated().map { index, kind in
            String(format: "%@ %.1f", kind, median(latencies.enumerated().filter { $0.offset % kinds.count == index }.map(\.element)))
        }
        let sorted = latencies.sorted()
        results.append(
            BenchResult(
                name: "find-query", n: queries, seconds: querySeconds, unit: "queries/s",
                baseline: "one logged record read each", baselineSeconds: readSeconds,
                note: String(
                    format: "median %.2f ms, p90 %.2f ms, each logged; %d of %d found something; medians (ms) by kind: %@", median(latencies),
                    sorted[sorted.count * 9 / 10] * 1000, found, queries, byKind.joined(separator: ", "))))

        log("find-command: a whole command through the unlock agent, in process (keyfile, agent, resumed open, search)")
        results.append(try command(vault: vault, state: state, queries: typed.prefix(20).map { $0 }))

        log("find-write: adding records with the index present, and without")
        let writes = min(200, records)
        // With its own state folder, as a command has: only the index differs.
        let plain = try Vault(
            store: SQLiteVaultStore(path: withoutIndex), holder: vault.lead, memory: CheckpointMemory(directory: vault.directory.appendingPathComponent("state-plain")))
        // Interleaved, so a slow moment of the disk falls on both alike.
        var indexedSeconds = 0.0, plainSeconds = 0.0
        let indexingBefore = lead.ownWriteIndexingSeconds
        for index in 0..<writes {
            indexedSeconds += try measure { _ = try lead.addRecord(groupName: BenchVault.group, kind: .member, fields: fields(records + index)) }
            plainSeconds += try measure { _ = try plain.addRecord(groupName: BenchVault.group, kind: .member, fields: fields(records + index)) }
        }
        let extra = (indexedSeconds - plainSeconds) / Double(writes) * 1000
        let inside = (lead.ownWriteIndexingSeconds - indexingBefore) / Double(writes) * 1000
        results.append(
            BenchResult(
                name: "find-write", n: writes, seconds: indexedSeconds, unit: "writes/s",
                baseline: "the same writes, no index", baselineSeconds: plainSeconds,
                note: String(format: "indexing adds %.2f ms a write by the wall clock, %.2f ms measured inside the library", extra, inside)))
        return results
    }

    /// `kith find` as a command does it, minus starting the process: load the
    /// keyfile, reach the agent, open the vault from the resume cache, search.
    /// Baseline: the same command's open alone (what every command pays).
    static func command(vault: BenchVault, state: CheckpointMemory, queries: [[String]]) throws -> BenchResult {
        var passphraseBytes = Array("bench-only passphrase, not a real one".utf8)
        let passphrase = try SecureBytes(wiping: &passphraseBytes)
        let fingerprint = try Vault(store: SQLiteVaultStore(path: vault.path), holder: vault.lead).state.fingerprint
        let agent = try BenchAgent(vault: vault, fingerprint: fingerprint, passphrase: passphrase, profile: .interactive)
        defer { agent.lock() }
        func open() throws -> Vault {
            let loaded = try IdentityKeyfile.load(path: agent.keyfilePath)
            guard let holder = AgentClient.connect(socketPath: agent.socketPath, identity: loaded.identity) else { throw BenchFailure("the agent did not answer") }
            return try Vault(store: SQLiteVaultStore(path: vault.path), holder: holder, expectedFingerprint: loaded.vaultFingerprint, memory: state)
        }
        _ = try open()
        var times: [Double] = []
        var opens: [Double] = []
        for words in queries {
            let query = try SearchQuery.parse(words)
            times.append(try measure { _ = try open().search(query, groupName: BenchVault.group) })
            opens.append(try measure { _ = try open() })
        }
        let median = times.sorted()[times.count / 2], openMedian = opens.sorted()[opens.count / 2]
        return BenchResult(
            name: "find-command", n: times.count, seconds: times.reduce(0, +), unit: "commands/s",
            baseline: "the same open, no search", baselineSeconds: opens.reduce(0, +),
            note: String(format: "median %.1f ms a find through the agent (open alone %.1f ms), before the few ms of starting a process", median * 1000, openMedian * 1000))
    }

    /// The index file and its write-ahead log, in bytes.
    static func indexBytes(_ file: String) -> Int {
        ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: file + suffix)[.size] as? Int) ?? 0)
        }
    }
}

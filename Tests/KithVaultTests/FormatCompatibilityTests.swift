import Foundation
import GRDB
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

/// Frozen known answers in Keys/known-answers/v1 to v7, made once by the code
/// (regenerate only on purpose, with KITH_WRITE_KNOWN_ANSWERS=1 to 7). If a change
/// would make existing vaults or keyfiles unreadable, these tests fail.
@Suite("Format compatibility (frozen v1 to v7 files)")
struct FormatCompatibilityTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Keys/known-answers/v1")
    static let memberID = "6b6974682d6b61742d6d656d62657231"
    // Test-only passphrases of test-only keyfiles.
    static let passphrases = [
        "lead": "test-only passphrase: lead", "worker": "test-only passphrase: worker", "auditor": "test-only passphrase: auditor", "nova": "test-only passphrase: nova",
    ]

    static func passphrase(_ handle: String) throws -> SecureBytes {
        var bytes = Array((passphrases[handle] ?? "").utf8)
        return try SecureBytes(wiping: &bytes)
    }

    @Test("a v1 keyfile still opens and a v1 vault still reads")
    func readsFrozenVault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))) as? [String: Any])

        let keyfile = try IdentityKeyfile.load(path: Self.folder.appendingPathComponent("worker.kithid").path)
        let worker = try keyfile.unlock(passphrase: Self.passphrase("worker"))
        #expect(worker.identity.userID.description == expected["worker_id"] as? String)
        let vault = try Vault(store: SQLiteVaultStore(path: vaultCopy.path), holder: worker)
        #expect(Hex.encode(vault.state.fingerprint) == expected["fingerprint"] as? String)
        #expect(Int(vault.state.count) == expected["entries"] as? Int)
        // The frozen log holds every entry type (reads are added below), and its records were rewrapped onto epoch 2.
        let types = Set(try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map { try LogEntry.decode($0).body.type })
        #expect(types == Set(EntryType.allCases.filter { $0.rawValue <= 13 }).subtracting([.recordRead]))
        let member = try vault.readRecord(Identifier(parsing: Self.memberID))
        #expect(Dictionary(uniqueKeysWithValues: member.fields.map { ($0.name, $0.value) }) == expected["member_fields"] as? [String: String])
        #expect(member.withheld == [.sensitive])
        let stored = try StoredRecord.decode(#require(try SQLiteVaultStore(path: vaultCopy.path).record(Identifier(parsing: Self.memberID), version: 1)))
        #expect(stored.parts.first { $0.compartment == .profile }.map { ($0.contentEpoch, $0.wrapEpoch) } ?? (0, 0) == (1, 2))
        let caseID = try Identifier(parsing: try #require(expected["case_id"] as? String))
        #expect(try vault.notes(caseID: caseID).map { $0.fields.first?.value ?? "" } == expected["notes"] as? [String])

        // The auditor opens details the lead sealed before the audit key existed, and the stored checkpoints and cosignature verify.
        let auditorKeyfile = try IdentityKeyfile.load(path: Self.folder.appendingPathComponent("auditor.kithid").path)
        let auditor = try Vault(store: SQLiteVaultStore(path: vaultCopy.path), holder: auditorKeyfile.unlock(passphrase: Self.passphrase("auditor")))
        let policyLine = try #require(try auditor.auditLog(AuditLogFilter(type: .policySet)).first)
        #expect(policyLine.details?.first?.value == expected["policy_action"] as? String)
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
        #expect(report.newestWitnessed?.witnesses == [auditor.me])
    }

    @Test("writes the frozen v1 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "1"))
    func writeFrozenFiles() throws {
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
        let path = Self.folder.appendingPathComponent("vault.kith").path
        let cheap = try Argon2idParameters(opsLimit: 1, memLimit: 8192)
        let tick: @Sendable () -> UInt64 = { 1_790_000_000_000 }
        let lead = try UnlockedIdentity.generate(), worker = try UnlockedIdentity.generate(), former = try UnlockedIdentity.generate()
        let admin = try Vault.found(store: SQLiteVaultStore(path: path, create: true), founder: UnlockedIdentity.generate(), handle: Handle("admin"), clock: tick)
        for (identity, handle) in [(lead, "lead"), (worker, "worker")] {
            try admin.approve(EnrollmentRequest.make(holder: identity, handle: Handle(handle), vaultFingerprint: nil), role: .user)
            try IdentityKeyfile.seal(
                identity, handle: Handle(handle), vaultFingerprint: admin.state.fingerprint, passphrase: Self.passphrase(handle),
                profileName: "test-only", parameters: cheap
            ).write(to: Self.folder.appendingPathComponent("\(handle).kithid").path)
        }
        try admin.approve(EnrollmentRequest.make(holder: former, handle: Handle("former"), vaultFingerprint: nil), role: .user)
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        let leadVault = try Vault(store: SQLiteVaultStore(path: path), holder: lead)
        leadVault.clock = tick
        try leadVault.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        // A fixed record id, so the test knows what to read.
        let memberID = try Identifier(parsing: Self.memberID)
        let fields = try [
            RecordField.parse("name=Sam Rivera", kind: .member), RecordField.parse("pronouns=they/them", kind: .member),
            RecordField.parse("sensitive:status=known-answer", kind: .member),
        ]
        try leadVault.writeForTesting(id: memberID, kind: .member, group: "Known Answers", fields: fields)
        let caseID = try leadVault.addRecord(groupName: "Known Answers", kind: .case, fields: [RecordField.parse("need=housing", kind: .case)])
        try leadVault.addNote(caseID: caseID, text: "First note.")
        try leadVault.addNote(caseID: caseID, text: "Second note.")
        // Every entry type appears: a policy change, and a revocation with a rewrap (records on epoch 2 keys).
        var policy = GroupPolicy.default
        policy.readable[.viewer] = [.profile, .notes]
        try leadVault.setPolicy(groupName: "Known Answers", policy)
        try leadVault.share(groupName: "Known Answers", with: "former", role: .viewer)
        _ = try leadVault.revoke(groupName: "Known Answers", from: "former", mode: .rewrap)
        // The audit key (made by an auditor), the lead's detail key sealed to it with the lead's next write, a cosigned checkpoint.
        let auditorIdentity = try UnlockedIdentity.generate()
        try admin.approve(EnrollmentRequest.make(holder: auditorIdentity, handle: Handle("auditor"), vaultFingerprint: nil), role: .auditor)
        try IdentityKeyfile.seal(
            auditorIdentity, handle: Handle("auditor"), vaultFingerprint: admin.state.fingerprint, passphrase: Self.passphrase("auditor"),
            profileName: "test-only", parameters: cheap
        ).write(to: Self.folder.appendingPathComponent("auditor.kithid").path)
        let memory = CheckpointMemory(directory: FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat-state-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: memory.directory) }
        let auditorVault = try Vault(store: SQLiteVaultStore(path: path), holder: auditorIdentity, memory: memory)
        auditorVault.clock = tick
        try auditorVault.shareAuditKey()
        try leadVault.addNote(caseID: caseID, text: "Third note.")
        _ = try auditorVault.witness()
        let expected: [String: Any] = [
            "policy_action": "set the policy of Known Answers",
            "fingerprint": Hex.encode(leadVault.state.fingerprint), "entries": Int(leadVault.state.count),
            "worker_id": worker.identity.userID.description, "case_id": caseID.description,
            "member_fields": ["name": "Sam Rivera", "pronouns": "they/them"], "notes": ["First note.", "Second note.", "Third note."],
        ]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder.appendingPathComponent("expected.json"))
    }

    // MARK: v2: removals from the vault, directory and audit epochs

    static let folder2 = folder.deletingLastPathComponent().appendingPathComponent("v2")

    @Test("a v2 vault (a user and an auditor removed, the audit key renewed and chained) still opens and reads")
    func readsFrozenV2Vault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder2.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder2.appendingPathComponent("expected.json"))) as? [String: Any])
        let types = Set(try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map { try LogEntry.decode($0).body.type })
        #expect(types.isSuperset(of: [.userRemoved, .auditKeyChained, .detailKeySealed, .auditKeyShared]))

        let worker = try IdentityKeyfile.load(path: Self.folder2.appendingPathComponent("worker.kithid").path).unlock(passphrase: Self.passphrase("worker"))
        let vault = try Vault(store: SQLiteVaultStore(path: vaultCopy.path), holder: worker)
        #expect(Hex.encode(vault.state.fingerprint) == expected["fingerprint"] as? String)
        #expect(vault.state.directoryEpoch == 3 && vault.state.auditEpoch == 2)
        #expect(try vault.groups().map(\.name).sorted() == expected["groups"] as? [String])
        #expect(try vault.users().filter(\.removed).map(\.handle).sorted() == expected["removed"] as? [String])
        let member = try vault.readRecord(Identifier(parsing: Self.memberID))
        #expect(member.fields.first { $0.name == "name" }?.value == "Sam Rivera")
        let late = try Identifier(parsing: try #require(expected["late_id"] as? String))
        #expect(try vault.readRecord(late).fields.first?.value == "After the removals")

        // The auditor who stayed reads details of both audit epochs.
        let auditor = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder2.appendingPathComponent("auditor.kithid").path).unlock(passphrase: Self.passphrase("auditor")))
        #expect(try auditor.auditLog(AuditLogFilter(type: .policySet)).first?.details?.first?.value == expected["policy_action"] as? String)
        #expect(try auditor.auditLog(AuditLogFilter(record: late)).first?.details?.isEmpty == false)
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
    }

    @Test("writes the frozen v2 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "2"))
    func writeFrozenV2Files() throws {
        try FileManager.default.createDirectory(at: Self.folder2, withIntermediateDirectories: true)
        let path = Self.folder2.appendingPathComponent("vault.kith").path
        let cheap = try Argon2idParameters(opsLimit: 1, memLimit: 8192)
        let tick: @Sendable () -> UInt64 = { 1_800_000_000_000 }
        let admin = try Vault.found(store: SQLiteVaultStore(path: path, create: true), founder: UnlockedIdentity.generate(), handle: Handle("admin"), clock: tick)
        var identities: [String: UnlockedIdentity] = [:]
        for (handle, role) in [("lead", OrgRole.user), ("worker", .user), ("former", .user), ("auditor", .auditor), ("gone", .auditor)] {
            let identity = try UnlockedIdentity.generate()
            identities[handle] = identity
            try admin.approve(EnrollmentRequest.make(holder: identity, handle: Handle(handle), vaultFingerprint: nil), role: role)
            if ["worker", "auditor"].contains(handle) {
                try IdentityKeyfile.seal(
                    identity, handle: Handle(handle), vaultFingerprint: admin.state.fingerprint, passphrase: Self.passphrase(handle),
                    profileName: "test-only", parameters: cheap
                ).write(to: Self.folder2.appendingPathComponent("\(handle).kithid").path)
            }
        }
        func open(_ handle: String) throws -> Vault {
            let vault = try Vault(
                store: SQLiteVaultStore(path: path), holder: #require(identities[handle]),
                memory: CheckpointMemory(directory: FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat2-\(handle)-\(UUID().uuidString)")))
            vault.clock = tick
            return vault
        }
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        let lead = try open("lead")
        try lead.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        try lead.share(groupName: "Known Answers", with: "former", role: .viewer)
        try lead.writeForTesting(
            id: Identifier(parsing: Self.memberID), kind: .member, group: "Known Answers",
            fields: [RecordField.parse("name=Sam Rivera", kind: .member), RecordField.parse("sensitive:status=known-answer", kind: .member)])
        try open("gone").shareAuditKey()
        var policy = GroupPolicy.default
        policy.readable[.viewer] = [.profile, .notes]
        try lead.setPolicy(groupName: "Known Answers", policy)
        try admin.refresh()
        try admin.removeUser(handle: "former")
        try admin.removeUser(handle: "gone")
        try admin.createGroup(name: "After")
        let auditor = try open("auditor")
        try auditor.shareAuditKey()
        try lead.refresh()
        let late = try lead.addRecord(groupName: "Known Answers", kind: .member, fields: [RecordField.parse("name=After the removals", kind: .member)])
        try auditor.refresh()
        _ = try auditor.witness()
        let expected: [String: Any] = [
            "policy_action": "set the policy of Known Answers", "fingerprint": Hex.encode(lead.state.fingerprint),
            "groups": ["After", "Known Answers"], "removed": ["former", "gone"], "late_id": late.description,
        ]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder2.appendingPathComponent("expected.json"))
    }

    // MARK: v3: search (issue 18)

    static let folder3 = folder.deletingLastPathComponent().appendingPathComponent("v3")

    @Test("a v3 vault (search entries, a policy naming its searchable fields) still opens, searches and verifies")
    func readsFrozenV3Vault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder3.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder3.appendingPathComponent("expected.json"))) as? [String: Any])
        let types = Set(try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map { try LogEntry.decode($0).body.type })
        #expect(types.isSuperset(of: [.recordsIndexed, .searched, .policySet]))

        let worker = try IdentityKeyfile.load(path: Self.folder3.appendingPathComponent("worker.kithid").path).unlock(passphrase: Self.passphrase("worker"))
        let vault = try Vault(store: SQLiteVaultStore(path: vaultCopy.path), holder: worker, memory: CheckpointMemory(directory: scratch.appendingPathComponent("state")))
        #expect(Hex.encode(vault.state.fingerprint) == expected["fingerprint"] as? String)
        #expect(try vault.policy(groupName: "Known Answers").jsonSearch == expected["search"] as? [String: String])
        let found = try vault.search(SearchQuery.parse(["K-2041"]), groupName: "Known Answers")
        #expect(found.results.map(\.id.description) == [try #require(expected["member_id"] as? String)])
        #expect(try vault.search(SearchQuery.parse(["2041"]), groupName: "Known Answers").results.isEmpty)

        let auditor = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder3.appendingPathComponent("auditor.kithid").path).unlock(passphrase: Self.passphrase("auditor")))
        let queries = try auditor.auditLog(AuditLogFilter(type: .searched)).compactMap { $0.details?.first { $0.key == "query" }?.value }
        #expect(queries.contains(try #require(expected["query"] as? String)))
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
    }

    @Test("writes the frozen v3 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "3"))
    func writeFrozenV3Files() throws {
        let frozen = try FrozenVault(folder: Self.folder3, time: 1_810_000_000_000, keyfiles: ["worker", "auditor"])
        let admin = frozen.admin
        let open = frozen.open
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        try open("auditor").shareAuditKey()
        let lead = try open("lead")
        try lead.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        var policy = GroupPolicy.default
        policy.search = ["name": .words, "member_no": .whole, "phone": .digits]
        try lead.setPolicy(groupName: "Known Answers", policy)
        let member = try lead.addRecord(
            groupName: "Known Answers", kind: .member,
            fields: [RecordField.parse("name=مُحَمَّد عَلِي", kind: .member), RecordField.parse("member_no=K-2041", kind: .member)])
        let worker = try open("worker")
        _ = try worker.search(SearchQuery.parse(["محمد"]))
        let plan = try ImportPlan.make(csv: Data("name,member_no\nمحمد علي,K-2041\n".utf8), kind: .member)
        _ = try worker.importRecords(plan, groupName: "Known Answers", duplicates: .skip)
        let expected: [String: Any] = [
            "fingerprint": Hex.encode(lead.state.fingerprint), "member_id": member.description, "query": "محمد",
            "search": ["member_no": "whole", "name": "words", "phone": "digits"],
        ]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder3.appendingPathComponent("expected.json"))
    }

    // MARK: v4: everyday case work (issue 21)

    static let folder4 = folder.deletingLastPathComponent().appendingPathComponent("v4")

    @Test("a v4 vault (carried parts in stored format 2 and entry type 18, a case about a member, a policy asking reasons) still opens, reads and verifies")
    func readsFrozenV4Vault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder4.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder4.appendingPathComponent("expected.json"))) as? [String: Any])
        let member = try RecordID(parsing: #require(expected["member_id"] as? String))
        let types = try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map { try LogEntry.decode($0).body.type }
        #expect(types.filter { $0 == .recordWrittenCarrying }.count == 2)
        #expect(try SQLiteVaultStore(path: vaultCopy.path).record(member, version: 2)?.first == StoredRecord.carryingFormatVersion)

        let lead = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder4.appendingPathComponent("lead.kithid").path).unlock(passphrase: Self.passphrase("lead")),
            memory: CheckpointMemory(directory: scratch.appendingPathComponent("state")))
        #expect(Hex.encode(lead.state.fingerprint) == expected["fingerprint"] as? String)
        #expect(try lead.policy(groupName: "Known Answers").reasons == [.sensitiveReads])
        #expect(throws: KithVaultError.self) { try lead.readRecord(member) }
        try lead.setAccessReason("known-answer check")
        let values = try #require(expected["versions"] as? [[String: String]])
        for (index, want) in values.enumerated() {
            let view = try lead.readRecord(member, version: UInt32(index + 1))
            #expect(Dictionary(view.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }) == want, "version \(index + 1)")
        }
        #expect(try lead.history(member).map(\.carried) == [[], [.sensitive], [], [.sensitive]])
        #expect(try lead.cases(ofMember: member).map(\.id.description) == [try #require(expected["case_id"] as? String)])

        let worker = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder4.appendingPathComponent("worker.kithid").path).unlock(passphrase: Self.passphrase("worker")))
        #expect(try worker.readRecord(member).withheld == [.sensitive])
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
        #expect(report.records?.versions == 5 && report.records?.problems.isEmpty == true)
    }

    @Test("writes the frozen v4 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "4"))
    func writeFrozenV4Files() throws {
        let frozen = try FrozenVault(folder: Self.folder4, time: 1_830_000_000_000, keyfiles: ["lead", "worker"])
        let admin = frozen.admin
        let open = frozen.open
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        try open("auditor").shareAuditKey()
        let lead = try open("lead")
        try lead.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        var policy = GroupPolicy.default
        policy.reasons = [.sensitiveReads]
        try lead.setPolicy(groupName: "Known Answers", policy)
        let field = { (text: String) in try RecordField.parse(text, kind: .member) }
        let member = try lead.addRecord(groupName: "Known Answers", kind: .member, fields: [field("name=سارة"), field("phone=1"), field("sensitive:hiv=a")])
        let worker = try open("worker")
        try worker.updateRecord(member, fields: [field("phone=2")])
        try lead.refresh()
        try lead.updateRecord(member, fields: [field("sensitive:hiv=b")])
        try worker.refresh()
        try worker.updateRecord(member, fields: [field("phone=3")])
        let caseID = try worker.addRecord(groupName: "Known Answers", kind: .case, fields: [RecordField.parse("need=housing", kind: .case)], parent: member)
        try lead.refresh()
        try lead.setAccessReason("known-answer check")
        _ = try lead.readRecord(member)
        let versions: [[String: String]] = [
            ["name": "سارة", "phone": "1", "hiv": "a"], ["name": "سارة", "phone": "2", "hiv": "a"],
            ["name": "سارة", "phone": "2", "hiv": "b"], ["name": "سارة", "phone": "3", "hiv": "b"],
        ]
        let expected: [String: Any] = [
            "fingerprint": Hex.encode(lead.state.fingerprint), "member_id": member.description, "case_id": caseID.description, "versions": versions,
        ]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder4.appendingPathComponent("expected.json"))
    }
}

extension FormatCompatibilityTests {
    // MARK: v5: erasure and retention (issue 19)

    static let folder5 = folder.deletingLastPathComponent().appendingPathComponent("v5")

    @Test("a v5 vault (a policy with retention, erasure entries by decision and by retention) still opens, refuses the erased and verifies")
    func readsFrozenV5Vault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder5.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder5.appendingPathComponent("expected.json"))) as? [String: Any])
        let ids = { (key: String) in try RecordID(parsing: #require(expected[key] as? String)) }
        let causes = try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map(LogEntry.decode).compactMap { entry -> ErasureCause? in
            if case .recordsErased(_, let cause, _) = entry.body { return cause }
            return nil
        }
        #expect(causes == [.request, .retention(kind: .note, months: 24)])
        let lead = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder5.appendingPathComponent("lead.kithid").path).unlock(passphrase: Self.passphrase("lead")),
            memory: CheckpointMemory(directory: scratch.appendingPathComponent("state")))
        #expect(Hex.encode(lead.state.fingerprint) == expected["fingerprint"] as? String)
        #expect(try lead.policy(groupName: "Known Answers").retention == [.note: 24, .case: 36])
        for key in ["erased_member", "erased_case", "old_note"] {
            #expect(throws: KithVaultError.self, "\(key)") { try lead.readRecord(ids(key)) }
        }
        #expect(try lead.listRecords(groupName: "Known Answers").map(\.id).sorted() == [ids("kept_member"), ids("kept_case")].sorted())
        #expect(try lead.readRecord(ids("kept_member")).fields.first?.value == expected["kept_name"] as? String)
        #expect(try lead.history(ids("erased_member")).count == 1)
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
        #expect(report.records?.erased == 3 && report.records?.problems.isEmpty == true)
    }

    @Test("writes the frozen v5 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "5"))
    func writeFrozenV5Files() throws {
        let frozen = try FrozenVault(folder: Self.folder5, time: 1_850_000_000_000, keyfiles: ["lead"])
        let admin = frozen.admin
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        try frozen.open("auditor").shareAuditKey()
        let lead = try frozen.open("lead")
        try lead.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        var policy = GroupPolicy.default
        policy.retention = [.note: 24, .case: 36]
        try lead.setPolicy(groupName: "Known Answers", policy)
        let member = { (name: String) in try lead.addRecord(groupName: "Known Answers", kind: .member, fields: [RecordField.parse("name=\(name)", kind: .member)]) }
        let erasedMember = try member("سام")
        let keptMember = try member("دينا")
        let erasedCase = try lead.addRecord(groupName: "Known Answers", kind: .case, fields: [RecordField.parse("need=housing", kind: .case)], parent: erasedMember)
        let keptCase = try lead.addRecord(groupName: "Known Answers", kind: .case, fields: [RecordField.parse("need=food", kind: .case)], parent: keptMember)
        let oldNote = try lead.addNote(caseID: keptCase, text: "an old note")
        try lead.eraseRecord(erasedMember, cases: .erase, reason: "known-answer erasure")
        // 25 months on (the same frozen clock, moved), the note is past its rule.
        let later = try frozen.open("lead")
        later.clock = { 1_850_000_000_000 + 25 * VaultState.millisPerMonth }
        try later.updateRecord(keptCase, fields: [RecordField.parse("need=food and rent", kind: .case)])
        let outcome = try later.applyRetention(groupName: "Known Answers")
        #expect(outcome.erased == 1)
        let expected: [String: Any] = [
            "fingerprint": Hex.encode(lead.state.fingerprint), "erased_member": erasedMember.description, "erased_case": erasedCase.description,
            "old_note": oldNote.description, "kept_member": keptMember.description, "kept_case": keptCase.description, "kept_name": "دينا",
        ]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder5.appendingPathComponent("expected.json"))
    }
}

/// A vault being frozen as known answers (v3 on): founded by "admin" at a
/// fixed time, with a lead, a case worker and an auditor enrolled, and
/// test-only keyfiles written for `keyfiles` beside it.
private struct FrozenVault {
    let path: String
    let admin: Vault
    let identities: [String: UnlockedIdentity]
    let tick: @Sendable () -> UInt64

    init(folder: URL, time: UInt64, keyfiles: Set<String>, more: [String] = []) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("vault.kith").path
        let cheap = try Argon2idParameters(opsLimit: 1, memLimit: 8192)
        let tick: @Sendable () -> UInt64 = { time }
        self.tick = tick
        admin = try Vault.found(store: SQLiteVaultStore(path: path, create: true), founder: UnlockedIdentity.generate(), handle: Handle("admin"), clock: tick)
        var identities: [String: UnlockedIdentity] = [:]
        for (handle, role) in [("lead", OrgRole.user), ("worker", .user), ("auditor", .auditor)] + more.map({ ($0, OrgRole.user) }) {
            let identity = try UnlockedIdentity.generate()
            identities[handle] = identity
            try admin.approve(EnrollmentRequest.make(holder: identity, handle: Handle(handle), vaultFingerprint: nil), role: role)
            if keyfiles.contains(handle) {
                try IdentityKeyfile.seal(
                    identity, handle: Handle(handle), vaultFingerprint: admin.state.fingerprint, passphrase: FormatCompatibilityTests.passphrase(handle),
                    profileName: "test-only", parameters: cheap
                ).write(to: folder.appendingPathComponent("\(handle).kithid").path)
            }
        }
        self.identities = identities
    }

    /// The vault as `handle`, at the frozen time, with a throwaway state folder.
    func open(_ handle: String) throws -> Vault {
        let vault = try Vault(
            store: SQLiteVaultStore(path: path), holder: #require(identities[handle]),
            memory: CheckpointMemory(directory: FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat-\(handle)-\(UUID().uuidString)")))
        vault.clock = tick
        return vault
    }
}

extension FormatCompatibilityTests {
    // MARK: v6: k-of-n recovery (issue 20)

    static let folder6 = folder.deletingLastPathComponent().appendingPathComponent("v6")

    @Test("a v6 vault (a group recovered by 2 of 3 trustees, keys sealed to its new recovery, a replaced identity) still opens, reads and verifies")
    func readsFrozenV6Vault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat6-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder6.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder6.appendingPathComponent("expected.json"))) as? [String: Any])
        let types = Set(try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map { try LogEntry.decode($0).body.type })
        #expect(types.isSuperset(of: [.recoverySetUp, .recoveryRequested, .recoveryApproved, .recoveryCompleted, .keysDistributedWithRecovery, .userReplaced]))
        let nova = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder6.appendingPathComponent("nova.kithid").path).unlock(passphrase: Self.passphrase("nova")),
            memory: CheckpointMemory(directory: scratch.appendingPathComponent("state")))
        #expect(Hex.encode(nova.state.fingerprint) == expected["fingerprint"] as? String)
        let member = try RecordID(parsing: #require(expected["member"] as? String))
        #expect(try nova.readRecord(member).fields.contains { $0.name == "status" && $0.value == expected["status"] as? String })
        let status = try nova.recoveryStatus(groupName: "Known Answers")
        #expect(status.epoch == 2 && status.threshold == 2 && status.trustees.map(\.handle) == ["auditor", "trustee", "worker (removed)"])
        #expect(status.frozen == .holderRemoved && status.lastRecoveredAt != nil)
        let worker = try nova.user(handle: "worker")
        #expect(nova.state.users[worker.id]?.replaces != nil)
        #expect(try nova.rolesToRegrant(#require(nova.state.users[worker.id]?.replaces)).isEmpty, "the worker's role was revoked before")
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
    }

    @Test("writes the frozen v6 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "6"))
    func writeFrozenV6Files() throws {
        let frozen = try FrozenVault(folder: Self.folder6, time: 1_860_000_000_000, keyfiles: ["nova"], more: ["trustee", "nova"])
        let admin = frozen.admin
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        let lead = try frozen.open("lead")
        try lead.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        let member = try lead.addRecord(
            groupName: "Known Answers", kind: .member, fields: [RecordField.parse("name=نور", kind: .member), RecordField.parse("sensitive:status=asylum pending", kind: .member)])
        try lead.setUpRecovery(groupName: "Known Answers", threshold: 2, trustees: ["worker", "auditor", "trustee"])
        // The lead's keyfile is lost: the admin removes her; nova asks, two trustees approve, nova completes.
        try admin.refresh()
        _ = try admin.removeUser(handle: "lead")
        let nova = try frozen.open("nova")
        _ = try nova.requestRecovery(groupName: "Known Answers")
        _ = try frozen.open("worker").approveRecovery(groupName: "Known Answers")
        _ = try frozen.open("auditor").approveRecovery(groupName: "Known Answers")
        try nova.refresh()
        _ = try nova.completeRecovery(groupName: "Known Answers")
        // A revocation's new epochs are sealed to the new recovery (type 26); then the worker, a trustee, loses every
        // device and an admin replaces the identity (type 27; the recovery freezes).
        try nova.revoke(groupName: "Known Answers", from: "worker")
        try admin.refresh()
        let replacement = try EnrollmentRequest.make(holder: UnlockedIdentity.generate(), handle: Handle("worker"), vaultFingerprint: admin.state.fingerprint)
        _ = try admin.replaceUser(handle: "worker", with: EnrollmentRequest.parse(replacement.fileBytes))
        let expected: [String: Any] = ["fingerprint": Hex.encode(nova.state.fingerprint), "member": member.description, "status": "asylum pending"]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder6.appendingPathComponent("expected.json"))
    }
}

extension FormatCompatibilityTests {
    // MARK: v7: a restore accepted by an admin (issue 25)

    static let folder7 = folder.deletingLastPathComponent().appendingPathComponent("v7")

    @Test("a v7 vault (restored from a backup, the restore accepted by an admin, written after) still opens, reads and verifies")
    func readsFrozenV7Vault() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vaultCopy = scratch.appendingPathComponent("vault.kith")
        try FileManager.default.copyItem(at: Self.folder7.appendingPathComponent("vault.kith"), to: vaultCopy)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder7.appendingPathComponent("expected.json"))) as? [String: Any])
        let entries = try SQLiteVaultStore(path: vaultCopy.path).entries(from: 0).map { try LogEntry.decode($0) }
        let accepted = try #require(entries.first { $0.body.type == .restoreAccepted })
        #expect(accepted.seq == UInt64(try #require(expected["accepted_at"] as? Int)))
        #expect(accepted.body == .restoreAccepted(seenSize: UInt64(try #require(expected["seen"] as? Int))))
        let worker = try Vault(
            store: SQLiteVaultStore(path: vaultCopy.path),
            holder: IdentityKeyfile.load(path: Self.folder7.appendingPathComponent("worker.kithid").path).unlock(passphrase: Self.passphrase("worker")),
            memory: CheckpointMemory(directory: scratch.appendingPathComponent("state")))
        #expect(Hex.encode(worker.state.fingerprint) == expected["fingerprint"] as? String)
        #expect(worker.state.restoresAccepted == [accepted.seq])
        let names = try #require(expected["members"] as? [String: String])
        for (id, name) in names { #expect(try worker.readRecord(RecordID(parsing: id)).fields.first?.value == name) }
        let lost = try RecordID(parsing: #require(expected["lost"] as? String))
        #expect(throws: KithVaultError.self) { try worker.readRecord(lost) }
        let line = try #require(try worker.auditLog(AuditLogFilter(type: .restoreAccepted)).first)
        #expect(line.summary.contains("accepted the vault as restored from a backup"))
        // The state snapshot with the accepted restore round-trips through the resume cache.
        let again = try Vault(store: SQLiteVaultStore(path: vaultCopy.path), holder: worker.holder, memory: CheckpointMemory(directory: scratch.appendingPathComponent("state")))
        #expect(again.resumedFrom != nil && again.state.restoresAccepted == [accepted.seq])
        let report = try AuditVerifier.verify(store: SQLiteVaultStore(path: vaultCopy.path))
        #expect(report.valid, "\(report.problems)")
    }

    @Test("writes the frozen v7 files (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_KNOWN_ANSWERS"] == "7"))
    func writeFrozenV7Files() throws {
        let frozen = try FrozenVault(folder: Self.folder7, time: 1_870_000_000_000, keyfiles: ["worker"])
        let admin = frozen.admin
        try admin.createGroup(name: "Known Answers")
        try admin.share(groupName: "Known Answers", with: "lead", role: .lead)
        let lead = try frozen.open("lead")
        try lead.share(groupName: "Known Answers", with: "worker", role: .caseworker)
        let worker = try frozen.open("worker")
        let member = { (vault: Vault, name: String) in
            try vault.addRecord(groupName: "Known Answers", kind: .member, fields: [RecordField.parse("name=\(name)", kind: .member)])
        }
        let before = try member(worker, "سام")
        // A backup, as an operator takes one; then work it lacks; then the backup comes back.
        let database = try DatabaseQueue(path: frozen.path)
        let tables = ["log_entries", "records", "checkpoints"]
        try database.writeWithoutTransaction { db in
            for table in tables { try db.execute(sql: "CREATE TABLE backup_\(table) AS SELECT * FROM \(table)") }
        }
        let lost = try member(lead, "Lost Name")
        let adminMemory = CheckpointMemory(directory: FileManager.default.temporaryDirectory.appendingPathComponent("kith-kat7-admin-\(UUID().uuidString)"))
        let seen = try Vault(store: SQLiteVaultStore(path: frozen.path), holder: admin.holder, memory: adminMemory).state.count
        try database.writeWithoutTransaction { db in
            let triggers = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'log_entries'")
            try db.execute(sql: "DROP TRIGGER log_entries_no_delete")
            try db.execute(sql: "DROP TRIGGER log_entries_no_update")
            try db.execute(sql: "DROP TRIGGER log_entries_contiguous")
            for table in ["records", "checkpoints", "log_entries"] { try db.execute(sql: "DELETE FROM \(table)") }
            try db.execute(sql: "INSERT INTO log_entries SELECT * FROM backup_log_entries ORDER BY seq")
            try db.execute(sql: "INSERT INTO records SELECT * FROM backup_records")
            try db.execute(sql: "INSERT INTO checkpoints SELECT * FROM backup_checkpoints")
            for table in tables { try db.execute(sql: "DROP TABLE backup_\(table)") }
            for trigger in triggers { try db.execute(sql: trigger) }
        }
        // Someone who saw nothing newer writes to it, so no device can heal it; an admin accepts it.
        let fork = try member(try frozen.open("worker"), "دينا")
        let (acceptance, _) = try Vault.acceptRestore(
            store: SQLiteVaultStore(path: frozen.path), holder: admin.holder, memory: adminMemory, reason: "known-answer restore")
        let after = try member(try frozen.open("worker"), "Noor")
        try database.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
        let expected: [String: Any] = [
            "fingerprint": Hex.encode(admin.state.fingerprint), "accepted_at": Int(acceptance.entry), "seen": Int(seen), "lost": lost.description,
            "members": [before.description: "سام", fork.description: "دينا", after.description: "Noor"],
        ]
        try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys]).write(to: Self.folder7.appendingPathComponent("expected.json"))
    }
}

import Foundation
import KithCrypto
import KithLog
import Testing

@testable import KithVault

/// Writes the fuzz corpus's seeds from a vault this test builds, so each
/// libFuzzer target starts from inputs that decode and reach deep code. Run
/// on purpose only (`KITH_WRITE_FUZZ_SEEDS=1 swift test --filter FuzzSeed`);
/// `scripts/fuzz-seeds.py` adds the frozen known-answer vaults' entries,
/// records, checkpoints and keyfiles. The seeds are committed under Fuzz/corpus.
@Suite("Fuzz seeds")
struct FuzzSeedWriter {
    @Test("writes the fuzz corpus seeds (only when asked)", .enabled(if: ProcessInfo.processInfo.environment["KITH_WRITE_FUZZ_SEEDS"] == "1"))
    func writeSeeds() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus")
        func save(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            let folder = corpus.appendingPathComponent(target)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: folder.appendingPathComponent("seed-" + name))
        }

        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        var policy = try lead.policy(groupName: "Trans Support")
        policy.search = ["name": .words, "phone": .phone]
        _ = try lead.setPolicy(groupName: "Trans Support", policy)
        try caseworker.refresh()
        let sam = try caseworker.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "سام الحلبي"), ("phone", "+961 3 123 456")]))
        let someCase = try caseworker.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("title", "housing")], kind: .case), parent: sam)
        _ = try caseworker.addNote(caseID: someCase, text: "Called twice.\nSafe to text.")
        _ = try caseworker.updateRecord(sam, fields: fields([("name", "Sam Halabi")]))
        _ = try caseworker.search(SearchQuery.parse(line: "sam"))
        try fixture.enroll("kai", role: .auditor)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("kai-state"))
        let auditor = try Vault(store: fixture.store(), holder: #require(fixture.identities["kai"]), memory: memory)
        _ = try auditor.shareAuditKey()
        _ = try auditor.witness()
        try fixture.admin.refresh()

        // The log, each entry whole and each body alone.
        let store = try fixture.store()
        for (index, bytes) in try store.entries(from: 0).enumerated() {
            try save("log-entry", "made-\(index)", bytes)
            let entry = try LogEntry.decode(bytes)
            try save("entry-body", "made-\(index)", [entry.body.type.rawValue] + entry.body.encode())
        }
        // Records, the resume cache's state and rows.
        let state = fixture.admin.state
        try save("resume-cache", "state", [0] + state.encodeSnapshot())
        for (index, id) in [sam, someCase].enumerated() {
            let record = try #require(try caseworker.state.records.record(id))
            try save("resume-cache", "row-\(index)", [1] + record.encodeRow())
            for version in record.versions.indices {
                if let body = try store.record(id, version: UInt32(version + 1)) { try save("stored-record", "made-\(index)-\(version)", body) }
            }
        }
        // The search index's three row kinds, as they read once unsealed.
        var bucket = PostingBucket()
        bucket.add([(hash: 0x1234_5678_9ABC_DEF0, ordinal: 1), (hash: 0x1234_5678_9ABC_DEF0, ordinal: 9), (hash: 0x0FED_CBA9_8765_4321, ordinal: 3)])
        try save("search-index", "bucket", [2] + bucket.encoded)
        var counters = BucketCounters()
        counters.counters = [1: 4, 7: 1]
        try save("search-index", "counters", [1] + counters.encoded)
        var manifest = IndexManifest(through: 12, readable: 3, rules: [UInt8](repeating: 7, count: 32), build: [UInt8](repeating: 1, count: 16), ordinals: 3)
        manifest.deltas = [(number: 1, records: 2)]
        try save("search-index", "manifest", [0] + manifest.encoded)

        // Checkpoints, notes and proofs, as `kith audit` writes them.
        let report = try AuditVerifier.verify(store: fixture.store())
        let log = try #require(report.log)
        let newest = try #require(report.newestWitnessed)
        let proof = try log.inclusionProof(entry: 3, in: newest)
        try save("tlog-proof", "witnessed", Array(proof.text.utf8))
        try save("signed-note", "witnessed", Array(proof.note.encoded.utf8))
        try save("checkpoint", "note", Array(proof.note.encoded.utf8))
        try save("checkpoint", "text", Array(proof.note.text.utf8))
        try save("verifier-keys", "auditor", Array(try auditor.state.verifierKeys().text.utf8))
        let tree = fixture.admin.proofTree()
        let inclusion = InclusionProof(
            leafIndex: 2, treeSize: tree.size, leafHash: try tree.leafHash(2), root: try tree.root(), hashes: try tree.inclusionProof(index: 2, size: tree.size))
        try save("proof-json", "inclusion", [0] + Array(inclusion.json.utf8))
        let consistency = ConsistencyProof(
            size1: 3, size2: tree.size, root1: try tree.root(size: 3), root2: try tree.root(), hashes: try tree.consistencyProof(from: 3, to: tree.size))
        try save("proof-json", "consistency", [1] + Array(consistency.json.utf8))

        // Files people hand Kith.
        let identity = try UnlockedIdentity.generate()
        try save("enrolment", "request", try EnrollmentRequest.make(holder: identity, handle: Handle("noor"), vaultFingerprint: state.fingerprint).fileBytes)
        try save("enrolment", "request-no-vault", try EnrollmentRequest.make(holder: identity, handle: Handle("sam.k"), vaultFingerprint: nil).fileBytes)
        let policyJSON = """
            {"roles": {"lead": {"read": ["notes", "profile", "sensitive"], "write": ["notes", "profile", "sensitive"]},
              "caseworker": {"read": ["notes", "profile"], "write": ["notes", "profile"]}, "viewer": {"read": ["profile"], "write": []}},
             "search": {"name": "words", "phone": "phone", "member_no": "whole"}, "reasons": ["read-sensitive", "export"],
             "retention": {"note": 24, "case": 36}}
            """
        try save("policy-json", "full", Array(policyJSON.utf8))
        try save("csv-import", "members", [0] + Array("name,pronouns,phone,sensitive:hiv_status\nSam,they,+961 3 123 456,\n\"Halabi, Noor\",she,,x\n".utf8))
        try save("csv-import", "arabic-semicolon", [0] + [0xEF, 0xBB, 0xBF] + Array("الاسم;الهاتف\nسام;٠٣١٢٣٤٥٦\n".utf8))
        try save("csv-import", "cases-utf16", [1] + [0xFF, 0xFE] + Array("title\tstatus\nhousing\topen\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        for (index, text) in ["0f3a9c", "name=Sam", "sensitive:hiv=yes", "phone=+961 3 123", "ab12 cd34 ef56 7890", "سام ح", "\u{202E}evil\u{1B}[2J", "kith:id=1"].enumerated() {
            try save("typed-text", "\(index)", Array(text.utf8))
        }
        // The agent's requests: hello, sign, derive, lock, an unknown operation, a frame cut short.
        func frame(_ body: [UInt8]) -> [UInt8] { withUnsafeBytes(of: UInt32(body.count).bigEndian) { Array($0) } + body }
        try save("agent-wire", "hello-sign", frame([1]) + frame([2] + Array("message".utf8)))
        try save("agent-wire", "derive-lock", frame([4] + [0, 0, 0, 0, 0, 0, 0, 1] + Array("kith-idx".utf8)) + frame([5]))
        try save("agent-wire", "unknown-cut", frame([9, 9]) + [0, 0, 1, 0, 3])
        try save("agent-wire", "open-sealed", frame([3] + [UInt8](repeating: 0x41, count: 80)))
    }
}

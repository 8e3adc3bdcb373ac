import Foundation
import KithCrypto
import Testing
@testable import KithVault

/// A case with a lead, a case worker and a viewer, and helpers to make,
/// damage and compare attachment files.
private final class AttachmentFixture {
    let vault: VaultFixture
    let lead: Vault
    let caseworker: Vault
    let viewer: Vault
    let caseID: RecordID

    init() throws {
        vault = try VaultFixture()
        (lead, caseworker, viewer) = try vault.standardGroup()
        caseID = try caseworker.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
    }

    var folder: String { vault.path + ".files" }

    func file(_ name: String) -> String { vault.directory.appendingPathComponent(name).path }

    /// A file of `size` bytes that differ from chunk to chunk.
    func makeFile(_ name: String, size: Int) throws -> String {
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 20) }
        let path = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func digest(_ path: String) throws -> [UInt8] {
        try BLAKE2b.hash([UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
    }

    func storedPath(_ id: RecordID) -> String { "\(folder)/\(id)" }

    func damage(_ id: RecordID, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: storedPath(id))))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: storedPath(id)))
    }

    /// Names in the attachment folder and the output folder that are neither
    /// stored attachments nor the test's own inputs: leftovers.
    func leftovers() throws -> [String] {
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let outputs = try FileManager.default.contentsOfDirectory(atPath: vault.directory.path)
        return (stored + outputs).filter { $0.hasPrefix(".") || $0.hasSuffix(".partial") }
    }
}

@Suite("Attachments")
struct AttachmentTests {
    @Test(
        "a file of any size comes back byte for byte",
        arguments: [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 5])
    func roundTrip(size: Int) throws {
        let f = try AttachmentFixture()
        let input = try f.makeFile("in.bin", size: size)
        let id = try f.caseworker.addAttachment(caseID: f.caseID, file: input)
        let out = f.file("out.bin")
        let info = try f.lead.saveAttachment(id, to: out)
        #expect(info.size == UInt64(size))
        #expect(info.name == "in.bin")
        #expect(try f.digest(out) == (try f.digest(input)))
        // The saved copy is private to its owner.
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The stored file holds ciphertext only: a distinctive slice of the input is not in it.
        if size >= 4096 {
            let stored = [UInt8](try Data(contentsOf: URL(fileURLWithPath: f.storedPath(id))))
            let slice = Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))[1000..<1064])
            #expect(!stored.contains(subsequence: slice))
        }
        #expect(try f.leftovers().isEmpty)
    }

    @Test("a record naming an impossible size (only a modified client writes one) is refused, not a crash")
    func impossibleSize() throws {
        let f = try AttachmentFixture()
        let id = try RecordID.random()
        let fields = [
            try RecordField(compartment: .notes, name: AttachmentFormat.nameField, value: "huge.bin"),
            try RecordField(compartment: .notes, name: AttachmentFormat.sizeField, value: String(UInt64.max)),
            try RecordField(compartment: .notes, name: AttachmentFormat.hashField, value: String(repeating: "0", count: 64)),
            try RecordField(compartment: .notes, name: AttachmentFormat.chunkField, value: String(AttachmentFormat.chunkSize)),
        ]
        let draft = RecordDraft(
            id: id, version: 1, kind: .attachment, parent: f.caseID, fields: fields, action: "attached a file", recordKey: KeyBox(try SecureBytes(randomCount: 32)))
        try f.caseworker.write(group: f.caseworker.group(named: "Trans Support").id) { [draft] }
        #expect {
            try f.lead.saveAttachment(id, to: f.file("huge.bin"))
        } throws: { error in
            (error as? KithVaultError)?.code == .integrity
        }
        #expect(AttachmentFormat.paddedSize(.max) == .max)
    }

    @Test("a stored file shows only its size's bucket; a file of the unpadded format 1 still reads", arguments: [(1, 3000), (5000, 8000), ((1 << 20) + 1, 2 << 20)])
    func paddedSizes(small: Int, large: Int) throws {
        let f = try AttachmentFixture()
        let ids = try [small, large].map { try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("in-\($0).bin", size: $0)) }
        let stored = try ids.map { try FileManager.default.attributesOfItem(atPath: f.storedPath($0))[.size] as? Int }
        #expect(stored[0] == stored[1], "\(stored)")
        for (id, size) in zip(ids, [small, large]) {
            let out = f.file("out-\(size).bin")
            #expect(try f.lead.saveAttachment(id, to: out).size == UInt64(size))
            #expect(try f.digest(out) == (try f.digest(f.file("in-\(size).bin"))))
        }
        f.caseworker.sealsUnpaddedAttachmentsForTesting = true
        let old = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("old.bin", size: 5000))
        #expect(try FileManager.default.attributesOfItem(atPath: f.storedPath(old))[.size] as? Int == 5000 + 36 + SecretStream.chunkOverhead)
        #expect(try f.lead.saveAttachment(old, to: f.file("old-out.bin")).size == 5000)
    }

    @Test(
        "a damaged stored file is refused and leaves nothing at --out",
        arguments: ["first byte", "stream header", "middle chunk", "last byte", "cut short", "one chunk dropped", "bytes appended"])
    func damaged(how: String) throws {
        let f = try AttachmentFixture()
        let id = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("in.bin", size: 2 * (1 << 20) + 100))
        let chunk = (1 << 20) + SecretStream.chunkOverhead
        try f.damage(id) { bytes in
            switch how {
            case "first byte": bytes[0] ^= 1
            case "stream header": bytes[20] ^= 0x40
            case "middle chunk": bytes[36 + chunk + 500] ^= 1
            case "last byte": bytes[bytes.count - 1] ^= 1
            case "cut short": bytes.removeLast(50)
            case "one chunk dropped": bytes.removeSubrange(36 + chunk..<36 + 2 * chunk)
            default: bytes += [0, 1, 2]
            }
        }
        let out = f.file("out.bin")
        #expect(throws: KithVaultError.self) { try f.lead.saveAttachment(id, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try f.leftovers().isEmpty)
    }

    @Test("one attachment's file put in place of another's is refused, even by someone holding both keys")
    func swapped() throws {
        let f = try AttachmentFixture()
        let a = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("a.bin", size: 5000))
        let b = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("b.bin", size: 5000))
        try FileManager.default.removeItem(atPath: f.storedPath(a))
        try FileManager.default.copyItem(atPath: f.storedPath(b), toPath: f.storedPath(a))
        #expect(throws: KithVaultError.self) { try f.lead.saveAttachment(a, to: f.file("out.bin")) }
        try f.lead.saveAttachment(b, to: f.file("b-out.bin"))
    }

    @Test("a key holder's re-sealed file under the same key is refused: the record names the stored file's hash")
    func resealedBySomeoneWithTheKey() throws {
        let f = try AttachmentFixture()
        let id = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("in.bin", size: 5000))
        // The lead can unwrap the record key, so can make a valid stream of other bytes under the same file key.
        let (_, key, _) = try f.lead.attachment(id)
        try FileManager.default.removeItem(atPath: f.storedPath(id))
        let sink = try f.lead.store.attachments.newAttachment(id)
        let other = f.file("other.bin")
        try Data(repeating: 0x41, count: 5000).write(to: URL(fileURLWithPath: other))
        _ = try Vault.seal(PaddedInput(InputFile(path: other)), to: sink, key: key, id: id)
        try sink.finish()
        let error = #expect(throws: KithVaultError.self) { try f.lead.saveAttachment(id, to: f.file("out.bin")) }
        #expect(error?.description.contains("hash") == true)
        #expect(!FileManager.default.fileExists(atPath: f.file("out.bin")))
    }

    @Test("a missing stored file is reported, not an empty one written")
    func missing() throws {
        let f = try AttachmentFixture()
        let id = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("in.bin", size: 10))
        try FileManager.default.removeItem(atPath: f.storedPath(id))
        let error = #expect(throws: KithVaultError.self) { try f.lead.saveAttachment(id, to: f.file("out.bin")) }
        #expect(error?.description.contains("missing") == true)
        #expect(!FileManager.default.fileExists(atPath: f.file("out.bin")))
    }

    @Test("only roles that read the compartment open it; a revoked case worker and an outsider cannot")
    func rights() throws {
        let f = try AttachmentFixture()
        let notes = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("in.bin", size: 100))
        let sensitive = try f.lead.addAttachment(caseID: f.caseID, file: f.file("in.bin"), compartment: .sensitive)
        // A case worker may not write sensitive content.
        #expect(throws: KithVaultError.self) { try f.caseworker.addAttachment(caseID: f.caseID, file: f.file("in.bin"), compartment: .sensitive) }
        try f.viewer.refresh()
        try f.caseworker.refresh()
        #expect(throws: KithVaultError.self) { try f.viewer.saveAttachment(notes, to: f.file("v.bin")) }
        let refused = #expect(throws: KithVaultError.self) { try f.caseworker.saveAttachment(sensitive, to: f.file("c.bin")) }
        #expect(refused?.code == .accessDenied)
        // Listed, as a withheld field is: by who and when, without its name or size, and not logged as read.
        let before = f.caseworker.state.count
        let listed = try f.caseworker.attachments(caseID: f.caseID)
        #expect(listed.map(\.id) == [notes, sensitive] && listed.map(\.withheld) == [false, true])
        #expect(listed[1].name == nil && listed[1].size == nil && listed[1].compartment == .sensitive && listed[1].author == "lead-tra")
        let reads = try f.vault.store().entries(from: before).compactMap { bytes -> RecordID? in
            if case .recordRead(let id, _) = try LogEntry.decode(bytes).body { return id }
            return nil
        }
        #expect(reads == [notes])
        let outsider = try f.vault.enroll("outsider")
        #expect(throws: KithVaultError.self) { try outsider.saveAttachment(notes, to: f.file("o.bin")) }
        try f.lead.revoke(groupName: "Trans Support", from: "cw-tra", mode: .reencrypt)
        try f.caseworker.refresh()
        #expect(throws: KithVaultError.self) { try f.caseworker.saveAttachment(notes, to: f.file("r.bin")) }
        // After the re-encryption the lead still opens both.
        try f.lead.saveAttachment(notes, to: f.file("l1.bin"))
        try f.lead.saveAttachment(sensitive, to: f.file("l2.bin"))
        for name in ["v.bin", "c.bin", "o.bin", "r.bin"] { #expect(!FileManager.default.fileExists(atPath: f.file(name))) }
        // Withheld is not unchecked: a damaged record of an attachment the reader may not open is still an integrity error.
        let store = try f.vault.store()
        var damaged = try #require(try store.record(sensitive, version: 1))
        damaged[40] ^= 1
        try store.replaceRecordBodies([StoredRecordRow(recordID: sensitive, version: 1, body: damaged)])
        let viewerList = #expect(throws: KithVaultError.self) { try f.vault.open("viewer-tra").attachments(caseID: f.caseID) }
        #expect(viewerList?.code == .integrity)
    }

    @Test("a write refused at commit time (revoked meanwhile) leaves no stored file")
    func refusedAtCommit() throws {
        let f = try AttachmentFixture()
        let input = try f.makeFile("in.bin", size: 3 * (1 << 20))
        // The case worker's client has not seen the revocation yet: its own
        // check passes, the file is sealed and stored, then the commit refuses.
        try f.lead.revoke(groupName: "Trans Support", from: "cw-tra")
        #expect(throws: KithVaultError.self) { try f.caseworker.addAttachment(caseID: f.caseID, file: input) }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: f.folder)) ?? []).isEmpty)
        #expect(try f.lead.attachments(caseID: f.caseID).isEmpty)
    }

    @Test("reads are logged, attachments never change, and bad inputs are refused with what to do")
    func rulesAndErrors() throws {
        let f = try AttachmentFixture()
        let id = try f.caseworker.addAttachment(caseID: f.caseID, file: try f.makeFile("in.bin", size: 10), name: "letter.pdf")
        let out = f.file("out.bin")
        try f.lead.refresh()
        let before = f.lead.state.count
        try f.lead.saveAttachment(id, to: out)
        #expect(f.lead.state.count == before + 1)
        // --out never overwrites.
        #expect(throws: KithVaultError.self) { try f.lead.saveAttachment(id, to: out) }
        #expect(try f.lead.attachments(caseID: f.caseID).map(\.name) == ["letter.pdf"])
        // Notes and attachments of a case are listed apart.
        #expect(try f.lead.notes(caseID: f.caseID).isEmpty)
        #expect(throws: KithVaultError.self) { try f.lead.updateRecord(id, fields: fields([("name", "other")], kind: .attachment)) }
        #expect(throws: KithVaultError.self) { try f.caseworker.addAttachment(caseID: f.caseID, file: f.file("nope.bin")) }
        #expect(throws: KithVaultError.self) { try f.caseworker.addAttachment(caseID: f.caseID, file: f.vault.directory.path) }
        let member = try f.caseworker.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        #expect(throws: KithVaultError.self) { try f.caseworker.addAttachment(caseID: member, file: f.file("in.bin")) }
        #expect(throws: KithVaultError.self) { try f.lead.saveAttachment(member, to: f.file("m.bin")) }
        #expect(try f.leftovers().isEmpty)
    }
}

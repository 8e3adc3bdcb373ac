import Foundation
import Testing

@testable import KithVault

/// The founder can lead (issue 20, item 4): a vault founded with the
/// setting lets its founder lead groups; without it, separation of duties
/// holds as before, and each refusal states the rule that applies.
@Suite("Founding settings: the founder may lead")
struct FounderLeadTests {
    static func founded(_ founderMayLead: Bool) throws -> (TestStorePlace, Vault, UnlockedIdentity) {
        let place = try TestStorePlace(.sqlite)
        let founder = try UnlockedIdentity.generate()
        let vault = try Vault.found(store: place.open(create: true), founder: founder, handle: Handle("mara"), founderMayLead: founderMayLead)
        return (place, vault, founder)
    }

    @Test("a founder allowed to lead leads a group, writes, reads and shares it; the setting survives a resume")
    func allowed() throws {
        let (place, mara, founder) = try Self.founded(true)
        #expect(mara.state.founderMayLead && mara.state.count == 2)
        try mara.createGroup(name: "Northside")
        try mara.share(groupName: "Northside", with: "mara", role: .lead)
        let sam = try mara.addRecord(groupName: "Northside", kind: .member, fields: fields([("name", "Sam"), ("sensitive:status", "x")]))
        #expect(try mara.readRecord(sam).fields.count == 2)
        let request = try EnrollmentRequest.make(holder: UnlockedIdentity.generate(), handle: Handle("lin"), vaultFingerprint: mara.state.fingerprint)
        try mara.approve(EnrollmentRequest.parse(request.fileBytes), role: .user)
        try mara.share(groupName: "Northside", with: "lin", role: .caseworker)
        let memory = CheckpointMemory(directory: place.directory.appendingPathComponent("state"))
        _ = try Vault(store: place.open(), holder: founder, memory: memory)
        let resumed = try Vault(store: place.open(), holder: founder, memory: memory)
        #expect(resumed.resumedFrom != nil && resumed.state.founderMayLead)
        let audit = try AuditVerifier.verify(store: place.open())
        #expect(audit.valid, "\(audit.problems)")
    }

    @Test("without the setting, and for an admin who is not the founder, the refusal states the rule")
    func refused() throws {
        let (_, plain, _) = try Self.founded(false)
        try plain.createGroup(name: "Northside")
        let separated = #expect(throws: KithVaultError.self) { try plain.share(groupName: "Northside", with: "mara", role: .lead) }
        #expect(separated?.reason.contains("this vault was founded with separation of duties: an admin never holds a group's keys") == true, "\(separated?.reason ?? "")")

        let (place, mara, _) = try Self.founded(true)
        let second = try UnlockedIdentity.generate()
        try mara.approve(EnrollmentRequest.parse(EnrollmentRequest.make(holder: second, handle: Handle("ade"), vaultFingerprint: nil).fileBytes), role: .admin)
        try mara.createGroup(name: "Northside")
        let ade = try Vault(store: place.open(), holder: second)
        let other = #expect(throws: KithVaultError.self) { try ade.share(groupName: "Northside", with: "ade", role: .lead) }
        #expect(other?.reason == "this vault's founding settings let only its founder lead a group themselves; appoint someone else as the first lead of Northside")
        let notLead = #expect(throws: KithVaultError.self) { try mara.share(groupName: "Northside", with: "mara", role: .viewer) }
        #expect(notLead?.reason.contains("not viewer") == true, "\(notLead?.reason ?? "")")
    }

    @Test("a settings entry written later, or by anyone but the founder, is refused by every client; its encoding has one form")
    func forged() throws {
        let (place, plain, founder) = try Self.founded(false)
        // Once anything else is in the log, the rules everyone joined under are fixed.
        try plain.createGroup(name: "Northside")
        try Attacker(identity: founder, store: place.open()).append(.vaultSettings(founderMayLead: true))
        let error = #expect(throws: KithVaultError.self) { _ = try Vault(store: place.open(), holder: founder) }
        #expect(error?.code == .invalidEntry && error?.reason.contains("only by the founder, right after the founding") == true, "\(error?.reason ?? "")")
        for flags: [UInt8] in [[0], [2], [3], []] {
            #expect(throws: KithVaultError.self, "\(flags)") { try EntryBody.decode(type: .vaultSettings, bytes: flags) }
        }
        #expect(try EntryBody.decode(type: .vaultSettings, bytes: [1]) == .vaultSettings(founderMayLead: true))
    }
}

import Foundation
import KithCrypto
import Testing
@testable import KithVault

/// An admin with a modified client makes a second group (or user) whose
/// name is, or looks like, an existing one's, so records written "to Trans
/// Support" land where the admin can read them.
@Suite("Look-alike groups and handles")
struct LookAlikeTests {
    /// A group-created entry signed by the admin with a name of its choosing.
    static func forgeGroup(_ fixture: VaultFixture, named name: String) throws -> (id: GroupID, seq: UInt64) {
        let admin = fixture.admin
        let id = try GroupID.random()
        let sealed = try Vault.sealName(name, key: admin.directoryKey().key, vaultID: admin.state.vaultID, id: id)
        let entry = try Attacker(identity: fixture.founder, store: fixture.store()).append(.groupCreated(group: id, sealedName: sealed, policy: .default))
        return (id, entry.seq)
    }

    @Test("a second group with an existing name is refused by every client's replay, fresh or long-lived", arguments: ["Trans Support", "trans support"])
    func exactDuplicate(name: String) throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let before = lead.state.count
        let forged = try Self.forgeGroup(fixture, named: name)
        // A client already open: its refresh refuses it and keeps nothing of it.
        #expect {
            _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidEntry && (error as? KithVaultError)?.entry == Int(forged.seq)
        }
        #expect(lead.state.count == before)
        // A fresh client refuses to open a log holding it.
        #expect {
            _ = try fixture.open("cw-tra")
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .invalidEntry && error.entry == Int(forged.seq) && error.reason.contains("look-alike")
        }
    }

    @Test(
        "a look-alike name resolves to nothing: the error lists both groups by id, and the id picks one",
        arguments: [
            "Trans Support\u{200B}", "Trans Suppоrt", "TRANS  SUPPORT", "Trans Suppórt",
        ])
    func lookAlike(name: String) throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let real = try lead.group(named: "Trans Support").id
        let forged = try Self.forgeGroup(fixture, named: name)
        // The stock client refuses to make one.
        #expect(throws: KithVaultError.self) { try fixture.admin.createGroup(name: name) }
        // Opening still works (a look-alike is not an exact duplicate), but no name resolves.
        let caseworker = try fixture.open("cw-tra")
        #expect {
            _ = try caseworker.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam")]))
        } throws: { error in
            guard let error = error as? KithVaultError, error.code == .invalidInput else { return false }
            return error.reason.contains(real.description) && error.reason.contains(forged.id.description) && error.remedy == .nameGroupByID
        }
        let id = try caseworker.addRecord(groupName: real.description, kind: .member, fields: fields([("name", "Sam")]))
        #expect(try caseworker.state.records.record(id)?.group == real)
        #expect(try caseworker.group(named: String(real.description.prefix(8))).id == real)
        #expect(try caseworker.groups().filter(\.looksLikeAnother).map(\.id).sorted() == [real, forged.id].sorted())
    }

    @Test("the stock client refuses a new group or handle that looks like an existing one")
    func stockClientRefuses() throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: "دعم")
        for name in ["دُعم", "دعـم", " دعم ", "\u{202B}دعم"] {
            #expect(throws: KithVaultError.self, "\(name)") { try fixture.admin.createGroup(name: name) }
        }
        #expect(throws: Never.self) { try fixture.admin.createGroup(name: "دعم ٢") }
        // What a volunteer's keyboard types for the same name: alef maksura or Persian yeh for yeh,
        // heh for teh marbuta, a zero-width non-joiner for the space.
        try fixture.admin.createGroup(name: "دعم نفسي")
        try fixture.admin.createGroup(name: "مجموعة الشباب")
        for name in ["دعم نفسى", "دعم نفسی", "دعم\u{200C}نفسي", "مجموعه الشباب"] {
            #expect(throws: KithVaultError.self, "\(name)") { try fixture.admin.createGroup(name: name) }
        }
        // And typed that way, it finds the one group.
        #expect(try fixture.admin.group(named: "دعم نفسى").name == "دعم نفسي")
        try fixture.enroll("sam")
        #expect(throws: KithVaultError.self) { try fixture.enroll("SAM") }
        #expect(throws: KithVaultError.self) { try fixture.enroll("sаm") }  // Cyrillic а
    }

    @Test("a second user with an existing handle is refused by every client's replay")
    func duplicateHandle() throws {
        let fixture = try VaultFixture()
        try fixture.enroll("sam")
        let twin = try UnlockedIdentity.generate()
        let request = try EnrollmentRequest.make(holder: twin, handle: Handle("other"), vaultFingerprint: fixture.admin.state.fingerprint)
        let admin = fixture.admin
        let directory = try admin.directoryKey()
        let entry = try Attacker(identity: fixture.founder, store: fixture.store()).append(
            .userEnrolled(
                user: twin.identity, role: .user, possession: request.possessionSignature,
                directoryEnvelope: try SealedBox.seal(directory.key, to: twin.identity.boxKey),
                sealedHandle: try Vault.sealName("Sam", key: directory.key, vaultID: admin.state.vaultID, id: twin.identity.userID)))
        #expect {
            _ = try fixture.open("sam")
        } throws: { error in
            (error as? KithVaultError)?.code == .invalidEntry && (error as? KithVaultError)?.entry == Int(entry.seq)
        }
    }
}

import Foundation
import Testing

@testable import KithCrypto
@testable import KithVault

/// k-of-n recovery (issue 20, item 3): a group whose only lead lost her
/// keyfile gets its keys back through K of N trustees, fewer learn
/// nothing, the shares used are worthless afterwards, and every client's
/// replay refuses what a modified client would write to cheat it.
@Suite("Recovery: k of n trustees")
struct RecoveryTests {
    /// A group led by `lead` with a member record holding a sensitive
    /// field, a case worker, and three trustees (one of them an admin; an
    /// auditor, kai, is enrolled too).
    final class Scene {
        let fixture: VaultFixture
        let lead: Vault
        let caseworker: Vault
        let member: RecordID
        let trustees: [String] = ["tala", "omar", "ines"]

        init(engine: TestEngine = .sqlite, threshold: Int = 2) throws {
            fixture = try VaultFixture(engine: engine)
            (lead, caseworker, _) = try fixture.standardGroup("Trans Support")
            member = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Noor"), ("sensitive:status", "asylum pending")]))
            try fixture.enroll("tala")
            try fixture.enroll("omar", role: .admin)
            try fixture.enroll("ines")
            try fixture.enroll("kai", role: .auditor)
            try fixture.enroll("nova")
            try lead.refresh()
            try lead.setUpRecovery(groupName: "Trans Support", threshold: threshold, trustees: trustees)
        }

        func open(_ handle: String) throws -> Vault { try fixture.open(handle) }

        /// The group's state as a fresh client replays it.
        func group() throws -> GroupState {
            let vault = try fixture.open("nova")
            return try #require(vault.state.groups[vault.group(named: "Trans Support").id])
        }

        /// Each trustee's own share, opened as their client opens it.
        func shares() throws -> [SecretShare] {
            let recovery = try #require(try group().recovery)
            return try trustees.map { handle in
                let vault = try open(handle)
                let mine = try #require(recovery.trustees[vault.me])
                return try SecretShare(encoded: vault.openOwnShare(mine, group: vault.group(named: "Trans Support").id, epoch: recovery.epoch))
            }
        }

        /// The lead loses her keyfile: an admin removes her identity from the vault.
        func loseLead() throws {
            try fixture.admin.refresh()
            _ = try fixture.admin.removeUser(handle: lead.whoami().handle)
        }
    }

    @Test("the only lead lost her keyfile: 2 of 3 trustees give a new lead every key, and the recovery is set up again", arguments: TestEngine.available)
    func recovered(engine: TestEngine) throws {
        let scene = try Scene(engine: engine)
        let before = try scene.group()
        #expect(before.recovery?.sealedKeys.count == before.commitments.count)
        try scene.loseLead()
        let nova = try scene.open("nova")
        #expect(throws: KithVaultError.self) { _ = try nova.readRecord(scene.member) }
        let asked = try nova.requestRecovery(groupName: "Trans Support")
        #expect(asked.needed == 2 && asked.approvedBy.isEmpty)
        let tooSoon = #expect(throws: KithVaultError.self) { _ = try nova.completeRecovery(groupName: "Trans Support") }
        #expect(tooSoon?.reason.contains("0 of the 2 approvals") == true, "\(tooSoon?.reason ?? "")")

        let tala = try scene.open("tala")
        #expect(try tala.recoveryStatus(groupName: "Trans Support").yourShare == .good)
        _ = try tala.approveRecovery(groupName: "Trans Support")
        let ines = try scene.open("ines")
        let approved = try ines.approveRecovery(groupName: "Trans Support", request: asked.seq)
        #expect(approved.approvedBy.count == 2)

        try nova.refresh()
        let outcome = try nova.completeRecovery(groupName: "Trans Support")
        #expect(outcome.keysLost.isEmpty && outcome.damagedShares.isEmpty && outcome.keysRecovered == before.commitments.count)
        #expect(try nova.readRecord(scene.member).fields.contains { $0.name == "status" && $0.value == "asylum pending" })
        // The old lead was removed, so her epochs are stale: the new lead's first write makes new ones, sealed to the new recovery too.
        let later = try nova.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Rami"), ("sensitive:status", "safe house")]))
        let after = try scene.group()
        #expect(after.members[nova.me] == .lead && after.recovery?.epoch == 2 && after.lastRecoveredAt != nil)
        #expect(after.recovery.map { Set($0.trustees.keys) } == Set(try scene.trustees.map { try scene.open($0).me }))
        #expect(after.recovery?.sealedKeys.count == after.commitments.count)
        try scene.caseworker.refresh()
        #expect(try scene.caseworker.readRecord(later).fields.contains { $0.name == "name" && $0.value == "Rami" })
        let audit = try AuditVerifier.verify(store: scene.fixture.store())
        #expect(audit.valid, "\(audit.problems)")
    }

    @Test("fewer than K shares rebuild nothing: every smaller subset of 5 fails, every K-subset works (K = 3)")
    func fewerRevealNothing() throws {
        let scene = try Scene(threshold: 3)
        try scene.fixture.enroll("yara")
        try scene.fixture.enroll("sami")
        try scene.lead.refresh()
        let five = scene.trustees + ["yara", "sami"]
        try scene.lead.setUpRecovery(groupName: "Trans Support", threshold: 3, trustees: five)
        let scene5 = scene
        let recovery = try #require(try scene5.group().recovery)
        let shares = try five.map { handle in
            let vault = try scene5.open(handle)
            let group = try vault.group(named: "Trans Support").id
            return try SecretShare(encoded: vault.openOwnShare(#require(recovery.trustees[vault.me]), group: group, epoch: recovery.epoch))
        }
        func rebuilds(_ subset: [SecretShare]) throws -> Bool {
            try BoxKeyPair(secretKey: SecretSharing.interpolate(subset)).publicKey == recovery.publicKey
        }
        for size in 1...2 {
            for subset in subsets(5, size) {
                #expect(try !rebuilds(subset.map { shares[$0] }), "\(subset)")
                #expect(throws: KithCryptoError.self) { _ = try SecretSharing.combine(subset.map { shares[$0] }) }
            }
        }
        for subset in subsets(5, 3) { #expect(try rebuilds(subset.map { shares[$0] }), "\(subset)") }
    }

    /// The group keys a recovery key's secret opens, from its setup entry and later seals.
    static func opened(by shares: [SecretShare], in recovery: GroupRecovery) throws -> Set<KeyRef> {
        let pair = try BoxKeyPair(secretKey: SecretSharing.combine(shares))
        #expect(pair.publicKey == recovery.publicKey)
        return Set(recovery.sealedKeys.compactMap { ref, sealed in (try? SealedBox.open(sealed, with: pair)) == nil ? nil : ref })
    }

    @Test("after a use the shares used open nothing written since: every compartment has a new key beyond them, and no approval with them is accepted")
    func rotated() throws {
        let scene = try Scene()
        let oldShares = try scene.shares()
        let oldRecovery = try #require(try scene.group().recovery)
        #expect(try Self.opened(by: Array(oldShares.prefix(2)), in: oldRecovery).count == oldRecovery.sealedKeys.count)
        let nova = try scene.open("nova")
        let request = try nova.requestRecovery(groupName: "Trans Support")
        _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
        _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
        try nova.refresh()
        let outcome = try nova.completeRecovery(groupName: "Trans Support")
        #expect(Set(outcome.newEpochs) == ["notes", "profile", "sensitive"])
        let after = try scene.group()
        let current = Set(after.currentEpoch.map { KeyRef(compartment: $0.key, epoch: $0.value) })
        #expect(Set(oldRecovery.sealedKeys.keys).isDisjoint(with: current), "the old recovery key holds no current key")
        #expect(after.recovery?.publicKey != oldRecovery.publicKey && after.staleCompartments.isEmpty)
        // What the remaining members write now is readable to them and beyond the used shares.
        let written = try scene.lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Lina")]))
        try scene.caseworker.refresh()
        #expect(try scene.caseworker.readRecord(written).fields.contains { $0.value == "Lina" })
        // The stock client refuses; a modified one sending an old share for the used request is refused by every replay.
        let ines = try scene.open("ines")
        #expect(throws: KithVaultError.self) { _ = try ines.approveRecovery(groupName: "Trans Support", request: request.seq) }
        let group = try ines.group(named: "Trans Support").id
        let sealed = try SealedBox.seal(oldShares[2].encoded(), to: nova.holder.identity.boxKey)
        try Attacker(identity: try #require(scene.fixture.identities["ines"]), store: scene.fixture.store())
            .append(.recoveryApproved(group: group, request: request.seq, sealedShare: sealed))
        let error = #expect(throws: KithVaultError.self) { _ = try scene.open("tala") }
        #expect(error?.code == .invalidEntry && error?.reason.contains("not open for the group's current recovery") == true, "\(error?.reason ?? "")")
    }

    @Test("setting a recovery up again gives every compartment a new key, so the old shares open nothing written after")
    func setUpAgain() throws {
        let scene = try Scene()
        let oldShares = try scene.shares()
        let oldRecovery = try #require(try scene.group().recovery)
        try scene.lead.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", "ines", "nova"])
        let after = try scene.group()
        let current = Set(after.currentEpoch.map { KeyRef(compartment: $0.key, epoch: $0.value) })
        #expect(try Self.opened(by: Array(oldShares.suffix(2)), in: oldRecovery).isDisjoint(with: current))
        #expect(after.recovery?.sealedKeys.keys.contains { current.contains($0) } == true && after.staleCompartments.isEmpty)
        #expect(after.recovery?.epoch == 2 && after.retiredRecoveryKeys == [oldRecovery.publicKey])
        // The case worker got the new keys in the same commit and writes at once.
        try scene.caseworker.refresh()
        _ = try scene.caseworker.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Yusuf")]))
    }

    @Test("the recovery stops taking new keys once its secret may be known: its setter left, enough shares were sent, or a holder was removed")
    func frozen() throws {
        // The setter is revoked by a second lead: the next epochs are not sealed to the recovery the setter could rebuild.
        let scene = try Scene()
        let second = try scene.fixture.enroll("sami")
        try scene.lead.share(groupName: "Trans Support", with: "sami", role: .lead)
        try second.refresh()
        try second.revoke(groupName: "Trans Support", from: scene.lead.whoami().handle)
        let group = try scene.group()
        #expect(group.recovery?.frozen == .setterLeft)
        let current = Set(group.currentEpoch.map { KeyRef(compartment: $0.key, epoch: $0.value) })
        #expect(group.recovery.map { Set($0.sealedKeys.keys).isDisjoint(with: current) } == true)
        #expect(try second.recoveryStatus(groupName: "Trans Support").frozen == .setterLeft)
        // Setting it up again brings it back in step.
        try second.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", "omar", "ines"])
        #expect(try scene.group().recovery?.frozen == nil)

        let released = try Scene()
        let nova = try released.open("nova")
        _ = try nova.requestRecovery(groupName: "Trans Support")
        _ = try released.open("tala").approveRecovery(groupName: "Trans Support")
        #expect(try released.group().recovery?.frozen == nil)
        _ = try released.open("omar").approveRecovery(groupName: "Trans Support")
        #expect(try released.group().recovery?.frozen == .sharesReleased)

        let removed = try Scene()
        try removed.fixture.admin.refresh()
        _ = try removed.fixture.admin.removeUser(handle: "ines")
        #expect(try removed.group().recovery?.frozen == .holderRemoved)
    }

    @Test("when too few trustees would remain for the next recovery, completing asks for new ones, and works with them")
    func tooFewRemain() throws {
        let scene = try Scene()
        let nova = try scene.open("nova")
        _ = try nova.requestRecovery(groupName: "Trans Support")
        _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
        _ = try scene.open("ines").approveRecovery(groupName: "Trans Support")
        try scene.fixture.admin.refresh()
        _ = try scene.fixture.admin.removeUser(handle: "tala")
        _ = try scene.fixture.admin.removeUser(handle: "ines")
        try nova.refresh()
        let refused = #expect(throws: KithVaultError.self) { _ = try nova.completeRecovery(groupName: "Trans Support") }
        #expect(refused?.reason.contains("1 of its trustees remain") == true && refused?.remedy == .nameNextTrustees(group: "Trans Support", threshold: 2), "\(refused?.reason ?? "")")
        try scene.fixture.enroll("yara")
        try nova.refresh()
        let outcome = try nova.completeRecovery(groupName: "Trans Support", trustees: ["omar", "yara"], threshold: 2)
        #expect(outcome.recovery.trustees.map(\.handle) == ["omar", "yara"] && outcome.keysLost.isEmpty)
    }

    @Test("a requester who is a trustee needs K others, and drops out of the next recovery; a damaged share is named and left out")
    func trusteeRequests() throws {
        let scene = try Scene()
        let tala = try scene.open("tala")
        _ = try tala.requestRecovery(groupName: "Trans Support")
        #expect(throws: KithVaultError.self) { _ = try tala.approveRecovery(groupName: "Trans Support") }
        let request = try #require(try tala.recoveryStatus(groupName: "Trans Support").requests.first)
        // ines's modified client sends garbage sealed to tala; omar and (after asking) nobody else is needed... so omar and ines and a third.
        let id = try tala.group(named: "Trans Support").id
        let garbage = try SealedBox.seal([UInt8](repeating: 9, count: GroupRecovery.shareLength), to: tala.holder.identity.boxKey)
        try Attacker(identity: try #require(scene.fixture.identities["ines"]), store: scene.fixture.store())
            .append(.recoveryApproved(group: id, request: request.seq, sealedShare: garbage))
        _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
        try tala.refresh()
        // Two approvals, one damaged: too few good shares, and the refusal names whose share failed.
        let short = #expect(throws: KithVaultError.self) { _ = try tala.completeRecovery(groupName: "Trans Support") }
        #expect(short?.reason.contains("ines") == true, "\(short?.reason ?? "")")
        // Asking again starts over; with the lead's help a new trustee set is not needed: omar and a new approval by ines's honest client.
        _ = try tala.requestRecovery(groupName: "Trans Support", again: true)
        #expect(try tala.recoveryStatus(groupName: "Trans Support").requests.first?.approvedBy.isEmpty == true)
        _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
        _ = try scene.open("ines").approveRecovery(groupName: "Trans Support")
        try tala.refresh()
        let outcome = try tala.completeRecovery(groupName: "Trans Support", trustees: ["omar", "ines", "nova"], threshold: 2)
        #expect(outcome.damagedShares.isEmpty && outcome.recovery.trustees.map(\.handle) == ["ines", "nova", "omar"])
        #expect(try scene.group().members[tala.me] == .lead)
        #expect(try AuditVerifier.verify(store: scene.fixture.store()).valid)
    }

    @Test("a new epoch after the setup is sealed to the recovery key, and a recovered lead reads what was written under it")
    func newEpochsReachRecovery() throws {
        let scene = try Scene()
        try scene.lead.revoke(groupName: "Trans Support", from: scene.caseworker.whoami().handle)
        let group = try scene.group()
        #expect(group.recovery?.sealedKeys.count == group.commitments.count)
        let written = try scene.lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Dana"), ("sensitive:status", "new")]))
        try scene.loseLead()
        let nova = try scene.open("nova")
        _ = try nova.requestRecovery(groupName: "Trans Support")
        _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
        _ = try scene.open("ines").approveRecovery(groupName: "Trans Support")
        try nova.refresh()
        _ = try nova.completeRecovery(groupName: "Trans Support")
        #expect(try nova.readRecord(written).fields.contains { $0.name == "status" && $0.value == "new" })
    }

    @Test("the recovery survives a resume from the cache: the same trustees, requests and approvals")
    func resumed() throws {
        let scene = try Scene()
        let nova = try scene.open("nova")
        _ = try nova.requestRecovery(groupName: "Trans Support")
        _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
        let memory = CheckpointMemory(directory: scene.fixture.directory.appendingPathComponent("state-nova"))
        let identity = try #require(scene.fixture.identities["nova"])
        let first = try Vault(store: scene.fixture.store(), holder: identity, memory: memory)
        let resumed = try Vault(store: scene.fixture.store(), holder: identity, memory: memory)
        #expect(resumed.resumedFrom != nil)
        let id = try first.group(named: "Trans Support").id
        #expect(resumed.state.groups[id]?.recovery == first.state.groups[id]?.recovery && first.state.groups[id]?.recovery != nil)
        #expect(try resumed.recoveryStatus(groupName: "Trans Support").requests.first?.approvedBy == ["tala"])
    }

    @Test("the stock client refuses a bad setup, request or approval, naming the rule")
    func refusedByClient() throws {
        let scene = try Scene()
        let lead = scene.lead
        let cases: [(String, () throws -> Void)] = [
            ("at least 2", { try lead.setUpRecovery(groupName: "Trans Support", threshold: 1, trustees: ["tala", "omar"]) }),
            ("needs at least 3 trustees", { try lead.setUpRecovery(groupName: "Trans Support", threshold: 3, trustees: ["tala", "omar"]) }),
            ("named twice", { try lead.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", "tala"]) }),
            ("cannot be a trustee", { try lead.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", lead.whoami().handle]) }),
            ("only a lead of Trans Support may set up its recovery", { try scene.caseworker.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", "omar"]) }),
            ("auditors never read records", { _ = try scene.open("kai").requestRecovery(groupName: "Trans Support") }),
            ("are admins or auditors, who may never read records", { try lead.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["omar", "kai", "tala"]) }),
            ("separation of duties", { _ = try scene.open("omar").requestRecovery(groupName: "Trans Support") }),
            ("waiting for your approval", { _ = try scene.open("tala").approveRecovery(groupName: "Trans Support") }),
        ]
        for (expected, attempt) in cases {
            let error = #expect(throws: KithVaultError.self, "\(expected)") { try attempt() }
            #expect(error?.reason.contains(expected) == true, "\(expected): \(error?.reason ?? "")")
        }
        let nova = try scene.open("nova")
        _ = try nova.requestRecovery(groupName: "Trans Support")
        let twice = #expect(throws: KithVaultError.self) { _ = try nova.requestRecovery(groupName: "Trans Support") }
        #expect(twice?.reason.contains("already asked") == true && twice?.reason.contains("--again") == true)
        let outsider = #expect(throws: KithVaultError.self) { _ = try scene.caseworker.approveRecovery(groupName: "Trans Support") }
        #expect(outsider?.reason.contains("not a trustee") == true)
        let tala = try scene.open("tala")
        _ = try tala.approveRecovery(groupName: "Trans Support")
        let again = #expect(throws: KithVaultError.self) { _ = try tala.approveRecovery(groupName: "Trans Support") }
        #expect(again?.reason.contains("waiting for your approval") == true, "\(again?.reason ?? "")")
    }
}

/// What a modified client writes to cheat a recovery, refused by every
/// client that replays the log (each case on a vault of its own).
@Suite("Recovery: a modified client's entries")
struct RecoveryAttackTests {
    enum Attack: String, CaseIterable, CustomStringConvertible {
        case approveTwice, nonTrusteeApproves, approvalForAnotherRequest, requestByRemovedUser, completeTooEarly, completeOthersRequest
        case setupWithoutCurrentKey, setupNamingItself, newEpochWithoutRecovery, writeBeforeRotation, oldKeyBack
        case retiredKeyBack, sealOnExistingEpoch, approvalForRemovedRequester, requestEarlierSetup, barredTrustees, sealOnFrozen
        var description: String { rawValue }
    }

    @Test("refused by the replay", arguments: Attack.allCases)
    func refused(attack: Attack) throws {
        let scene = try RecoveryTests.Scene()
        let fixture = scene.fixture
        let id = try scene.lead.group(named: "Trans Support").id
        func attacker(_ handle: String) throws -> Attacker { Attacker(identity: try #require(fixture.identities[handle]), store: try fixture.store()) }
        let someShare = [UInt8](repeating: 7, count: GroupRecovery.sealedShareLength)
        let nova = try scene.open("nova")
        let expected: String
        switch attack {
        case .approveTwice:
            let request = try nova.requestRecovery(groupName: "Trans Support")
            _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
            try attacker("tala").append(.recoveryApproved(group: id, request: request.seq, sealedShare: someShare))
            expected = "already approved this request"
        case .nonTrusteeApproves:
            let request = try nova.requestRecovery(groupName: "Trans Support")
            try attacker(scene.caseworker.whoami().handle).append(.recoveryApproved(group: id, request: request.seq, sealedShare: someShare))
            expected = "not a trustee"
        case .approvalForAnotherRequest:
            let request = try nova.requestRecovery(groupName: "Trans Support")
            try attacker("tala").append(.recoveryApproved(group: id, request: request.seq + 1, sealedShare: someShare))
            expected = "not open for the group's current recovery"
        case .requestByRemovedUser:
            try fixture.admin.refresh()
            _ = try fixture.admin.removeUser(handle: "nova")
            try attacker("nova").append(.recoveryRequested(group: id, epoch: 1))
            expected = "was removed from the vault"
        case .completeTooEarly:
            let request = try nova.requestRecovery(groupName: "Trans Support")
            _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
            try attacker("nova").append(.recoveryCompleted(group: id, request: request.seq))
            expected = "1 of the 2 approvals"
        case .completeOthersRequest:
            let request = try nova.requestRecovery(groupName: "Trans Support")
            _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
            _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
            try attacker(scene.caseworker.whoami().handle).append(.recoveryCompleted(group: id, request: request.seq))
            expected = "only the request's author"
        case .retiredKeyBack:
            let retired = try #require(try scene.group().recovery?.publicKey)
            try scene.lead.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", "ines", "nova"])
            let now = try scene.group()
            let recovery = try #require(now.recovery)
            try attacker(scene.lead.whoami().handle).append(
                .recoverySetUp(
                    group: id, epoch: 3, publicKey: retired, threshold: 2, trustees: recovery.trustees.values.sorted { $0.user < $1.user },
                    keys: recovery.sealedKeys.sorted { $0.key < $1.key }.map { RecoveryKeyEnvelope(ref: $0.key, sealed: $0.value) }))
            expected = "brings back an earlier recovery key"
        case .sealOnExistingEpoch, .sealOnFrozen:
            let group = try scene.group()
            let epoch = try #require(group.currentEpoch[.notes])
            if attack == .sealOnFrozen {
                try fixture.admin.refresh()
                _ = try fixture.admin.removeUser(handle: "ines")
            }
            var grant = KeyGrant(
                compartment: .notes, epoch: attack == .sealOnFrozen ? epoch + 1 : epoch, commitment: group.commitments[KeyRef(compartment: .notes, epoch: epoch)] ?? [],
                envelopes: [])
            grant.recovery = [UInt8](repeating: 5, count: GroupRecovery.sealedKeyLength)
            try attacker(scene.lead.whoami().handle).append(.keysDistributed(group: id, grants: [grant]))
            expected = attack == .sealOnFrozen ? "takes no new keys" : "the recovery holds already"
        case .approvalForRemovedRequester:
            let request = try nova.requestRecovery(groupName: "Trans Support")
            try fixture.admin.refresh()
            _ = try fixture.admin.removeUser(handle: "nova")
            try attacker("tala").append(.recoveryApproved(group: id, request: request.seq, sealedShare: someShare))
            expected = "the request's author was removed"
        case .requestEarlierSetup:
            try scene.lead.setUpRecovery(groupName: "Trans Support", threshold: 2, trustees: ["tala", "ines", "omar"])
            try attacker("nova").append(.recoveryRequested(group: id, epoch: 1))
            expected = "a recovery the group does not have (now)"
        case .barredTrustees:
            let group = try scene.group()
            let keys = try #require(group.recovery).sealedKeys.sorted { $0.key < $1.key }.map { RecoveryKeyEnvelope(ref: $0.key, sealed: $0.value) }
            let trustees = try ["omar", "kai", "tala"].map { handle in
                TrusteeShare(user: try #require(fixture.identities[handle]).identity.userID, commitment: [UInt8](repeating: 1, count: 32), sealed: someShare)
            }.sorted { $0.user < $1.user }
            try attacker(scene.lead.whoami().handle).append(
                .recoverySetUp(group: id, epoch: 2, publicKey: try BoxKeyPair().publicKey, threshold: 2, trustees: trustees, keys: keys))
            expected = "are admins or auditors, who may never read records"
        case .setupWithoutCurrentKey, .setupNamingItself, .oldKeyBack:
            let group = try scene.group()
            let recovery = try #require(group.recovery)
            var keys = recovery.sealedKeys.sorted { $0.key < $1.key }.map { RecoveryKeyEnvelope(ref: $0.key, sealed: $0.value) }
            var trustees = recovery.trustees.values.sorted { $0.user < $1.user }
            var key = try BoxKeyPair().publicKey
            switch attack {
            case .setupWithoutCurrentKey:
                keys.removeLast()
                expected = "leaves the current"
            case .setupNamingItself:
                trustees = (trustees + [TrusteeShare(user: scene.lead.me, commitment: [UInt8](repeating: 1, count: 32), sealed: someShare)]).sorted { $0.user < $1.user }
                expected = "names themselves a trustee"
            default:
                key = recovery.publicKey
                expected = "brings back an earlier recovery key"
            }
            try attacker(scene.lead.whoami().handle).append(
                .recoverySetUp(group: id, epoch: 2, publicKey: key, threshold: 2, trustees: trustees, keys: keys))
        case .newEpochWithoutRecovery:
            let group = try scene.group()
            let epoch = try #require(group.currentEpoch[.notes])
            try attacker(scene.lead.whoami().handle).append(
                .keysDistributed(
                    group: id,
                    grants: [KeyGrant(compartment: .notes, epoch: epoch + 1, commitment: [UInt8](repeating: 2, count: 32), envelopes: [])]))
            expected = "without sealing it to the group's recovery key"
        case .writeBeforeRotation:
            // A requester whose modified client completes and then writes, skipping the new setup.
            let request = try nova.requestRecovery(groupName: "Trans Support")
            _ = try scene.open("tala").approveRecovery(groupName: "Trans Support")
            _ = try scene.open("omar").approveRecovery(groupName: "Trans Support")
            try attacker("nova").append(.recoveryCompleted(group: id, request: request.seq))
            // The completion made every compartment stale; the modified client makes a new profile key (allowed: the group has no recovery now) and writes under it.
            let group = try RecoveryTests.Scene.stateAfterCompletion(fixture, id)
            let epoch = try #require(group.currentEpoch[.profile]) + 1
            try attacker("nova").append(
                .keysDistributed(
                    group: id,
                    grants: [
                        KeyGrant(
                            compartment: .profile, epoch: epoch, commitment: [UInt8](repeating: 6, count: 32),
                            envelopes: [KeyEnvelope(user: nova.me, sealed: [UInt8](repeating: 6, count: 32 + SealedBox.overhead))])
                    ]))
            let parts = [KeyRef(compartment: .profile, epoch: epoch)]
            try attacker("nova").append(
                .recordWritten(
                    record: try RecordID.random(), version: 1, group: id, kind: .member, parent: nil, parts: parts, carried: [],
                    contentHash: [UInt8](repeating: 3, count: 32)))
            expected = "recovery was used and not yet set up again"
        }
        let error = #expect(throws: KithVaultError.self, "\(attack)") { _ = try fixture.open("tala") }
        #expect(error?.code == .invalidEntry && error?.reason.contains(expected) == true, "\(attack): \(error?.reason ?? "")")
        let audit = try AuditVerifier.verify(store: fixture.store())
        #expect(!audit.valid, "\(attack)")
    }

    @Test("a key entry of type 26 that seals nothing to the recovery key does not decode (one form per meaning)")
    func oneForm() throws {
        let grant = KeyGrant(compartment: .notes, epoch: 1, commitment: [UInt8](repeating: 1, count: 32), envelopes: [])
        let plain = EntryBody.keysDistributed(group: try GroupID.random(), grants: [grant])
        #expect(plain.type == .keysDistributed)
        #expect(throws: KithVaultError.self) { try EntryBody.decode(type: .keysDistributedWithRecovery, bytes: plain.encode() + [0]) }
        var sealed = grant
        sealed.recovery = [UInt8](repeating: 4, count: GroupRecovery.sealedKeyLength)
        let withRecovery = EntryBody.keysDistributed(group: try GroupID.random(), grants: [sealed])
        #expect(withRecovery.type == .keysDistributedWithRecovery)
        #expect(try EntryBody.decode(type: .keysDistributedWithRecovery, bytes: withRecovery.encode()) == withRecovery)
    }
}

/// All subsets of `0..<n` of size `k`.
func subsets(_ n: Int, _ k: Int) -> [[Int]] {
    guard k > 0 else { return [[]] }
    guard n >= k else { return [] }
    return subsets(n - 1, k - 1).map { $0 + [n - 1] } + subsets(n - 1, k)
}

extension RecoveryTests.Scene {
    /// The group's state replayed without the checks of the entries after
    /// the completion (which the attack makes invalid): what the attacker sees.
    static func stateAfterCompletion(_ fixture: VaultFixture, _ group: GroupID) throws -> GroupState {
        let state = try VaultState.replay(try fixture.store().entries(from: 0))
        return try #require(state.groups[group])
    }
}

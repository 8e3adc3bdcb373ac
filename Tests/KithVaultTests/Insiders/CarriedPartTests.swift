import Foundation
import KithCrypto
import Testing

@testable import KithVault

/// Edits by people who cannot read every compartment (issue 21, item 2): a
/// case worker's new version carries the parts they may not read forward
/// unchanged, and nobody, not even a modified client, can use that to
/// bring back old content, bring in new content they may not write, or
/// drop what they may not write.
@Suite("Carrying parts the writer may not read")
struct CarriedPartTests {
    static let group = "Trans Support"

    /// A member with a profile and a sensitive part, written by the lead.
    static func member(_ fixture: VaultFixture, _ lead: Vault) throws -> RecordID {
        try lead.addRecord(
            groupName: group, kind: .member,
            fields: [
                try RecordField(compartment: .profile, name: "name", value: "مُحَمَّد الحَلَبِيّ"),
                try RecordField(compartment: .profile, name: "phone", value: "+961 70 000 001"),
                try RecordField(compartment: .sensitive, name: "hiv", value: "positive"),
            ])
    }

    static func stored(_ fixture: VaultFixture, _ id: RecordID, _ version: UInt32) throws -> StoredRecord {
        try StoredRecord.decode(#require(try fixture.store().record(id, version: version)))
    }

    @Test("a case worker fixes a phone number beside sensitive fields they never see; the lead reads both")
    func caseworkerUpdates() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        #expect(try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "+961 70 000 002")]) == 2)

        // The case worker sees the new phone and the sensitive part withheld, as before.
        let seen = try caseworker.readRecord(id)
        #expect(seen.fields.first { $0.name == "phone" }?.value == "+961 70 000 002")
        #expect(seen.withheld == [.sensitive])
        // The lead, in a fresh client (a full replay), sees both; the sensitive value is the one the lead wrote.
        let lead2 = try fixture.open("lead-tra")
        let view = try lead2.readRecord(id)
        #expect(view.fields.first { $0.name == "hiv" }?.value == "positive")
        #expect(view.fields.first { $0.name == "phone" }?.value == "+961 70 000 002")
        #expect(view.fields.first { $0.name == "name" }?.value == "مُحَمَّد الحَلَبِيّ")
        #expect(view.withheld.isEmpty)
        // The stored sensitive part is the very same ciphertext and wrapping, bound into the new signed version.
        let first = try Self.stored(fixture, id, 1), second = try Self.stored(fixture, id, 2)
        let before = try #require(first.parts.first { $0.compartment == .sensitive })
        let after = try #require(second.parts.first { $0.compartment == .sensitive })
        #expect(after.ciphertext == before.ciphertext && after.wrappedKey == before.wrappedKey && after.sealedVersion == 1)
        #expect(second.parts.first { $0.compartment == .profile }?.sealedVersion == 2)
        #expect(try fixture.store().record(id, version: 2)?.first == StoredRecord.carryingFormatVersion)
        // The log says what was carried, and the history lists both compartments.
        let version = try #require(lead2.state.records.record(id)?.versions.last)
        #expect(version.carried == [.sensitive] && version.compartments == [.profile, .sensitive])
        #expect(try lead2.auditLog().contains { $0.summary.contains("carried unchanged: sensitive@1") })
        // A filter for records written lists the carrying write too.
        #expect(try lead2.auditLog(AuditLogFilter(type: .recordWritten)).map(\.type) == [.recordWritten, .recordWrittenCarrying])
        // A resumed client (from its cache) agrees, and so does the verifier.
        #expect(try fixture.open("lead-tra").readRecord(id).fields.count == 3)
        #expect(try AuditVerifier.verify(store: fixture.store()).valid)
    }

    @Test("carried again and again, then replaced by the lead, then carried again: every version reads as written")
    func chain() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, viewer) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "2")])
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "3")])
        try lead.refresh()
        try lead.updateRecord(id, fields: [RecordField(compartment: .sensitive, name: "hiv", value: "undetectable")])
        try caseworker.refresh()
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "5")])
        let reader = try fixture.open("lead-tra")
        let expected: [UInt32: (String, String)] = [1: ("+961 70 000 001", "positive"), 2: ("2", "positive"), 3: ("3", "positive"), 4: ("3", "undetectable"), 5: ("5", "undetectable")]
        for (version, (phone, hiv)) in expected {
            let view = try reader.readRecord(id, version: version)
            #expect(view.fields.first { $0.name == "phone" }?.value == phone, "version \(version)")
            #expect(view.fields.first { $0.name == "hiv" }?.value == hiv, "version \(version)")
        }
        #expect(try Self.stored(fixture, id, 5).parts.first { $0.compartment == .sensitive }?.sealedVersion == 4)
        // A viewer reads the profile of every version and never the sensitive part.
        try viewer.refresh()
        #expect(try viewer.readRecord(id).withheld == [.sensitive])
    }

    @Test("a case worker may not change a field they cannot read, and the refusal says who can")
    func cannotChangeWithheld() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        let error = #expect(throws: KithVaultError.self) {
            try caseworker.updateRecord(id, fields: [RecordField(compartment: .sensitive, name: "hiv", value: "negative")])
        }
        #expect(error?.code == .accessDenied && error?.reason.contains("a lead of Trans Support can") == true)
        #expect(try lead.state.records.record(id)?.versions.count == 1)
    }

    @Test("a name the case worker adds beside a hidden field of the same name: both are shown, and later edits keep both")
    func sameNameInTwoCompartments() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "hiv", value: "ask the lead")])
        try lead.refresh()
        let view = try lead.readRecord(id)
        #expect(view.fields.filter { $0.name == "hiv" }.map(\.compartment).sorted() == [.profile, .sensitive])
        // In JSON neither hides the other: both are keyed by compartment.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(view)) as? [String: Any])
        let shown = try #require(json["fields"] as? [String: String])
        #expect(shown["profile:hiv"] == "ask the lead" && shown["sensitive:hiv"] == "positive" && shown["hiv"] == nil && shown["name"] != nil)
        // A third copy of the name, in notes, is refused naming the two.
        let third = #expect(throws: KithVaultError.self) { try lead.updateRecord(id, fields: [RecordField(compartment: .notes, name: "hiv", value: "x")]) }
        #expect(third?.code == .invalidInput && third?.reason.contains("in both profile and sensitive") == true)
        // The lead edits another field: the pair stays, and nothing seals the name twice.
        try lead.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "9")])
        try lead.updateRecord(id, fields: [RecordField(compartment: .sensitive, name: "hiv", value: "negative")])
        let latest = try fixture.open("lead-tra").readRecord(id)
        #expect(latest.fields.filter { $0.name == "hiv" }.map(\.value).sorted() == ["ask the lead", "negative"])
    }

    @Test("a stored record claiming version 0, in either format, is refused as damaged, never a crash")
    func versionZero() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "2")])
        for version: UInt32 in [1, 2] {
            var bytes = try #require(try fixture.store().record(id, version: version))
            // Format byte, 16-byte id, then the version.
            for offset in 17..<21 { bytes[offset] = 0 }
            #expect(throws: KithVaultError.self) { try StoredRecord.decode(bytes) }
        }
    }

    // MARK: A modified client

    /// Signs and appends version `version` of `id` as `identity`, holding
    /// `parts`, with the log entry naming `sealed` and `carried`. With
    /// `profile`, a profile part holding it is sealed for the version too
    /// (with the writer's own key), as an honest writer's would be.
    static func forge(
        _ fixture: VaultFixture, as handle: String, id: RecordID, version: UInt32, parts given: [RecordPart], sealed givenSealed: [KeyRef],
        carried: [KeyRef], like existing: RecordID? = nil, profile: String? = nil
    ) throws {
        let identity = try #require(fixture.identities[handle])
        let vault = try fixture.open(handle)
        let record = try #require(try vault.state.records.record(existing ?? id))
        let time = UInt64(Date().timeIntervalSince1970 * 1000)
        var parts = given, sealed = givenSealed
        if let profile {
            let epoch = try #require(vault.state.groups[record.group]?.currentEpoch[.profile])
            let shell = Vault.shell(id: id, version: version, group: record.group, kind: record.kind, parent: record.parent, author: identity.identity.userID, time: time)
            let part = try vault.sealPart(
                fields: [RecordField(compartment: .profile, name: "phone", value: profile)], ref: KeyRef(compartment: .profile, epoch: epoch), record: shell, key: nil)
            parts = (parts + [part]).sorted { $0.compartment < $1.compartment }
            sealed = (sealed + [part.written]).sorted { $0.compartment < $1.compartment }
        }
        let body = StoredRecord.signedBody(
            id: id, version: version, group: record.group, kind: record.kind, parent: record.parent, author: identity.identity.userID, timeMillis: time, parts: parts)
        let signature = try identity.sign(StoredRecord.signedMessage(vaultID: vault.state.vaultID, body: body))
        let stored = StoredRecord(
            id: id, version: version, group: record.group, kind: record.kind, parent: record.parent, author: identity.identity.userID, timeMillis: time,
            parts: parts, signature: signature)
        let store = try fixture.store()
        let row = RecordRow(recordID: id, version: version, groupID: record.group, entrySeq: UInt64(try store.entries(from: 0).count), body: stored.encoded)
        try Attacker(identity: identity, store: store, timeMillis: time).append(
            .recordWritten(
                record: id, version: version, group: record.group, kind: record.kind, parent: record.parent, parts: sealed, carried: carried,
                contentHash: stored.contentHash),
            records: [row])
    }

    @Test("a modified client carrying an older version's sensitive part (a rollback) is caught by the lead's read")
    func rollback() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try lead.updateRecord(id, fields: [RecordField(compartment: .sensitive, name: "hiv", value: "undetectable")])
        try caseworker.refresh()
        // Version 3 carries version 1's sensitive part (same epoch, so the log cannot tell) beside a fresh profile.
        let old = try #require(try Self.stored(fixture, id, 1).parts.first { $0.compartment == .sensitive })
        try Self.forge(fixture, as: "cw-tra", id: id, version: 3, parts: [old], sealed: [], carried: [old.written], profile: "3")
        let reader = try fixture.open("lead-tra")
        let error = #expect(throws: KithVaultError.self) { try reader.readRecord(id) }
        #expect(error?.code == .integrity && error?.reason.contains("does not carry the parts the log says") == true, "\(error?.reason ?? "")")
        // The same part claimed as sealed for version 2 (where the log says it was sealed) holds no other content: its signed facts differ.
        var relabelled = old
        relabelled.sealedVersion = 2
        try Self.forge(fixture, as: "cw-tra", id: id, version: 4, parts: [relabelled], sealed: [], carried: [relabelled.written], profile: "4")
        let second = #expect(throws: KithVaultError.self) { try fixture.open("lead-tra").readRecord(id) }
        #expect(second?.code == .integrity, "\(second?.reason ?? "")")
        // Versions 1 and 2 still read.
        #expect(try reader.readRecord(id, version: 2).fields.first { $0.name == "hiv" }?.value == "undetectable")
    }

    @Test("a modified client whose log entry says carried while the stored part says sealed anew is caught")
    func carriedInLogOnly() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        var sensitive = try #require(try Self.stored(fixture, id, 1).parts.first { $0.compartment == .sensitive })
        sensitive.sealedVersion = 2
        try Self.forge(fixture, as: "cw-tra", id: id, version: 2, parts: [sensitive], sealed: [], carried: [sensitive.written], profile: "2")
        let error = #expect(throws: KithVaultError.self) { try fixture.open("lead-tra").readRecord(id) }
        #expect(error?.code == .integrity && error?.reason.contains("does not carry the parts the log says") == true)
        // An honest case worker's next update does not carry the bad part on: it is refused, and nothing is written.
        let honest = try fixture.open("cw-tra")
        let refused = #expect(throws: KithVaultError.self) {
            try honest.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "3")])
        }
        #expect(refused?.code == .integrity)
        #expect(try honest.state.records.record(id)?.versions.count == 2)
        // A modified client carrying it on anyway (sealed-for 2 again): the lead's read of version 3 fails too.
        try Self.forge(fixture, as: "cw-tra", id: id, version: 3, parts: [sensitive], sealed: [], carried: [sensitive.written], profile: "3")
        #expect(throws: KithVaultError.self) { try fixture.open("lead-tra").readRecord(id) }
        // Version 1 still reads.
        #expect(try fixture.open("lead-tra").readRecord(id, version: 1).fields.contains { $0.name == "hiv" })
    }

    /// The log entries a modified case worker may not write: each makes the
    /// whole log invalid for every client.
    enum Forgery: String, CaseIterable {
        /// Drops the sensitive part (writes the profile only).
        case dropsSensitive
        /// Carries a part the previous version does not hold (another epoch).
        case carriesOtherEpoch
        /// Carries a part into a new record.
        case carriesIntoNewRecord
        /// Seals the profile and also lists it as carried.
        case sealedAndCarried
        /// Seals nothing at all: only carries (any role could append such versions).
        case carriesOnly
    }

    @Test("a modified client's carrying entries that break the rules make the log invalid", arguments: Forgery.allCases)
    func forgedEntries(_ forgery: Forgery) throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        let v1 = try Self.stored(fixture, id, 1)
        let profile = try #require(v1.parts.first { $0.compartment == .profile })
        let sensitive = try #require(v1.parts.first { $0.compartment == .sensitive })
        switch forgery {
        case .dropsSensitive:
            try Self.forge(fixture, as: "cw-tra", id: id, version: 2, parts: [profile], sealed: [], carried: [profile.written])
        case .carriesOtherEpoch:
            try Self.forge(
                fixture, as: "cw-tra", id: id, version: 2, parts: [profile, sensitive], sealed: [],
                carried: [profile.written, KeyRef(compartment: .sensitive, epoch: 7)])
        case .carriesIntoNewRecord:
            try Self.forge(fixture, as: "cw-tra", id: RecordID.random(), version: 1, parts: [profile], sealed: [], carried: [profile.written], like: id)
        case .sealedAndCarried:
            try Self.forge(fixture, as: "cw-tra", id: id, version: 2, parts: [profile, sensitive], sealed: [profile.written], carried: [profile.written, sensitive.written])
        case .carriesOnly:
            try Self.forge(fixture, as: "viewer-tra", id: id, version: 2, parts: [profile, sensitive], sealed: [], carried: [profile.written, sensitive.written])
        }
        let error = #expect(throws: KithVaultError.self) { _ = try fixture.open("lead-tra") }
        #expect(error?.code == .invalidEntry, "\(forgery)")
    }

    @Test("while a lead's rekey of the sensitive fields is under way nothing is carried; once it finishes, carrying works again")
    func rekeyAndCarry() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        _ = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Dee")]))
        // A second lead reads the sensitive fields; removing them rekeys those too. Stopped after one batch.
        try fixture.enroll("lead-two")
        try lead.share(groupName: Self.group, with: "lead-two", role: .lead)
        lead.rekeyBatchSize = 1
        lead.rekeyStopAfterBatches = 1
        #expect(throws: KithVaultError.self) { _ = try lead.revoke(groupName: Self.group, from: "lead-two", mode: .rewrap) }
        try caseworker.refresh()
        let groupID = try caseworker.group(named: Self.group).id
        #expect(caseworker.state.groups[groupID]?.pendingRekey?.targets.contains { $0.compartment == .sensitive } == true)
        let error = #expect(throws: KithVaultError.self) {
            try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "3")])
        }
        #expect(error?.code == .busy && error?.remedy == .waitForRekey(group: Self.group, mode: .rewrap))
        // The lead finishes the rekey; the case worker's update then carries the moved part, and every version reads.
        let resumed = try fixture.open("lead-tra")
        _ = try resumed.revoke(groupName: Self.group, from: "lead-two", mode: .rewrap)
        try caseworker.refresh()
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "3")])
        let carried = try #require(try Self.stored(fixture, id, 2).parts.first { $0.compartment == .sensitive })
        #expect(carried.wrapEpoch == 2 && carried.sealedVersion == 1)
        let reader = try fixture.open("lead-tra")
        for version in try #require(try reader.state.records.record(id)).versions {
            #expect(try reader.readRecord(id, version: version.version).fields.contains { $0.name == "hiv" })
        }
    }

    @Test("a lead's rekey of the sensitive fields moves carried parts, which still open under the version they were sealed for", arguments: [RekeyMode.rewrap, .reencrypt])
    func rekeyMovesCarried(mode: RekeyMode) throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        let id = try Self.member(fixture, lead)
        try caseworker.refresh()
        try caseworker.updateRecord(id, fields: [RecordField(compartment: .profile, name: "phone", value: "2")])
        // Removing a second lead, who could read the sensitive fields, moves them onto new keys.
        try fixture.enroll("lead-two")
        try lead.refresh()
        try lead.share(groupName: Self.group, with: "lead-two", role: .lead)
        let summary = try #require(try lead.revoke(groupName: Self.group, from: "lead-two", mode: mode).rekey)
        #expect(summary.changed == 2)
        let carried = try #require(try Self.stored(fixture, id, 2).parts.first { $0.compartment == .sensitive })
        #expect(carried.sealedVersion == 1 && carried.wrapEpoch == 2 && carried.contentEpoch == (mode == .reencrypt ? 2 : 1))
        let reader = try fixture.open("lead-tra")
        #expect(try reader.readRecord(id).fields.first { $0.name == "hiv" }?.value == "positive")
        #expect(try reader.readRecord(id, version: 1).fields.first { $0.name == "hiv" }?.value == "positive")
    }
}

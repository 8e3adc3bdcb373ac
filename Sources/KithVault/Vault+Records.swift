import KithCrypto

/// A record version as a reader sees it.
public struct RecordView: Sendable {
    /// The record's id.
    public let id: RecordID
    /// Its group's name.
    public let group: String
    /// Its kind.
    public let kind: RecordKind
    /// The version shown.
    public let version: UInt32
    /// The author's handle.
    public let author: String
    /// When the version was written (ms since 1970).
    public let timeMillis: UInt64
    /// The case a note or attachment belongs to, or the member a case is about.
    public let parent: RecordID?
    /// The fields the reader may see.
    public let fields: [RecordField]
    /// Compartments the record holds that the reader's role may not read.
    public let withheld: [Compartment]
}

/// A record in a listing (no content is decrypted for a listing).
public struct RecordSummary: Sendable {
    /// The record's id.
    public let id: RecordID
    /// Its kind.
    public let kind: RecordKind
    /// Its newest version.
    public let version: UInt32
    /// The newest version's author.
    public let author: String
    /// When the newest version was written (ms since 1970).
    public let timeMillis: UInt64
    /// The case a note belongs to.
    public let parent: RecordID?
}

/// One version in a record's history.
public struct VersionInfo: Sendable {
    /// The version number.
    public let version: UInt32
    /// Its author's handle.
    public let author: String
    /// When it was written (ms since 1970).
    public let timeMillis: UInt64
    /// Compartments it holds.
    public let compartments: [Compartment]
    /// Those of them its author carried forward unchanged from the previous
    /// version (an author who may not read them).
    public let carried: [Compartment]
    /// Its position in the log.
    public let seq: UInt64
}

/// A record version about to be written.
struct RecordDraft {
    let id: RecordID
    let version: UInt32
    let kind: RecordKind
    let parent: RecordID?
    let fields: [RecordField]
    /// The audit detail, in words.
    let action: String
    /// The record key to seal with (an attachment's, chosen before its
    /// file was sealed); nil: a fresh random one.
    var recordKey: KeyBox? = nil
    /// The previous version's parts that the writer may not read, carried
    /// forward as they are stored (ciphertext, wrapping and signed facts).
    var carried: [RecordPart] = []
}

extension Vault {
    /// A user's handle as listings show it (marked when removed from the vault).
    public func handle(ofUser user: UserID) -> String { handle(of: user) }

    /// A user's handle for listings; someone removed from the vault is
    /// marked, since their handle may since belong to someone else.
    func handle(of user: UserID) -> String {
        guard let state = state.users[user], let name = try? openHandle(of: state) else { return user.description }
        return state.isActive ? name : "\(name) (removed)"
    }

    /// The log's view of a record; reads entries appended since this vault
    /// was opened before saying it does not exist. An erased record is
    /// refused (saying when it went) unless `allowErased`: what the log
    /// says of it stays, its content does not.
    func recordState(_ id: RecordID, orElse missing: String, remedy: Remedy = .listRecords, allowErased: Bool = false) throws -> RecordState {
        let record = try lookUp(.notFound(missing, remedy: remedy)) { try state.records.record(id) }
        if !allowErased, record.isErased { throw erased(record) }
        return record
    }

    /// The shape of a record id as people type it: 32 hex digits, or the
    /// first 8 or more of them (checked before a passphrase is asked).
    public static func checkRecordIDText(_ text: String) throws {
        let hex = text.lowercased()
        guard (8...2 * Identifier.length).contains(hex.count), hex.allSatisfy(\.isHexDigit) else {
            throw KithVaultError.invalidInput(
                "'\(text)' is not a Kith id (32 hexadecimal digits, or the first 8 or more of them, as record listings show them)", remedy: .listRecords)
        }
    }

    /// The record `text` names: its whole id, or the first 8 or more hex
    /// digits of exactly one record's id in this vault (erased ones too,
    /// whose history and erasure can still be asked about).
    public func recordID(matching text: String) throws -> RecordID {
        try Self.checkRecordIDText(text)
        let hex = text.lowercased()
        if hex.count == 2 * Identifier.length { return try Identifier(parsing: hex) }
        // The ids from the prefix followed by zeros to the prefix followed by f's.
        let lower = try Identifier(parsing: hex + String(repeating: "0", count: 2 * Identifier.length - hex.count))
        let upper = try Identifier(parsing: hex + String(repeating: "f", count: 2 * Identifier.length - hex.count))
        return try lookUp(.notFound("a record whose id begins \(hex)", remedy: .listRecords)) {
            let found = try state.records.records(from: lower, through: upper).map(\.id)
            if found.count > 1 {
                throw KithVaultError.invalidInput("'\(text)' begins the ids of \(found.count) records; give more of the id", remedy: .listRecords)
            }
            return found.first
        }
    }

    /// The refusal for using an erased record.
    func erased(_ record: RecordState) -> KithVaultError {
        let when = record.erasure.map { " on \(Timestamp.iso8601(millis: $0.timeMillis)) (log entry \($0.seq))" } ?? ""
        return .notFound("\(record.kind) \(record.id) was erased by a lead of \(groupName(record.group))\(when); nothing of its content is kept")
    }

    func role(in group: GroupID) throws -> GroupRole {
        guard let role = state.groups[group]?.members[me] else {
            throw KithVaultError.accessDenied("you have no role in group \(groupName(group))")
        }
        return role
    }

    // MARK: Writing

    /// Adds a record to `groupName` and returns its id.
    @discardableResult
    public func addRecord(groupName: String, kind: RecordKind, fields: [RecordField], parent: RecordID? = nil) throws -> RecordID {
        try addRecords(groupName: groupName, kind: kind, [fields], parent: parent)[0]
    }

    /// Adds many records to `groupName` in one transaction (all or none)
    /// and returns their ids in order. For imports and benchmarks: one
    /// commit, however many records.
    /// `parent`: for a case, the member record it is about (in the same group).
    @discardableResult
    public func addRecords(groupName: String, kind: RecordKind, _ records: [[RecordField]], parent: RecordID? = nil) throws -> [RecordID] {
        let group = try self.group(named: groupName)
        if kind == .case, let parent {
            let member = try recordState(parent, orElse: "member \(parent)")
            guard member.kind == .member, member.group == group.id else {
                throw KithVaultError.invalidInput(
                    member.kind == .member
                        ? "member \(parent) is in group \(self.groupName(member.group)), not \(groupName); a case is about a member of its own group"
                        : "\(parent) is a \(member.kind) record, not a member; a case is about a member")
            }
        }
        let drafts = try records.map { RecordDraft(id: try RecordID.random(), version: 1, kind: kind, parent: parent, fields: $0, action: "added \(kind)") }
        try write(group: group.id) { drafts }
        return drafts.map(\.id)
    }

    /// Adds a new version of a record with `fields` replacing the fields of
    /// the same name; returns the new version number. Nothing is overwritten.
    /// The merge happens inside the commit, so a concurrent update by
    /// someone else is merged with, not lost or refused.
    @discardableResult
    public func updateRecord(_ id: RecordID, fields changes: [RecordField]) throws -> UInt32 {
        let record = try recordState(id, orElse: "record \(id)")
        _ = try role(in: record.group)
        guard record.kind != .attachment else {
            throw KithVaultError.invalidInput("\(id) is an attachment, and attachments never change", remedy: .addAttachment)
        }
        var written: UInt32 = 0
        try write(group: record.group) {
            let draft = try self.mergedDraft(id, changes: changes, action: "updated \(record.kind)")
            written = draft.version
            return [draft]
        }
        return written
    }

    /// The next version of `id`: its newest version's fields with `changes`
    /// replacing those of the same name (built inside a commit, from the
    /// state current there).
    /// Compartments the writer may not read are carried forward unchanged:
    /// the new version holds their stored parts as they are, so a case
    /// worker fixes a phone number without seeing or touching the
    /// sensitive fields beside it.
    func mergedDraft(_ id: RecordID, changes: [RecordField], action: String) throws -> RecordDraft {
        guard let record = try state.records.record(id), let last = record.versions.last else { throw KithVaultError.notFound("record \(id)") }
        let current = try readWithoutLogging(id, version: last.version)
        if let touched = changes.first(where: { current.withheld.contains($0.compartment) }) {
            throw KithVaultError.accessDenied(
                "you may not read the \(touched.compartment) fields of record \(id), so you cannot change them (field '\(touched.name)'); a lead of \(current.group) can")
        }
        let held = { (name: String) in current.fields.filter { $0.name == name }.map(\.compartment) }
        if let third = changes.first(where: { held($0.name).count > 1 && !held($0.name).contains($0.compartment) }) {
            // A third copy of a name already in two compartments: say which of the two to change instead.
            throw KithVaultError.invalidInput(
                "record \(id) holds the field '\(third.name)' in both \(held(third.name).map(\.description).joined(separator: " and ")); change it in one of those, not in \(third.compartment)")
        }
        // A name in two compartments (one was carried by someone who could not see the other): the compartment a change
        // does not touch is carried again, so the pair survives and a name is never sealed twice.
        let names = current.fields.map(\.name)
        let paired = Set(current.fields.filter { field in names.filter { $0 == field.name }.count > 1 }.map(\.compartment))
        let untouchedPairs = paired.subtracting(changes.map(\.compartment))
        let carry = Set(current.withheld).union(untouchedPairs)
        if let rekey = state.groups[record.group]?.pendingRekey, let moving = carry.sorted().first(where: { c in rekey.targets.contains { $0.compartment == c } }) {
            // A rekey moves the versions the log named when it ran; a part carried meanwhile would stay on the old keys.
            throw KithVaultError.busy(
                "a lead is moving \(current.group)'s \(moving) fields onto new keys, and this record's \(moving) fields, which this update carries forward unchanged, must move with them",
                remedy: .waitForRekey(group: current.group, mode: rekey.mode))
        }
        let carried = carry.isEmpty ? [] : try storedParts(of: id, version: last, compartments: carry)
        var merged = current.fields.filter { !untouchedPairs.contains($0.compartment) }
        for change in changes {
            if let index = merged.firstIndex(where: { $0.name == change.name && $0.compartment == change.compartment })
                ?? merged.firstIndex(where: { $0.name == change.name })
            {
                merged[index] = change
            } else {
                merged.append(change)
            }
        }
        return RecordDraft(id: id, version: last.version + 1, kind: record.kind, parent: record.parent, fields: merged, action: action, carried: carried)
    }

    /// The stored parts of `version` in `compartments`, from the object the
    /// log commits to (nothing is decrypted).
    private func storedParts(of id: RecordID, version: VersionState, compartments: Set<Compartment>) throws -> [RecordPart] {
        let label = "record \(id) version \(version.version)"
        guard let bytes = try store.record(id, version: version.version) else {
            throw KithVaultError.integrity("\(label) is in the log but missing from the store")
        }
        let stored = try StoredRecord.decode(bytes)
        guard let record = try state.records.record(id) else { throw KithVaultError.notFound("record \(id)") }
        // Nothing damaged is carried on: the object and each carried part are checked as a reader would (without keys).
        if let why = stored.mismatch(with: record, version: version) { throw KithVaultError.integrity("\(label) \(why)") }
        let parts = stored.parts.filter { compartments.contains($0.compartment) }
        for part in parts where part.sealedVersion != version.version { try checkCarried(part, record: record, label: label) }
        return parts
    }

    /// Adds a note to a case.
    @discardableResult
    public func addNote(caseID: RecordID, text: String) throws -> RecordID {
        let record = try checkNoteTarget(caseID)
        guard !text.isEmpty else { throw KithVaultError.invalidInput("the note is empty", remedy: .giveNoteText) }
        let draft = RecordDraft(
            id: try RecordID.random(), version: 1, kind: .note, parent: caseID,
            fields: [try RecordField(compartment: .notes, name: "text", value: text)], action: "added note")
        try write(group: record.group) { [draft] }
        return draft.id
    }

    /// Checks, before anyone writes a note, that `caseID` is a case this
    /// user may add notes to (so text typed in an editor is not lost to a
    /// wrong id or a missing right afterwards).
    @discardableResult
    public func checkNoteTarget(_ caseID: RecordID) throws -> RecordState {
        let record = try recordState(caseID, orElse: "case \(caseID)", remedy: .listCases)
        guard record.kind == .case else { throw KithVaultError.invalidInput("\(caseID) is a \(record.kind) record, not a case; notes belong to cases") }
        if let refusal = Rights.write(state, group: record.group, actor: me, compartment: .notes) {
            throw KithVaultError.accessDenied(refusal.reason(group: groupName(record.group)))
        }
        return record
    }

    /// Writes version 1 of a record with a chosen id (frozen test files only).
    func writeForTesting(id: RecordID, kind: RecordKind, group groupName: String, fields: [RecordField]) throws {
        let draft = RecordDraft(id: id, version: 1, kind: kind, parent: nil, fields: fields, action: "added \(kind)")
        try write(group: group(named: groupName).id) { [draft] }
    }

    /// Writes record versions in one commit. `drafts` gives them from the
    /// state current inside the commit (it may run again after another
    /// writer's append).
    /// `progress` hears each record sealed, then each log entry signed.
    func write(group: GroupID, progress: ((Int) -> Void)? = nil, drafts: () throws -> [RecordDraft]) throws {
        let name = groupName(group)
        var freshKeys: [KeyRef: KeyBox] = [:]
        var sealed = 0
        var written: (drafts: [RecordDraft], base: UInt64) = ([], 0)
        try commit(progress: progress.map { report in { report(sealed + $0) } }) { state in
            freshKeys = [:]
            let drafts = try drafts()
            written = (drafts, state.count)
            guard let groupState = state.groups[group] else { throw KithVaultError.notFound("group \(name)") }
            guard let role = groupState.members[me] else { throw KithVaultError.accessDenied("you have no role in group \(name)") }
            var entries: [PendingEntry] = []
            if !groupState.staleCompartments.isEmpty {
                // Someone removed from the vault held the current keys: a lead makes new ones first; nobody else may write.
                if role == .lead {
                    entries.append(try staleKeysEntry(groupState, name: name, reason: "(someone removed from the vault held the old ones)", freshKeys: &freshKeys))
                } else if !Set(drafts.flatMap { $0.fields.map(\.compartment) }).isDisjoint(with: groupState.staleCompartments) {
                    throw KithVaultError.accessDenied(
                        "someone removed from the vault held \(name)'s current keys, so nothing is written in it until a lead makes new ones",
                        remedy: .askLeadForNewKeys(group: name))
                }
            }
            // A lead writing before sharing: make the group's first keys now, in the same transaction.
            if groupState.currentEpoch.isEmpty && role == .lead {
                let grants = try keyGrants(for: groupState, members: groupState.members, newMember: me, freshKeys: &freshKeys)
                entries.append(
                    PendingEntry(
                        body: .keysDistributed(group: group, grants: grants),
                        details: [("action", "made the first keys of \(name)"), ("group", name)]))
            }
            let time = clock()
            for (index, draft) in drafts.enumerated() {
                entries.append(try seal(draft, group: groupState, role: role, name: name, time: time, freshKeys: freshKeys))
                progress?(index + 1)
            }
            sealed = drafts.count
            return entries
        }
        rememberKeys(freshKeys, group: group)
        indexOwnWrite(group: group, drafts: written.drafts, builtOn: written.base)
    }

    /// One record version, checked, encrypted and signed, with its log entry.
    private func seal(_ draft: RecordDraft, group: GroupState, role: GroupRole, name: String, time: UInt64, freshKeys: [KeyRef: KeyBox]) throws -> PendingEntry {
        let fields = draft.fields
        if draft.kind == .note && draft.parent == nil { throw KithVaultError.invalidInput("a note needs its case") }
        guard !fields.isEmpty else { throw KithVaultError.invalidInput("a record needs at least one field", remedy: .giveField) }
        guard fields.count <= 1000 else { throw KithVaultError.invalidInput("a record may have at most 1,000 fields; split it or attach a file") }
        let names = fields.map(\.name)
        guard Set(names).count == names.count || writesDuplicateFieldNamesForTesting else { throw KithVaultError.invalidInput("a field name appears twice") }
        let byCompartment = Dictionary(grouping: fields, by: \.compartment)
        let compartments = byCompartment.keys.sorted()
        guard Set(compartments).isDisjoint(with: draft.carried.map(\.compartment)) else {
            throw KithVaultError.invalidInput("a compartment cannot be both carried forward and written anew")
        }
        for compartment in compartments {
            if let refusal = Rights.write(state, group: group.id, actor: me, compartment: compartment) { throw KithVaultError.accessDenied(refusal.reason(group: name)) }
        }
        let shell = Vault.shell(id: draft.id, version: draft.version, group: group.id, kind: draft.kind, parent: draft.parent, author: me, time: time)
        var parts: [RecordPart] = []
        for compartment in compartments {
            // A key made in this very commit (first keys, or new ones after a removal) is the newest.
            let made = freshKeys.keys.filter { $0.compartment == compartment }.map(\.epoch).max()
            guard let epoch = made ?? group.currentEpoch[compartment] else {
                throw KithVaultError.accessDenied("group \(name) has no keys yet: its lead makes them by writing a record or sharing the group")
            }
            let ref = KeyRef(compartment: compartment, epoch: epoch)
            parts.append(try sealPart(fields: byCompartment[compartment] ?? [], ref: ref, record: shell, key: freshKeys[ref], recordKey: draft.recordKey))
        }
        let sealedRefs = parts.map(\.written)
        parts = (parts + draft.carried).sorted { $0.compartment < $1.compartment }
        let body = StoredRecord.signedBody(
            id: draft.id, version: draft.version, group: group.id, kind: draft.kind, parent: draft.parent, author: me, timeMillis: time, parts: parts)
        let signature = try holder.sign(StoredRecord.signedMessage(vaultID: state.vaultID, body: signsRecordsWronglyForTesting ? body + [0] : body))
        let record = StoredRecord(
            id: draft.id, version: draft.version, group: group.id, kind: draft.kind, parent: draft.parent, author: me,
            timeMillis: time, parts: parts, signature: signature)
        return PendingEntry(
            body: .recordWritten(
                record: draft.id, version: draft.version, group: group.id, kind: draft.kind, parent: draft.parent,
                parts: sealedRefs, carried: draft.carried.map(\.written), contentHash: record.contentHash),
            details: [("action", draft.action), ("group", name), ("fields", names.joined(separator: ", "))],
            record: record)
    }

    // MARK: Reading

    /// Reads a record (its newest version unless `version` is given),
    /// verifying the author's signature, the log's commitment and every
    /// decryption, and appends a record-read entry to the log.
    public func readRecord(_ id: RecordID, version: UInt32? = nil) throws -> RecordView {
        try readRecords([id], version: version)[0]
    }

    /// Reads several records and logs all the reads in one entry batch.
    public func readRecords(_ ids: [RecordID], version: UInt32? = nil) throws -> [RecordView] {
        try requireReasonsBeforeReading(ids)
        let views = try ids.map { try readWithoutLogging($0, version: version) }
        try logReads(views, verb: "read")
        return views
    }

    /// Logs the reads of `views` in one commit; `verb` says why in each
    /// entry's sealed details ("read", or "exported as csv" for an export),
    /// with the compartments read and the reader's reason. A group whose
    /// policy asks a reason for sensitive reads gets one first, or nothing
    /// is read.
    func logReads(_ views: [RecordView], verb: String) throws {
        guard !views.isEmpty else { return }
        if accessReason == nil && asksReasons {
            for view in views where view.fields.contains(where: { $0.compartment == .sensitive }) {
                try requireReason(.sensitiveReads, group: recordState(view.id, orElse: "record \(view.id)").group)
            }
        }
        // The reads of one commit share a batch id (sealed), so an audit log folds exactly them into one line.
        let batch: [(String, String)] = views.count > 1 ? [("batch", Hex.encode(try Random.bytes(8)))] : []
        try commit { _ in
            views.map { view in
                PendingEntry(
                    body: .recordRead(record: view.id, version: view.version),
                    details: [
                        ("action", "\(verb) \(view.kind)"), ("group", view.group),
                        ("fields", view.fields.map(\.name).joined(separator: ", ")),
                        ("compartments", Set(view.fields.map(\.compartment)).sorted().map(\.description).joined(separator: ", ")),
                    ] + reasonDetail + batch)
            }
        }
    }

    /// Sets why the person reads what this vault reads from now on (nil:
    /// no reason). One line of 1 to 500 characters.
    public func setAccessReason(_ reason: String?) throws {
        guard let reason else {
            accessReason = nil
            return
        }
        accessReason = try Self.checkedReason(reason)
    }

    /// `reason` trimmed, or why it cannot be one (so an interface can refuse it before asking for a passphrase).
    public static func checkedReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KithVaultError.invalidInput("a reason is one line of 1 to 500 characters, such as \"follow-up call with Sam\"")
        }
        return trimmed
    }

    /// Asks for a reason before anything is decrypted when the log shows a
    /// read would open sensitive fields in a group whose policy asks one.
    func requireReasonsBeforeReading(_ ids: [RecordID]) throws {
        // Reads are the hot path: no lookup at all unless some group asks for reasons.
        guard accessReason == nil, asksReasons else { return }
        for id in ids {
            guard let record = try state.records.record(id), let group = state.groups[record.group], group.policy.reasons.contains(.sensitiveReads),
                let role = group.members[me], group.policy.canRead(role, .sensitive),
                record.versions.contains(where: { $0.compartments.contains(.sensitive) })
            else { continue }
            try requireReason(.sensitiveReads, group: record.group)
        }
    }

    /// Whether any group's policy asks for a reason (most vaults: none).
    var asksReasons: Bool { state.groups.values.contains { !$0.policy.reasons.isEmpty } }

    /// The reason, as a sealed detail, when one was given.
    var reasonDetail: [(String, String)] { accessReason.map { [("reason", $0)] } ?? [] }

    /// Refuses, before anything is read, an access `group`'s policy asks a reason for when none was given.
    func requireReason(_ requirement: ReasonRequirement, group: GroupID) throws {
        guard accessReason == nil, state.groups[group]?.policy.reasons.contains(requirement) == true else { return }
        throw KithVaultError.accessDenied(
            "the policy of \(groupName(group)) asks for a reason for \(requirement.words) (it is sealed to auditors with the read), and none was given",
            remedy: .giveReason)
    }

    func readWithoutLogging(_ id: RecordID, version requested: UInt32?) throws -> RecordView {
        try openRecord(id, version: requested, only: nil, deferSignature: false).view
    }

    /// A record's author signature still to check (search checks those of
    /// its results together, across cores).
    struct DeferredSignature: Sendable {
        let key: SigningPublicKey
        let signature: [UInt8]
        let message: [UInt8]
        var holds: Bool { key.isValidSignature(signature, for: message) }
    }

    /// Every check of a read but, with `deferSignature`, the author's
    /// signature, which is handed back instead. `only`: open just these
    /// compartments (search's check); the others are neither decrypted nor
    /// listed as withheld.
    /// `known`: the log's view of the record, when the caller has it already.
    func openRecord(
        _ id: RecordID, version requested: UInt32?, only: Set<Compartment>?, deferSignature: Bool, known: RecordState? = nil
    ) throws -> (view: RecordView, signature: DeferredSignature?) {
        let record = try known ?? recordState(id, orElse: "record \(id)")
        let myRole = try role(in: record.group)
        let versionState: VersionState
        if let requested {
            guard let found = record.versions.first(where: { $0.version == requested }) else {
                throw KithVaultError.notFound("version \(requested) of record \(id)")
            }
            versionState = found
        } else {
            guard let last = record.versions.last else { throw KithVaultError.notFound("record \(id)", remedy: .listRecords) }
            versionState = last
        }
        guard let bytes = try store.record(id, version: versionState.version) else {
            throw KithVaultError.integrity("record \(id) version \(versionState.version) is in the log but missing from the store")
        }
        let label = "record \(id) version \(versionState.version)"
        let stored: StoredRecord
        do { stored = try StoredRecord.decode(bytes) } catch let error as KithVaultError where error.code == .integrity {
            throw KithVaultError.integrity("\(label): \(error.reason)")
        }
        if let why = stored.mismatch(with: record, version: versionState) { throw KithVaultError.integrity("\(label) \(why)") }
        guard let author = state.users[stored.author] else { throw KithVaultError.integrity("\(label): the author's signature does not verify") }
        let signature = DeferredSignature(
            key: author.identity.signingKey, signature: stored.signature, message: StoredRecord.signedMessage(vaultID: state.vaultID, body: stored.signedBody))
        guard deferSignature || signature.holds else { throw KithVaultError.integrity("\(label): the author's signature does not verify") }
        guard let groupState = state.groups[record.group] else { throw KithVaultError.integrity("\(label) names a missing group") }
        var fields: [RecordField] = []
        var carriedNames = Set<String>()
        var withheld: [Compartment] = []
        for part in stored.parts where only.map({ $0.contains(part.compartment) }) ?? true {
            guard groupState.policy.canRead(myRole, part.compartment) else {
                withheld.append(part.compartment)
                continue
            }
            // Rewrap and re-encryption only ever move a part forward.
            guard part.writtenEpoch <= part.contentEpoch, part.contentEpoch <= part.wrapEpoch,
                groupState.commitments[KeyRef(compartment: part.compartment, epoch: part.wrapEpoch)] != nil
            else {
                throw KithVaultError.integrity("\(label) names a key epoch the log never created")
            }
            let opened = try openPart(part, record: stored, label: label)
            if part.sealedVersion != stored.version {
                try checkCarried(part, record: record, label: label)
                carriedNames.formUnion(opened.map(\.name))
            }
            fields += opened
        }
        // A writer refuses a name twice among what it seals; only a modified client writes it, and a reader must not pick one
        // silently. Beside a carried part, which its writer could not read, the same name may appear once more: both are shown.
        var names = Set<String>()
        for field in fields where !names.insert(field.name).inserted {
            if carriedNames.contains(field.name) && fields.filter({ $0.name == field.name }).count == 2 { continue }
            throw KithVaultError.integrity("\(label) has the field '\(field.name)' more than once (in two compartments); its writer's client was not Kith's")
        }
        let view = RecordView(
            id: id, group: groupName(record.group), kind: record.kind, version: stored.version,
            author: handle(of: stored.author), timeMillis: stored.timeMillis, parent: record.parent,
            fields: fields, withheld: withheld)
        return (view, deferSignature ? signature : nil)
    }

    /// Checks that a carried part is the very part its author sealed for
    /// the version the log's replay followed it back to (the replay checked
    /// that every version between carried it, and the caller that this
    /// version names that one): so a writer who may not read a compartment
    /// can keep it, but never bring back an older version of it, nor bring
    /// in new content, even with an old key of the compartment.
    func checkCarried(_ part: RecordPart, record: RecordState, label: String) throws {
        guard let origin = record.versions.first(where: { $0.version == part.sealedVersion }), origin.sealedVersion(of: part.compartment) == origin.version
        else {
            throw KithVaultError.integrity("\(label) carries \(part.compartment) fields from a version that did not seal them")
        }
        guard let bytes = try store.record(record.id, version: origin.version) else {
            throw KithVaultError.integrity("\(label) carries \(part.compartment) fields from version \(origin.version), which is missing from the store")
        }
        let sealed = try StoredRecord.decode(bytes)
        guard sealed.contentHash == origin.contentHash, sealed.parts.contains(where: { $0.sameSignedPart(as: part) }) else {
            throw KithVaultError.integrity("\(label) carries \(part.compartment) fields that version \(origin.version) did not hold")
        }
    }

    // MARK: Listing

    /// The records of a group (newest version of each), without decrypting anything.
    public func listRecords(groupName: String, kind: RecordKind? = nil) throws -> [RecordSummary] {
        let group = try self.group(named: groupName)
        _ = try role(in: group.id)
        return try state.records.records(in: group.id)
            .filter { !$0.isErased && (kind == nil || $0.kind == kind) }
            .compactMap { record -> RecordSummary? in
                guard let last = record.versions.last else { return nil }
                return RecordSummary(
                    id: record.id, kind: record.kind, version: last.version, author: handle(of: last.author),
                    timeMillis: last.timeMillis, parent: record.parent)
            }
            .sorted { ($0.timeMillis, $0.id) < ($1.timeMillis, $1.id) }
    }

    /// Every version of a record, oldest first (no content is decrypted).
    /// An erased record's history is still the log's (who wrote when).
    public func history(_ id: RecordID) throws -> [VersionInfo] {
        let record = try recordState(id, orElse: "record \(id)", allowErased: true)
        _ = try role(in: record.group)
        return record.versions.map {
            VersionInfo(
                version: $0.version, author: handle(of: $0.author), timeMillis: $0.timeMillis, compartments: $0.compartments, carried: $0.carried, seq: $0.seq)
        }
    }

    /// The notes of a case, oldest first; every note read is logged.
    public func notes(caseID: RecordID) throws -> [RecordView] {
        let record = try recordState(caseID, orElse: "case \(caseID)", remedy: .listCases)
        guard record.kind == .case else { throw KithVaultError.invalidInput("\(caseID) is a \(record.kind) record, not a case") }
        _ = try role(in: record.group)
        return try readRecords(try children(of: caseID, kind: .note))
    }

    /// The cases about a member, oldest first (from the log: nothing is decrypted or logged).
    public func cases(ofMember member: RecordID) throws -> [RecordSummary] {
        let record = try recordState(member, orElse: "member \(member)")
        guard record.kind == .member else { throw KithVaultError.invalidInput("\(member) is a \(record.kind) record, not a member") }
        _ = try role(in: record.group)
        return try state.records.children(of: member).filter { $0.kind == .case && !$0.isErased }
            .sorted { ($0.versions.first?.seq ?? 0) < ($1.versions.first?.seq ?? 0) }
            .compactMap { child in
                guard let last = child.versions.last else { return nil }
                return RecordSummary(id: child.id, kind: .case, version: last.version, author: handle(of: last.author), timeMillis: last.timeMillis, parent: member)
            }
    }

    /// Everything held about one member, by the links the log records: the
    /// member record, the cases about it, and their notes and attachments,
    /// in the order they were written (for a subject access request's export).
    public func memberFile(_ member: RecordID) throws -> [RecordID] {
        let cases = try self.cases(ofMember: member).map(\.id)
        var ids = [member]
        for caseID in cases {
            ids.append(caseID)
            ids += try state.records.children(of: caseID).filter { !$0.isErased }.sorted { ($0.versions.first?.seq ?? 0) < ($1.versions.first?.seq ?? 0) }.map(\.id)
        }
        return ids
    }

    /// The ids of a case's notes or attachments, oldest first.
    func children(of caseID: RecordID, kind: RecordKind) throws -> [RecordID] {
        try state.records.children(of: caseID).filter { $0.kind == kind && !$0.isErased }
            .sorted { ($0.versions.first?.seq ?? 0) < ($1.versions.first?.seq ?? 0) }.map(\.id)
    }
}

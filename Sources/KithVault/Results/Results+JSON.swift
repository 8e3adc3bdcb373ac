import Foundation
import KithCrypto

// The JSON every interface prints for the library's results (`kith ...
// --json`, an export, later the web interface): one `Encodable` shape per
// result, with the keys docs/cli.md documents. Ids are their 32 hex digits,
// times ISO 8601 in UTC, roles, kinds and compartments their names. Keys
// are added, never renamed or removed, within a major version.

/// A result's JSON keys, spelled as documented.
struct JSONKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedEncodingContainer where K == JSONKey {
    mutating func put<T: Encodable>(_ value: T, _ key: String) throws { try encode(value, forKey: JSONKey(key)) }
    mutating func putIfPresent<T: Encodable>(_ value: T?, _ key: String) throws { try encodeIfPresent(value, forKey: JSONKey(key)) }
    mutating func time(_ millis: UInt64, _ key: String = "time") throws { try put(Timestamp.iso8601(millis: millis), key) }
}

extension RecordView: Encodable {
    /// `record show --json`, and each record of `export --format json`:
    /// id, group, kind, version, author, time, fields (name: value),
    /// compartments (name: compartment), withheld, and case for a note. A
    /// name held in two compartments (one carried by a writer who could not
    /// see the other) is keyed `compartment:name` for both, so neither value
    /// hides the other.
    public func encode(to encoder: Encoder) throws {
        let names = fields.map(\.name)
        let key = { (field: RecordField) in names.filter { $0 == field.name }.count > 1 ? "\(field.compartment):\(field.name)" : field.name }
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.put(group, "group")
        try c.put(kind.description, "kind")
        try c.put(version, "version")
        try c.put(author, "author")
        try c.time(timeMillis)
        try c.put(Dictionary(fields.map { (key($0), $0.value) }, uniquingKeysWith: { first, _ in first }), "fields")
        try c.put(Dictionary(fields.map { (key($0), $0.compartment.description) }, uniquingKeysWith: { first, _ in first }), "compartments")
        try c.put(withheld.map(\.description), "withheld")
        // A note's or attachment's parent is its case; a case's is the member it is about.
        try c.putIfPresent(parent?.description, kind == .case ? "member" : "case")
    }

    /// The note this view holds, as `note list --json` prints it.
    public var note: NoteEntry {
        NoteEntry(
            id: id, author: author, timeMillis: timeMillis,
            text: withheld.contains(.notes) ? nil : fields.first { $0.name == "text" }?.value ?? "")
    }
}

/// A case note in a listing: its text, or none when the reader's role may not read notes.
public struct NoteEntry: Sendable, Encodable {
    /// The note's id.
    public let id: RecordID
    /// Its author's handle.
    public let author: String
    /// When it was written (ms since 1970).
    public let timeMillis: UInt64
    /// Its text; nil when withheld.
    public let text: String?

    /// id, author, time, then text, or withheld: true.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.put(author, "author")
        try c.time(timeMillis)
        if let text { try c.put(text, "text") } else { try c.put(true, "withheld") }
    }
}

extension RecordSummary: Encodable {
    /// `record list --json`: id, kind, version, author, time, and case for a
    /// note or attachment, member for a case about one.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.put(kind.description, "kind")
        try c.put(version, "version")
        try c.put(author, "author")
        try c.time(timeMillis)
        try c.putIfPresent(parent?.description, kind == .case ? "member" : "case")
    }
}

extension VersionInfo: Encodable {
    /// `record history --json`: version, author, time, compartments,
    /// carried (those of them brought forward unchanged by an author who may
    /// not read them), log_entry.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(version, "version")
        try c.put(author, "author")
        try c.time(timeMillis)
        try c.put(compartments.map(\.description), "compartments")
        try c.put(carried.map(\.description), "carried")
        try c.put(seq, "log_entry")
    }
}

extension GroupInfo: Encodable {
    /// `group list --json`: id, name, role (null without one), members,
    /// look_alike (true when another group's name looks like this one's).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.put(name, "name")
        try c.put(myRole?.description, "role")
        try c.put(memberCount, "members")
        try c.put(looksLikeAnother, "look_alike")
    }
}

extension UserInfo: Encodable {
    /// `enroll list --json`: id, handle, role, fingerprint, removed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.put(handle, "handle")
        try c.put(role.description, "role")
        try c.put(fingerprint, "fingerprint")
        try c.put(removed, "removed")
    }
}

extension UserRemoval: Encodable {
    /// `user remove --json`: user (as in enroll list), groups_rekeyed, groups_awaiting_new_keys, audit_key_retired.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(user, "user")
        try c.put(groupsRekeyed, "groups_rekeyed")
        try c.put(groupsAwaitingNewKeys, "groups_awaiting_new_keys")
        try c.put(auditKeyRetired, "audit_key_retired")
    }
}

extension AttachmentInfo: Encodable {
    /// `attach list --json`: id, name, size, author, time, compartment,
    /// withheld (true, with name and size null, when the reader's role may
    /// not read the compartment).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.put(name, "name")
        try c.put(size, "size")
        try c.put(author, "author")
        try c.time(timeMillis)
        try c.put(compartment.description, "compartment")
        try c.put(withheld, "withheld")
    }
}

/// What a command that makes something prints: its id (and, for a new
/// version, the version number).
public struct Created: Sendable, Encodable {
    /// The new record's (or attachment's, or note's) id.
    public let id: RecordID
    /// The version written, for an update.
    public let version: UInt32?

    /// Names what was made.
    public init(_ id: RecordID, version: UInt32? = nil) {
        self.id = id
        self.version = version
    }

    /// id, and version when there is one.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(id.description, "id")
        try c.putIfPresent(version, "version")
    }
}

/// An export of records as JSON (`kith export --format json`): plaintext,
/// for a subject access request or a move to another tool.
public struct RecordExport: Sendable, Encodable {
    /// The group's name.
    public let group: String
    /// When it was exported (ms since 1970).
    public let exportedAtMillis: UInt64
    /// Who exported it.
    public let exportedBy: String
    /// The records, as `record show --json` shows each.
    public let records: [RecordView]
    /// The log's entries about them (a subject access request), or nil.
    public let log: [AuditLogLine]?
    /// Sentences for the person the export is handed to, in the
    /// interface's own words (what each part is), or nil.
    public let about: [String]?

    /// Names an export.
    public init(group: String, exportedAtMillis: UInt64, exportedBy: String, records: [RecordView], log: [AuditLogLine]? = nil, about: [String]? = nil) {
        self.group = group
        self.exportedAtMillis = exportedAtMillis
        self.exportedBy = exportedBy
        self.records = records
        self.log = log
        self.about = about
    }

    /// group, exported_at, exported_by, records, and log when there is one.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(group, "group")
        try c.time(exportedAtMillis, "exported_at")
        try c.put(exportedBy, "exported_by")
        try c.put(records, "records")
        try c.putIfPresent(log, "log")
        try c.putIfPresent(about, "about")
    }
}

extension AuditLogLine: Encodable {
    /// `audit log --json`: seq, time, actor (handle), actor_id, type,
    /// summary, details (an object; null when this identity cannot open
    /// them), previous_time when the writer claims a time before the entry
    /// before it, and, in a summarised log, count and last_seq for a line
    /// standing for several reads; reason_missing when the group asks a
    /// reason for the read and its details hold none.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(seq, "seq")
        try c.time(timeMillis)
        try c.put(actorHandle, "actor")
        try c.put(actor.description, "actor_id")
        try c.put(type.name, "type")
        try c.put(summary, "summary")
        try c.put(details.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }) }, "details")
        if let previousTimeMillis { try c.time(previousTimeMillis, "previous_time") }
        if count > 1 {
            try c.put(count, "count")
            try c.put(lastSeq, "last_seq")
        }
        if reasonMissing { try c.put(true, "reason_missing") }
    }
}

extension VerifierKeys: Encodable {
    /// `audit keys --json`: origin, vault_id, signers [{user, role, vkey, removed}], witnesses [{user, vkey}].
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(origin, "origin")
        try c.put(vaultID.map(Hex.encode), "vault_id")
        try c.put(signers.map { SignerJSON(user: $0.user?.description, role: $0.role?.description, vkey: $0.key.vkey, removed: $0.removed) }, "signers")
        try c.put(witnesses.map { ["user": $0.user?.description, "vkey": $0.key.vkey] }, "witnesses")
    }
}

/// One signer of `audit keys --json`.
private struct SignerJSON: Encodable {
    let user: String?
    let role: String?
    let vkey: String
    let removed: Bool
}

extension ProofVerdict: Encodable {
    /// `audit verify-proof --json`: holds (always true: a proof that does
    /// not hold is an error), witnessed, proven, unchecked.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(true, "holds")
        try c.put(witnessed, "witnessed")
        try c.put(proven, "proven")
        try c.put(unchecked, "unchecked")
    }
}

extension WitnessResult: Encodable {
    /// `audit witness --json`: size, witnesses, already_cosigned, previous_size (null the first time).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(checkpoint.size, "size")
        try c.put(witnesses, "witnesses")
        try c.put(alreadyCosigned, "already_cosigned")
        try c.put(previous?.size, "previous_size")
    }
}

extension AuditReport: Encodable {
    /// `audit verify --json`: entries, valid, root, problems, resumed_from,
    /// checkpoint / witnessed_checkpoint ({size, witnesses}) when there are,
    /// and records ({versions, attachments, damaged: [{record, version,
    /// missing, reason}]}) when they were checked.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(entries, "entries")
        try c.put(valid, "valid")
        try c.put(root, "root")
        try c.put(problems, "problems")
        try c.put(resumedFrom, "resumed_from")
        try c.putIfPresent(newest.map { CheckpointSummary(size: $0.checkpoint.size, witnesses: $0.witnesses.count) }, "checkpoint")
        try c.putIfPresent(newestWitnessed.map { CheckpointSummary(size: $0.checkpoint.size, witnesses: $0.witnesses.count) }, "witnessed_checkpoint")
        try c.putIfPresent(records, "records")
    }
}

extension RecordAuditResult: Encodable {
    /// The `records` object of `audit verify --json`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(versions, "versions")
        try c.put(attachments, "attachments")
        try c.put(erased, "erased")
        try c.put(problems, "damaged")
    }
}

extension RecordProblem: Encodable {
    /// One entry of `records.damaged`: record, version, missing, reason.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(record.description, "record")
        try c.put(version, "version")
        try c.put(missing, "missing")
        try c.put(erased, "erased")
        try c.put(reason, "reason")
    }
}

/// A checkpoint in a report: its size and how many witnesses cosigned it.
private struct CheckpointSummary: Encodable {
    let size: UInt64
    let witnesses: Int
}

extension RekeySummary: Encodable {
    /// The `rekey` object of `group rekey --json` and `revoke --json`: mode, scanned, changed, resumed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(mode, "mode")
        try c.put(scanned, "scanned")
        try c.put(changed, "changed")
        try c.put(resumed, "resumed")
    }
}

extension ImportedRecord: Encodable {
    /// One imported row in `import --json`: row, id, action (added,
    /// updated, skipped), and for a repeat of an earlier row, duplicate_of_row.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(row, "row")
        try c.put(id.description, "id")
        try c.put(action.rawValue, "action")
        if let earlierRow { try c.put(earlierRow, "duplicate_of_row") }
    }
}

extension ImportColumn: Encodable {
    /// One column of `import --dry-run --json`: column, then field and compartment, or skipped (why).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(column, "column")
        if let field, let compartment {
            try c.put(field, "field")
            try c.put(compartment.description, "compartment")
        } else {
            try c.put(skipReason ?? "skipped", "skipped")
        }
    }
}

extension ImportRejection: Encodable {
    /// One refused row of `import --dry-run --json`: row, reason.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(row, "row")
        try c.put(reason, "reason")
    }
}

extension FieldChange: Encodable {
    /// One change in `record history --diff --json`: field, compartment,
    /// before (null when added), after (null when removed).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(name, "field")
        try c.put(compartment.description, "compartment")
        try c.put(before, "before")
        try c.put(after, "after")
    }
}

extension VersionChanges: Encodable {
    /// `record history --diff --json`: version, author, time, changes,
    /// withheld_rewritten, withheld_kept, withheld_added and withheld_removed
    /// (compartments the reader may not read that the version sealed anew,
    /// carried forward unchanged, added, or left out).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.put(version, "version")
        try c.put(author, "author")
        try c.time(timeMillis)
        try c.put(changes, "changes")
        try c.put(withheldRewritten.map(\.description), "withheld_rewritten")
        try c.put(withheldKept.map(\.description), "withheld_kept")
        try c.put(withheldAdded.map(\.description), "withheld_added")
        try c.put(withheldRemoved.map(\.description), "withheld_removed")
    }
}

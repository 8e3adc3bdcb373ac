/// One field's change between two versions of a record.
public struct FieldChange: Sendable, Equatable {
    /// The field's name.
    public let name: String
    /// Its compartment (in the newer version, or the older one when it went).
    public let compartment: Compartment
    /// Its value before; nil when the version added it.
    public let before: String?
    /// Its value after; nil when the version left it out.
    public let after: String?
}

/// What one version changed, as far as the reader's role can see.
public struct VersionChanges: Sendable {
    /// The version.
    public let version: UInt32
    /// Its author's handle.
    public let author: String
    /// When it was written (ms since 1970).
    public let timeMillis: UInt64
    /// Field by field, for the compartments the reader may read (empty for
    /// version 1: see `added`).
    public let changes: [FieldChange]
    /// Compartments the reader may not read that this version sealed anew
    /// (their content may or may not differ: the reader cannot tell).
    public let withheldRewritten: [Compartment]
    /// Compartments the reader may not read that this version carried
    /// forward unchanged.
    public let withheldKept: [Compartment]
    /// Compartments the reader may not read that this version holds and the
    /// one before did not (all of them in version 1).
    public let withheldAdded: [Compartment]
    /// Compartments the reader may not read that the version before held
    /// and this one does not.
    public let withheldRemoved: [Compartment]
}

extension Vault {
    /// Every version of a record with what it changed from the one before,
    /// field by field, for the compartments the reader's role may read; of
    /// the others only whether each was kept or written again (known from
    /// the log, without their keys). Reads every version, logged as one
    /// batch of reads.
    public func historyChanges(_ id: RecordID) throws -> [VersionChanges] {
        let record = try recordState(id, orElse: "record \(id)")
        _ = try role(in: record.group)
        let views = try record.versions.map { try readWithoutLogging(id, version: $0.version) }
        try logReads(views, verb: "read the history of")
        var out: [VersionChanges] = []
        for (index, (view, version)) in zip(views, record.versions).enumerated() {
            let previous = index > 0 ? views[index - 1] : nil
            let previousVersion = index > 0 ? record.versions[index - 1] : nil
            var rewritten: [Compartment] = [], kept: [Compartment] = [], added: [Compartment] = []
            for compartment in view.withheld {
                guard let previousVersion, previousVersion.compartments.contains(compartment) else {
                    added.append(compartment)
                    continue
                }
                if previousVersion.sealedVersion(of: compartment) == version.sealedVersion(of: compartment) {
                    kept.append(compartment)
                } else {
                    rewritten.append(compartment)
                }
            }
            let removed = (previous?.withheld ?? []).filter { !version.compartments.contains($0) }
            out.append(
                VersionChanges(
                    version: view.version, author: view.author, timeMillis: view.timeMillis,
                    changes: previous.map { Self.changes(from: $0.fields, to: view.fields) }
                        ?? view.fields.map {
                            FieldChange(name: $0.name, compartment: $0.compartment, before: nil, after: $0.value)
                        },
                    withheldRewritten: rewritten, withheldKept: kept, withheldAdded: added, withheldRemoved: removed))
        }
        return out
    }

    /// Field-by-field differences, matched by compartment and name, in the newer version's order, then removals.
    static func changes(from old: [RecordField], to new: [RecordField]) -> [FieldChange] {
        func key(_ field: RecordField) -> String { "\(field.compartment.rawValue):\(field.name)" }
        let before = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let after = Set(new.map(key))
        var out: [FieldChange] = []
        for field in new where before[key(field)]?.value != field.value {
            out.append(FieldChange(name: field.name, compartment: field.compartment, before: before[key(field)]?.value, after: field.value))
        }
        for field in old where !after.contains(key(field)) {
            out.append(FieldChange(name: field.name, compartment: field.compartment, before: field.value, after: nil))
        }
        return out
    }
}

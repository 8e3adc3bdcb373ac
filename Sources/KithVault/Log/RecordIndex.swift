/// Where the records of a resumed state come from: a client's resume
/// cache, read lazily, so a command loads only the records it touches.
/// Implementations answer as of `baseSize` entries (never newer), and
/// check what they read.
protocol RecordSource: AnyObject, Sendable {
    /// The log size the source answers for.
    var baseSize: UInt64 { get }
    /// One record, or nil.
    func record(_ id: RecordID) throws -> RecordState?
    /// Every record of a group.
    func records(in group: GroupID) throws -> [RecordState]
    /// Every record whose parent is `parent`.
    func children(of parent: RecordID) throws -> [RecordState]
    /// Every record (a copy to another engine; tests).
    func all() throws -> [RecordState]
    /// Every record whose id lies from `lower` to `upper`, both included
    /// (the records an id's first digits name).
    func records(from lower: RecordID, through upper: RecordID) throws -> [RecordState]
}

/// The records of a replayed log: those changed since the state was
/// resumed are held here; the rest are read lazily from the resume cache.
/// A state replayed from genesis holds every record itself.
public struct RecordIndex: Sendable {
    /// Records written since the base (all of them without a base), up to
    /// the last `settle()`.
    private var settled: [RecordID: RecordState] = [:]
    /// Records written since the last `settle()`, over `settled`. A commit
    /// applies its entries to a copy of the state: kept apart, they copy
    /// only themselves, not every record a long-lived process has seen.
    private var recent: [RecordID: RecordState] = [:]
    /// Ids changed since the last save to the resume cache.
    private(set) var unsaved: Set<RecordID> = []
    /// The lazily read records, or nil (everything is in `changed`).
    let base: RecordSource?
    /// Records per group, kept so that a lazily read listing can be checked for rows gone missing.
    private(set) var countByGroup: [GroupID: Int] = [:]

    init(base: RecordSource? = nil, countByGroup: [GroupID: Int] = [:]) {
        self.base = base
        self.countByGroup = countByGroup
    }

    /// Records written since the base (all of them without a base).
    var changed: [RecordID: RecordState] { settled.merging(recent) { _, newer in newer } }

    /// The record with this id, or nil.
    public func record(_ id: RecordID) throws -> RecordState? {
        if let record = recent[id] ?? settled[id] { return record }
        return try base?.record(id)
    }

    /// Every record of `group`, in no particular order.
    public func records(in group: GroupID) throws -> [RecordState] {
        try merged(base?.records(in: group) ?? []) { $0.group == group }
    }

    /// The notes or attachments of a case, in no particular order.
    public func children(of parent: RecordID) throws -> [RecordState] {
        try merged(base?.children(of: parent) ?? []) { $0.parent == parent }
    }

    /// Every record whose id lies from `lower` to `upper`, both included.
    public func records(from lower: RecordID, through upper: RecordID) throws -> [RecordState] {
        try merged(base?.records(from: lower, through: upper) ?? []) { !($0.id < lower) && !(upper < $0.id) }
    }

    /// Every record. Reads the whole cache: for copies and tests, not commands.
    public func all() throws -> [RecordState] {
        try merged(base?.all() ?? []) { _ in true }
    }

    /// How many records the group holds.
    public func count(in group: GroupID) -> Int { countByGroup[group] ?? 0 }

    private func merged(_ fromBase: [RecordState], _ belongs: (RecordState) -> Bool) -> [RecordState] {
        var result = fromBase.filter { recent[$0.id] == nil && settled[$0.id] == nil }
        result += settled.values.filter { recent[$0.id] == nil && belongs($0) }
        result += recent.values.filter(belongs)
        return result
    }

    /// Adds or replaces a record (replay).
    mutating func set(_ record: RecordState, isNew: Bool) {
        recent[record.id] = record
        unsaved.insert(record.id)
        if isNew { countByGroup[record.group, default: 0] += 1 }
        // A replay or a large batch folds as it goes, so lookups stay two.
        if recent.count >= 4096 { settle() }
    }

    /// Folds the recent records into the settled ones: in place, when this
    /// state is the only holder of them (a vault's own state between
    /// commits), so a commit's copy of the state stays small.
    mutating func settle() {
        guard !recent.isEmpty else { return }
        settled.merge(recent) { _, newer in newer }
        recent = [:]
    }

    /// The records changed since the last save, for the resume cache.
    var unsavedRecords: [RecordState] { unsaved.compactMap { recent[$0] ?? settled[$0] } }

    /// After a save: nothing is unsaved.
    mutating func markSaved() { unsaved = [] }
}

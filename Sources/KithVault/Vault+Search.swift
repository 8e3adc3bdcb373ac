import Foundation
import KithCrypto

/// One record a search found, checked against its decrypted content.
public struct SearchResult: Sendable, Encodable {
    /// The record's id.
    public let id: RecordID
    /// Its group's name.
    public let group: String
    /// Its kind.
    public let kind: RecordKind
    /// How well it matched.
    public let rank: SearchRank
    /// The fields that matched, by name.
    public let matched: [String]
    /// The record's searchable fields (name-like and contact fields the
    /// searcher may read), for telling two people of one name apart.
    public let fields: [RecordField]

    private enum CodingKeys: String, CodingKey { case id, group, kind, rank, matched, fields }

    /// Fields as an object of name to value, in the record's order of keys sorted.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.description, forKey: .id)
        try container.encode(group, forKey: .group)
        try container.encode(kind.description, forKey: .kind)
        try container.encode(rank, forKey: .rank)
        try container.encode(matched, forKey: .matched)
        try container.encode(Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), forKey: .fields)
    }
}

/// Records of a group newly added to the searcher's index (each such batch is logged).
public struct IndexedBatch: Sendable, Encodable {
    /// The group's name.
    public let group: String
    /// Record versions decrypted and indexed.
    public let records: Int
}

/// What a search returns.
public struct SearchOutcome: Sendable, Encodable {
    /// The best matches, best first, at most the limit asked for.
    public let results: [SearchResult]
    /// How many records were checked and matched. When `unchecked` is not
    /// 0, more may match, all less closely than those shown.
    public let total: Int
    /// Records the index offered that were not checked because enough closer
    /// matches were found first (0: `total` is every match).
    public let unchecked: Int
    /// True when more candidates came up than a search checks: type more of the name.
    public let tooMany: Bool
    /// Batches indexed first (the index follows the log as it grows).
    public let indexed: [IndexedBatch]

    private enum CodingKeys: String, CodingKey {
        case results, total, unchecked
        case tooMany = "too_many"
        case indexed
    }
}

extension Vault {
    /// The compartments search indexes (see `SearchRules`).
    static let searchableCompartments: Set<Compartment> = [.profile]

    /// The mask of compartments this user may read and search indexes in
    /// `group`; 0 when there is nothing to index (no role, or no such
    /// compartment readable).
    func searchMask(_ group: GroupID) -> UInt8 {
        guard let groupState = state.groups[group], let role = groupState.members[me] else { return 0 }
        return GroupPolicy.mask((groupState.policy.readable[role] ?? []).intersection(Self.searchableCompartments))
    }

    var searchIndexPath: String? { memory?.searchFile(fingerprint: state.fingerprint, user: me).path }

    /// The search rules of `group`'s policy.
    func searchRules(_ group: GroupID) -> SearchRules { SearchRules(state.groups[group]?.policy ?? .default) }

    /// What an index of `group` records about its rules (a change rebuilds it).
    func searchRulesDigest(_ group: GroupID) -> [UInt8] { SHA256.hash(searchRules(group).digest) }

    /// The index, opened once per vault (one key derivation through the agent).
    func searchIndex() throws -> SearchIndex {
        if let searchIndexHandle { return searchIndexHandle }
        let master = try holder.deriveKey(purpose: SearchIndex.keyPurpose, id: 1)
        let index = try SearchIndex.open(path: searchIndexPath, master: master, fingerprint: state.fingerprint, user: me)
        searchIndexHandle = index
        return index
    }

    /// Drops, at every open, the index of groups this user may no longer
    /// read as it was built (a revoked role, a policy that took profile
    /// away): a revoked user's index goes with their next command.
    func dropSearchIndexNoLongerReadable() {
        let found: [(GroupID, UInt8)]?
        if let handle = searchIndexHandle {
            found = handle.indexedGroups
        } else if let path = searchIndexPath {
            found = SearchIndex.indexedGroups(path: path)
        } else {
            return
        }
        guard let indexed = found else { return }
        let lost = indexed.filter { group, mask in mask == 0 || searchMask(group) != mask }.map(\.0)
        guard !lost.isEmpty else { return }
        do {
            if let handle = searchIndexHandle {
                for group in lost { try handle.drop(group: group) }
            } else if let path = searchIndexPath {
                try SearchIndex.drop(groups: lost, path: path)
            }
        } catch {
            // An index that cannot be trimmed goes whole.
            resetSearchIndex()
        }
    }

    /// Drops the search index of every group with an erasure at or after
    /// log position `since` (one this vault has just read or written): the
    /// index must not keep even the hashed terms of records that are gone.
    /// The next search builds the group again without them. Called before
    /// the resume cache moves past the erasure, so a process killed first
    /// sees the erasure as new again and drops it then.
    func dropSearchIndex(ofGroupsErasedSince since: UInt64) {
        let erased = state.groups.values.compactMap { group in group.lastErasureAt.map { $0 >= since ? group.id : nil } ?? nil }
        guard !erased.isEmpty else { return }
        do {
            if let handle = searchIndexHandle {
                for group in erased { try handle.drop(group: group) }
            } else if let path = searchIndexPath, FileManager.default.fileExists(atPath: path) {
                try SearchIndex.drop(groups: erased, path: path)
            }
        } catch {
            // An index that cannot be trimmed goes whole.
            resetSearchIndex()
        }
    }

    // MARK: Searching

    /// Finds records of `groupName` (nil: every group this user can search)
    /// matching `query`, best first, at most `limit` of them; only `kind`
    /// when given. The index is brought up to date first (each batch of
    /// records decrypted for it is logged), every candidate is checked
    /// against its decrypted record, and the search itself is logged with
    /// the query and the number of results sealed to auditors. Opening a
    /// result is a read like any other.
    public func search(_ query: SearchQuery, groupName: String? = nil, kind: RecordKind? = nil, limit: Int = 20) throws -> SearchOutcome {
        try refresh()
        // A long-lived vault (the agent, a web interface) drops what it may no longer read here too, not only at open.
        if searchIndexHandle != nil { dropSearchIndexNoLongerReadable() }
        let groups = try searchableGroups(groupName)
        try query.checkFields(groups.map(searchRules))
        do {
            return try search(query, groups: groups, kind: kind, limit: limit, index: searchIndex())
        } catch is SearchIndexUnreadable {
            // A file SQLite cannot read is started again, once.
            resetSearchIndex()
            return try search(query, groups: groups, kind: kind, limit: limit, index: searchIndex())
        }
    }

    /// Forgets the open index and removes its file (the next use builds it again).
    func resetSearchIndex() {
        searchIndexHandle = nil
        if let path = searchIndexPath { SearchIndex.removeFiles(path) }
    }

    private func search(_ query: SearchQuery, groups: [GroupID], kind: RecordKind?, limit: Int, index: SearchIndex) throws -> SearchOutcome {
        var indexed = try bringUpToDate(groups, index: index)
        var results: [SearchResult] = []
        var tooMany = false
        var checked = 0
        var unchecked = 0
        for group in groups {
            let found = try matches(query, group: group, kind: kind, index: index, enough: max(1, limit), checked: &checked, indexed: &indexed)
            results += found.results
            tooMany = tooMany || found.tooMany
            unchecked += found.unchecked
        }
        // Best first; within a rank by the first searchable value as search folds it (keys made once, not per comparison).
        let keyed = results.map { ($0, $0.fields.first.map { SearchText.normalise($0.value) } ?? "", $0.id.description) }
        results = keyed.sorted { ($0.0.rank, $0.1, $0.2) < ($1.0.rank, $1.1, $1.2) }.map(\.0)
        let shown = Array(results.prefix(max(0, limit)))
        try logSearch(query, groups: groups, total: results.count, shown: shown)
        return SearchOutcome(results: shown, total: results.count, unchecked: unchecked, tooMany: tooMany, indexed: indexed)
    }

    /// The checked matches of `query` in `group` (an index brought up to
    /// date), unsorted; `checked` counts candidates decrypted across calls,
    /// up to `searchCandidateLimit`. A part of the index that fails its
    /// check has that group's index built again (`indexed` hears of it).
    func matches(
        _ query: SearchQuery, group: GroupID, kind: RecordKind?, index: SearchIndex, enough: Int = .max, checked: inout Int, indexed: inout [IndexedBatch]
    ) throws -> (results: [SearchResult], tooMany: Bool, unchecked: Int) {
        let before = checked
        do { return try matchesOnce(query, group: group, kind: kind, index: index, enough: enough, checked: &checked) } catch is SearchIndexDamaged {
            checked = before
            try index.drop(group: group)
            indexed += try bringUpToDate([group], index: index)
            return try matchesOnce(query, group: group, kind: kind, index: index, enough: enough, checked: &checked)
        }
    }

    /// `matches` on the index as it is; throws `SearchIndexDamaged` for a part that fails its check.
    private func matchesOnce(
        _ query: SearchQuery, group: GroupID, kind: RecordKind?, index: SearchIndex, enough: Int, checked: inout Int
    ) throws -> (results: [SearchResult], tooMany: Bool, unchecked: Int) {
        let (tiers, manifest) = try self.candidates(query, group: group, index: index)
        guard let manifest else { return ([], false, 0) }
        let ids = index.ids(group: group, manifest: manifest)
        // An id numbered twice (a record indexed again after an update) is checked in its first tier only.
        var seen = Set<RecordID>()
        // Field names repeat in every record: each is looked up once.
        let rules = searchRules(group)
        var modes: [String: FieldSearchMode?] = [:]
        var results: [(SearchResult, DeferredSignature?)] = []
        var tooMany = false
        var unchecked = 0
        // Tiers stand for ranks only for a query of one part; a query of several is checked whole.
        let enough = tiers.count > 1 ? enough : .max
        var verified = 0
        candidates: for (number, tier) in tiers.enumerated() {
            for (position, ordinal) in tier.enumerated() {
                // Once there are `enough` of this tier's rank or better, what is left of it can only rank with
                // the last of them, and the later tiers below them. Counted only once their signatures hold, so
                // forged records cannot use up the limit.
                if results.filter({ $0.0.rank.rawValue <= number }).count >= enough {
                    let holds = Self.checkSignatures(results[verified...].map(\.1))
                    results = Array(results[..<verified]) + zip(results[verified...], holds).filter(\.1).map(\.0)
                    verified = results.count
                    if results.filter({ $0.0.rank.rawValue <= number }).count >= enough {
                        unchecked = tier.count - position + tiers[(number + 1)...].reduce(0) { $0 + $1.count }
                        break candidates
                    }
                }
                let id = try ids.id(ordinal)
                guard seen.insert(id).inserted, let record = try state.records.record(id), !record.isErased, kind.map({ $0 == record.kind }) ?? true else {
                    continue
                }
                guard checked < searchCandidateLimit else {
                    tooMany = true
                    break candidates
                }
                checked += 1
                // A record that fails its checks is never a result (reading it says why). Only the
                // compartments search looks at are opened; the signatures of the matches are checked below.
                let opened: (view: RecordView, signature: DeferredSignature?)
                do { opened = try openRecord(id, version: nil, only: Self.searchableCompartments, deferSignature: true, known: record) } catch let error
                    as KithVaultError where Self.failsItsChecks(error)
                {
                    continue
                }
                let (view, signature) = opened
                let prepared = view.fields.compactMap { field -> SearchMatcher.Prepared? in
                    guard field.compartment == .profile else { return nil }
                    if modes[field.name] == nil { modes[field.name] = .some(rules.mode(for: field)) }
                    return SearchMatcher.Prepared(field, mode: modes[field.name] ?? nil)
                }
                guard let match = SearchMatcher.match(query, prepared: prepared) else { continue }
                let shown = Set(prepared.map(\.name))
                results.append(
                    (
                        SearchResult(id: id, group: view.group, kind: view.kind, rank: match.rank, matched: match.fields, fields: view.fields.filter { shown.contains($0.name) }),
                        signature
                    ))
            }
        }
        // Every match's author signature, as a read checks it, on every core: a forged record is never shown.
        let holds = Self.checkSignatures(results[verified...].map(\.1))
        let shown = Array(results[..<verified]) + zip(results[verified...], holds).filter(\.1).map(\.0)
        return (shown.map(\.0), tooMany, unchecked)
    }

    /// Whether `error` says the record itself fails a read's checks (it is
    /// then no result and no term), rather than that reading failed (the
    /// store, the agent): those are the caller's to hear.
    static func failsItsChecks(_ error: KithVaultError) -> Bool {
        [.integrity, .invalidEntry, .notFound].contains(error.code)
    }

    /// Whether each signature holds (nil: none to check), checked across cores.
    static func checkSignatures(_ signatures: [DeferredSignature?]) -> [Bool] {
        guard signatures.count > 4 else { return signatures.map { $0?.holds ?? true } }
        let results = CheckedSignatures(count: signatures.count)
        DispatchQueue.concurrentPerform(iterations: signatures.count) { index in results.set(index, signatures[index]?.holds ?? true) }
        return results.all
    }

    /// The groups a search covers.
    private func searchableGroups(_ groupName: String?) throws -> [GroupID] {
        if let groupName {
            let group = try self.group(named: groupName)
            let role = try role(in: group.id)
            guard searchMask(group.id) != 0 else {
                throw KithVaultError.accessDenied("as \(role) of \(group.name) you may not read profile fields, so there is nothing you can search there")
            }
            return [group.id]
        }
        let groups = state.groups.keys.filter { searchMask($0) != 0 }.sorted { $0.description < $1.description }
        guard !groups.isEmpty else { throw KithVaultError.accessDenied("you have no role in a group whose profiles you may read, so there is nothing to search") }
        return groups
    }

    /// The records the index holds under the query's terms in `group`, in
    /// tiers to check in turn. For a query of one part: those matching it
    /// whole (or by phone number), then those holding every word, then
    /// every word or its start, then the rest (typos): a record's newest
    /// version is in the tier of its rank or an earlier one, so once a tier
    /// is checked, every record of that rank or better has been, and a tier
    /// left part-checked holds nothing better than what was found in it. A query of
    /// several parts is one tier: those matching every part. Tiers hold
    /// ordinals, lowest first: only those checked are turned into ids.
    private func candidates(_ query: SearchQuery, group: GroupID, index: SearchIndex) throws -> (tiers: [[UInt32]], manifest: IndexManifest?) {
        guard let manifest = try index.manifest(group) else { return ([], nil) }
        var hashes = Set<UInt64>()
        struct Plan {
            var whole: [UInt64]
            /// Per word: its exact, prefix and typo terms.
            var words: [(exact: [UInt64], prefix: [UInt64], typo: [UInt64])]
        }
        var plans: [Plan] = []
        for condition in query.conditions {
            var whole = [try index.hash(IndexTerm(kind: .whole, text: SearchTerms.whole(condition.words)))]
            if let phone = condition.phoneOnly { whole.append(try index.hash(IndexTerm(kind: .phone, text: phone))) }
            var words: [(exact: [UInt64], prefix: [UInt64], typo: [UInt64])] = []
            for word in condition.words {
                var terms: (exact: [UInt64], prefix: [UInt64], typo: [UInt64]) = ([], [], [])
                for term in SearchTerms.lookups(word: word) {
                    let hash = try index.hash(term)
                    if term.kind == .word && term.text == word {
                        terms.exact.append(hash)
                    } else if term.kind == .prefix {
                        terms.prefix.append(hash)
                    } else {
                        terms.typo.append(hash)
                    }
                }
                words.append(terms)
            }
            hashes.formUnion(whole)
            for terms in words { hashes.formUnion(terms.exact + terms.prefix + terms.typo) }
            plans.append(Plan(whole: whole, words: words))
        }
        // A word under half the records or more (an e-mail's "org", "example") narrows little, and its lists
        // are the longest to decode: unless it is its part's rarest word, it is left undecoded and counts as
        // held by every record. Every candidate is checked against its record, so this only widens the
        // candidates, at most about twofold, and a record's tier can only come earlier than its rank, never later.
        let bound = manifest.ordinals
        var (found, deferred) = try index.lookup(group: group, manifest: manifest, hashes: hashes, deferringAbove: max(Int(bound) / 2, searchCommonListBytes))
        var skipped: [[Bool]] = []
        var wanted = Set<UInt64>()
        for plan in plans {
            let totals = plan.words.map { terms in (terms.exact + terms.prefix + terms.typo).reduce(0) { $0 + (deferred[$1] ?? found[$1]?.count ?? 0) } }
            let rarest = totals.indices.min { totals[$0] < totals[$1] }
            let skips = plan.words.indices.map { word in word != rarest && (plan.words[word].exact + plan.words[word].prefix + plan.words[word].typo).contains { deferred[$0] != nil } }
            skipped.append(skips)
            wanted.formUnion(plan.whole.filter { deferred[$0] != nil })
            for (terms, skip) in zip(plan.words, skips) where !skip { wanted.formUnion((terms.exact + terms.prefix + terms.typo).filter { deferred[$0] != nil }) }
        }
        // What is needed after all (a rarest word, a whole value many share) is decoded now.
        if !wanted.isEmpty { found.merge(try index.lookup(group: group, manifest: manifest, hashes: wanted)) { $1 } }
        var inRange = true
        /// The ordinals under any of `hashes`, added to `set`.
        func adding(_ hashes: [UInt64], to set: OrdinalSet) -> OrdinalSet {
            var set = set
            for hash in hashes { if let list = found[hash], !set.insert(list) { inRange = false } }
            return set
        }
        let none = OrdinalSet(bound: bound)
        // Per word, each wider than the last: the word itself; it or a word it starts; any of those or a typo.
        let sets = zip(plans, skipped).map { plan, skipped in
            zip(plan.words, skipped).filter { !$0.1 }.map(\.0).map { terms in
                let exact = adding(terms.exact, to: none)
                let started = adding(terms.prefix, to: exact)
                return (exact: exact, started: started, any: adding(terms.typo, to: started))
            }
        }
        var tiers: [OrdinalSet]
        if plans.count == 1, let plan = plans.first, let words = sets.first {
            let whole = adding(plan.whole, to: none)
            var exact = OrdinalSet.common(words.map(\.exact), bound: bound)
            exact.subtract(whole)
            var prefix = OrdinalSet.common(words.map(\.started), bound: bound)
            prefix.subtract(whole)
            prefix.subtract(exact)
            var typo = OrdinalSet.common(words.map(\.any), bound: bound)
            typo.subtract(whole)
            typo.subtract(exact)
            typo.subtract(prefix)
            tiers = [whole, exact, prefix, typo]
        } else {
            var all: OrdinalSet?
            for (plan, words) in zip(plans, sets) {
                var matching = adding(plan.whole, to: none)
                matching.formUnion(OrdinalSet.common(words.map(\.any), bound: bound))
                if all == nil { all = matching } else { all?.formIntersection(matching) }
            }
            tiers = [all ?? none]
        }
        // A posting past the ordinals the manifest numbers contradicts it: the group's index is built again.
        guard inRange else { throw SearchIndexDamaged() }
        return (tiers.map(\.ordinals), manifest)
    }

    private func logSearch(_ query: SearchQuery, groups: [GroupID], total: Int, shown: [SearchResult]) throws {
        try commit { _ in
            [
                PendingEntry(
                    body: .searched(groups: groups),
                    details: [
                        ("action", "searched"), ("query", query.description), ("results", "\(total)"),
                        ("shown", shown.map(\.id.description).joined(separator: ", ")),
                    ] + reasonDetail)
            ]
        }
    }

    // MARK: Indexing

    /// Brings the index of `groups` up to the log's head: a group never
    /// indexed (or whose index failed a check, or was built for other
    /// rights) is indexed whole; otherwise the record versions written
    /// since. The batches are logged before anything is kept.
    func bringUpToDate(_ groups: [GroupID], index: SearchIndex) throws -> [IndexedBatch] {
        let head = state.count
        var work: [(group: GroupID, fresh: Bool, records: [(RecordID, [UInt64])], decrypted: Int, mask: UInt8, rules: [UInt8])] = []
        for group in groups {
            let mask = searchMask(group)
            var manifest: IndexManifest?
            // A manifest that fails its check means a fresh build; SQLite's own refusals go up (the file is started again).
            do { manifest = try index.manifest(group) } catch is SearchIndexDamaged { manifest = nil }
            let rules = searchRulesDigest(group)
            // Entries past the index's place this vault read already and found nothing in count as read.
            let reached = max(manifest?.through ?? 0, manifest.map { _ in searchCaughtUp[group] ?? 0 } ?? 0)
            // An erasure the index predates means a fresh build: its buckets cannot lose single records.
            let erasedSince = state.groups[group]?.lastErasureAt.map { $0 >= (manifest?.through ?? 0) } ?? false
            if let current = manifest, current.readable == mask, current.rules == rules, reached >= head, !erasedSince { continue }
            let fresh = manifest?.readable != mask || manifest?.rules != rules || erasedSince
            let (records, decrypted) = try indexTerms(group: group, since: fresh ? nil : reached, head: head, index: index)
            // Nothing to add and only a few entries behind (searches, reads): not worth a write to the index;
            // this vault remembers how far it read, and another process reads them again.
            if !fresh, records.isEmpty, decrypted == 0, let current = manifest, head - current.through < 64 {
                searchCaughtUp[group] = head
                continue
            }
            work.append((group, fresh, records, decrypted, mask, rules))
        }
        let logged = work.filter { $0.decrypted > 0 }
        if !logged.isEmpty {
            try commit { _ in
                logged.map { item in
                    PendingEntry(
                        body: .recordsIndexed(group: item.group, records: UInt32(clamping: item.decrypted)),
                        details: [("action", "indexed \(item.decrypted) records for search"), ("group", groupName(item.group))])
                }
            }
        }
        for item in work {
            // What was indexed under rights or rules that changed meanwhile (the commit read the log again) is not kept.
            // Nor what an erasure that arrived meanwhile took: the terms were gathered before it.
            let erasedMeanwhile = state.groups[item.group]?.lastErasureAt.map { $0 >= head } ?? false
            guard searchMask(item.group) == item.mask, searchRulesDigest(item.group) == item.rules, item.mask != 0, !erasedMeanwhile else {
                try index.drop(group: item.group)
                continue
            }
            do {
                try index.add(group: item.group, records: item.records, through: head, readable: item.mask, rules: item.rules, fresh: item.fresh)
            } catch is SearchIndexDamaged {
                // Only what was added since is in hand: the group starts again, whole, with its own logged batch.
                try index.drop(group: item.group)
                return try bringUpToDate(groups, index: index)
            }
        }
        return logged.map { IndexedBatch(group: groupName($0.group), records: $0.decrypted) }
    }

    /// The terms of `group`'s record versions written by entries from
    /// `since` to `head` (nil: every record's newest version), and how many
    /// versions were decrypted. Nothing the store lists is taken on trust:
    /// each version indexed is one the verified log wrote, with the content
    /// hash the log commits to, and one the store leaves out of a listing (or
    /// files under another group) is fetched by its id. A version that fails
    /// its checks is left out: search only ever shows what a full read checks.
    private func indexTerms(group: GroupID, since: UInt64?, head: UInt64, index: SearchIndex) throws -> ([(RecordID, [UInt64])], Int) {
        var found: [(RecordID, [(value: String, mode: FieldSearchMode)])] = []
        var decrypted = 0
        // Field names repeat in every record: each is looked up once.
        var modes: [String: FieldSearchMode?] = [:]
        let rules = searchRules(group)
        let mask = searchMask(group)
        func take(_ body: [UInt8], id: RecordID, version: UInt32, contentHash: [UInt8]) throws {
            guard let stored = try? StoredRecord.decode(body), stored.id == id, stored.version == version, stored.group == group,
                stored.contentHash == contentHash
            else { return }
            let parts = stored.parts.filter { GroupPolicy.mask([$0.compartment]) & mask != 0 }
            guard !parts.isEmpty else { return }
            decrypted += 1
            var searched: [(value: String, mode: FieldSearchMode)] = []
            for part in parts {
                let fields: [RecordField]
                do { fields = try openPart(part, record: stored, label: "record \(stored.id)") } catch let error as KithVaultError where Self.failsItsChecks(error) {
                    return
                }
                for field in fields {
                    let mode: FieldSearchMode?
                    if let known = modes[field.name] {
                        mode = known
                    } else {
                        mode = rules.mode(for: field)
                        modes[field.name] = mode
                    }
                    if let mode { searched.append((field.value, mode)) }
                }
            }
            if !searched.isEmpty { found.append((stored.id, searched)) }
        }
        func fetch(_ id: RecordID, _ version: UInt32, _ contentHash: [UInt8]) throws {
            if let body = try store.record(id, version: version) { try take(body, id: id, version: version, contentHash: contentHash) }
        }
        if let since {
            // The versions the log's own entries wrote since: read again, they must chain to the head this vault verified.
            for entry in try verifiedEntries(from: since, to: head) {
                guard case .recordWritten(let id, let version, let written, _, _, _, _, let contentHash) = entry.body, written == group else { continue }
                try fetch(id, version, contentHash)
            }
        } else {
            // Every record the log holds in the group, at its newest version.
            var newest: [RecordID: VersionState] = [:]
            for record in try state.records.records(in: group) where !record.isErased { newest[record.id] = record.versions.last }
            var taken = Set<RecordID>()
            var after: (id: RecordID, version: UInt32)?
            while true {
                let page = try store.recordPage(group: group, after: after, limit: 1000)
                for row in page {
                    guard let expected = newest[row.recordID], expected.version == row.version, !taken.contains(row.recordID) else { continue }
                    taken.insert(row.recordID)
                    try take(row.body, id: row.recordID, version: row.version, contentHash: expected.contentHash)
                }
                guard let last = page.last else { break }
                after = (last.recordID, last.version)
            }
            // What the listing left out, or filed elsewhere, is asked for by its id.
            for (id, expected) in newest where !taken.contains(id) { try fetch(id, expected.version, expected.contentHash) }
        }
        // Hashed after decryption, on every core.
        let hashed = try index.hashes(ofRecords: found.map(\.1))
        return (zip(found.map(\.0), hashed).filter { !$0.1.isEmpty }.map { ($0.0, $0.1) }, decrypted)
    }

    /// The log's entries `from..<to` read again from the store, checked to
    /// chain to this vault's verified head (so `to` is its size): a store
    /// that answers differently the second time is an integrity failure.
    private func verifiedEntries(from: UInt64, to: UInt64) throws -> [LogEntry] {
        guard from < to else { return [] }
        guard to == state.count else { throw KithVaultError.integrity("the search index caught up to a log size this client has not verified") }
        var entries: [LogEntry] = []
        var next = from
        while next < to {
            let page = try store.entries(from: next, limit: Int(min(5000, to - next)))
            guard !page.isEmpty else { throw KithVaultError.integrity("the store no longer has log entries \(next) to \(to - 1)") }
            for bytes in page {
                let entry = try LogEntry.decode(bytes)
                if let previous = entries.last, entry.previousHash != previous.hash {
                    throw KithVaultError.integrity("log entry \(entry.seq), read again for the search index, does not chain to the one before")
                }
                guard entry.seq == next else { throw KithVaultError.integrity("the store returned log entry \(entry.seq) for \(next)") }
                entries.append(entry)
                next += 1
            }
        }
        guard entries.last?.hash == state.headHash else {
            throw KithVaultError.integrity("the log entries read again for the search index do not end at the head this client verified")
        }
        return entries
    }

    /// Adds what this user just wrote to their index (they hold the
    /// plaintext already: nothing is decrypted, nothing more is logged),
    /// when the group's index reached exactly the log size the write was
    /// built on; otherwise the next search catches up from the log.
    func indexOwnWrite(group: GroupID, drafts: [RecordDraft], builtOn base: UInt64) {
        let started = Date()
        defer { ownWriteIndexingSeconds += Date().timeIntervalSince(started) }
        let mask = searchMask(group)
        guard mask != 0, searchIndexHandle != nil || searchIndexPath.map({ FileManager.default.fileExists(atPath: $0) }) == true else { return }
        do {
            let index = try searchIndex()
            let rules = searchRules(group)
            guard let manifest = try index.manifest(group), manifest.readable == mask, manifest.rules == searchRulesDigest(group), manifest.through <= base else {
                return
            }
            // Only onto an index that holds every record version written before this one (searches and
            // reads since it was brought up to date write none): asked of the log's own entries, not the store's listing.
            if manifest.through < base {
                guard state.count - manifest.through <= 1000 else { return }
                let gap = try verifiedEntries(from: manifest.through, to: state.count).prefix(Int(base - manifest.through))
                let written = gap.contains { entry in
                    if case .recordWritten(_, _, let other, _, _, _, _, _) = entry.body { return other == group }
                    return false
                }
                guard !written else { return }
            }
            let records = try drafts.compactMap { draft -> (RecordID, [UInt64])? in
                let searched = draft.fields.filter { GroupPolicy.mask([$0.compartment]) & mask != 0 }.compactMap { field in
                    rules.mode(for: field).map { (value: field.value, mode: $0) }
                }
                let hashes = try index.hashes(searched)
                return hashes.isEmpty ? nil : (draft.id, hashes)
            }
            try index.add(group: group, records: records, through: state.count, readable: mask, rules: manifest.rules, fresh: false)
        } catch is SearchIndexUnreadable {
            resetSearchIndex()
        } catch {
            // The index is a cache of the log: a damaged one is built again by the next search.
            try? searchIndexHandle?.drop(group: group)
        }
    }
}

/// The outcome of each signature check, written from several threads.
private final class CheckedSignatures: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var holds: [Bool]

    init(count: Int) { holds = Array(repeating: false, count: count) }

    func set(_ index: Int, _ value: Bool) { lock.withLock { holds[index] = value } }

    var all: [Bool] { lock.withLock { holds } }
}

import Foundation
import KithLog
import KithVault

/// Every decoder of bytes that can reach Kith from outside: from the store,
/// from a file a person was handed, from this device's caches, or from a
/// local process on the agent's socket. `make fuzz` runs each under
/// libFuzzer with AddressSanitizer (`Fuzz/`); `make test` replays the
/// committed corpus and a short deterministic mutation run through the same
/// checks (`FuzzSmokeTests`).
///
/// A check never traps: it returns a ``FuzzFinding`` for a broken property,
/// and the caller (the libFuzzer entry point, or a test) decides what a
/// finding does. A decoder that refuses its input with an error is working.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A log entry as the store hands it back (`LogEntry.decode`).
    case logEntry = "log-entry"
    /// One entry body, its type in the first byte (policies, grants, recovery...).
    case entryBody = "entry-body"
    /// A stored record and its parts.
    case storedRecord = "stored-record"
    /// An identity keyfile (`.kithid`).
    case keyfile
    /// An enrolment request file.
    case enrolment
    /// A C2SP checkpoint, alone or inside a signed note.
    case checkpoint
    /// A signed note with its signature lines.
    case signedNote = "signed-note"
    /// A tlog proof in its text form.
    case tlogProof = "tlog-proof"
    /// Inclusion and consistency proofs in JSON, chosen by the first byte.
    case proofJSON = "proof-json"
    /// A policy file for `kith policy set`.
    case policyJSON = "policy-json"
    /// A verifier's key file for `kith audit verify-proof`.
    case verifierKeys = "verifier-keys"
    /// A CSV file for `kith import`, from bytes to the import plan.
    case csvImport = "csv-import"
    /// The resume cache's state and record rows, chosen by the first byte.
    case resumeCache = "resume-cache"
    /// The search index's manifest, counters and buckets, chosen by the first byte.
    case searchIndex = "search-index"
    /// Requests on the unlock agent's socket.
    case agentWire = "agent-wire"
    /// Short texts people type: record ids, fingerprints, field assignments, search lines.
    case typedText = "typed-text"

    /// The longest input worth trying (libFuzzer's `-max_len`).
    public var maximumLength: Int {
        switch self {
        case .csvImport, .resumeCache, .searchIndex, .logEntry, .entryBody, .storedRecord: 1 << 16
        case .agentWire: 1 << 14
        default: 1 << 13
        }
    }

    /// Runs the decoder on `bytes`: refused, accepted with every property
    /// holding, or a finding.
    public func check(_ bytes: [UInt8]) -> FuzzOutcome {
        do {
            guard let broken = try run(bytes) else { return .accepted }
            return .finding(FuzzFinding(target: self, problem: broken))
        } catch {
            return .refused
        }
    }

    private func run(_ bytes: [UInt8]) throws -> String? {
        switch self {
        case .logEntry: return try DecoderEntryPoints.logEntry(bytes)
        case .entryBody: return try DecoderEntryPoints.entryBody(bytes)
        case .storedRecord: return try DecoderEntryPoints.storedRecord(bytes)
        case .keyfile:
            _ = try IdentityKeyfile.parse(bytes)
            return nil
        case .enrolment:
            _ = try EnrollmentRequest.parse(bytes)
            return nil
        case .checkpoint:
            guard let text = Self.text(bytes) else { throw NotText() }
            let read = try Checkpoint.read(noteOrText: text)
            let again = try Checkpoint(text: read.checkpoint.text)
            return again.text == read.checkpoint.text ? nil : "a checkpoint does not re-encode to itself"
        case .signedNote:
            guard let text = Self.text(bytes) else { throw NotText() }
            let note = try SignedNote(parsing: text)
            return note.encoded == text ? nil : "a signed note does not re-encode to the text it was parsed from"
        case .tlogProof:
            guard let text = Self.text(bytes) else { throw NotText() }
            let proof = try TlogProof(parsing: text)
            return try TlogProof(parsing: proof.text).text == proof.text ? nil : "a tlog proof's text form does not parse back to itself"
        case .proofJSON:
            guard let first = bytes.first else { return nil }
            let rest = Array(bytes.dropFirst())
            if first & 1 == 0 { _ = try InclusionProof(json: rest) } else { _ = try ConsistencyProof(json: rest) }
            return nil
        case .policyJSON:
            _ = try GroupPolicy(json: Data(bytes))
            return nil
        case .verifierKeys:
            guard let text = Self.text(bytes) else { throw NotText() }
            _ = try VerifierKeys.parse(text)
            return nil
        case .csvImport:
            guard let first = bytes.first else { return nil }
            let kind = RecordKind.allCases[Int(first) % RecordKind.allCases.count]
            _ = try DecoderEntryPoints.csvText(Array(bytes.dropFirst()))
            let plan = try ImportPlan.make(csv: Data(bytes.dropFirst()), kind: kind)
            return plan.rows.count + plan.rejected.count <= bytes.count ? nil : "an import plan has more rows than its file has bytes"
        case .resumeCache:
            guard let first = bytes.first else { return nil }
            let rest = Array(bytes.dropFirst())
            return first & 1 == 0 ? try DecoderEntryPoints.snapshot(rest) : try DecoderEntryPoints.snapshotRow(rest)
        case .searchIndex: return try DecoderEntryPoints.searchIndex(bytes)
        case .agentWire:
            guard bytes.count <= DecoderEntryPoints.agentRequestLimit else { return nil }
            return try DecoderEntryPoints.agentRequests(bytes)
        case .typedText:
            guard let text = Self.text(bytes) else { throw NotText() }
            return Self.typed(text)
        }
    }

    /// Every parser of a short typed text, each allowed to refuse it.
    private static func typed(_ text: String) -> String? {
        _ = try? RecordID(parsing: text)
        _ = try? Fingerprint.parse(text)
        for kind in RecordKind.allCases { _ = try? RecordField.parse(text, kind: kind) }
        _ = try? SearchQuery.parse(line: text)
        _ = try? Vault.checkRecordIDText(text)
        let shown = VisibleText.safe(text)
        return shown.unicodeScalars.contains(where: VisibleText.isNeutralised) ? "VisibleText.safe left a control or bidi character" : nil
    }

    /// Thrown for bytes a text decoder never sees (Kith reads text files as strict UTF-8).
    private struct NotText: Error {}

    /// The bytes as strict UTF-8, as Kith reads text files; nil when they are not.
    private static func text(_ bytes: [UInt8]) -> String? { String(validating: bytes, as: UTF8.self) }
}

/// What one input did.
public enum FuzzOutcome: Equatable, Sendable {
    /// The decoder refused it with an error (working as meant).
    case refused
    /// It decoded, and every property checked held.
    case accepted
    /// A property broke.
    case finding(FuzzFinding)
}

/// A property that did not hold for an input.
public struct FuzzFinding: Error, Equatable, CustomStringConvertible, Sendable {
    /// Which decoder.
    public let target: FuzzTarget
    /// What broke.
    public let problem: String

    /// One line for a crash report.
    public var description: String { "\(target.rawValue): \(problem)" }
}

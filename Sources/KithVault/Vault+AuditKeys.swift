import KithCrypto

/// The audit key pair held by reference (an auditor's client opens it once).
final class AuditKeyBox: @unchecked Sendable {
    // @unchecked: immutable after init.
    let pair: BoxKeyPair
    init(_ pair: consuming BoxKeyPair) { self.pair = pair }
}

/// What `shareAuditKey` did.
public enum AuditKeyShare: Equatable, Sendable {
    /// Nothing to do: every auditor holds the audit key.
    case upToDate
    /// This auditor made the vault's audit key (and holds it).
    case made
    /// This auditor sealed the audit key to auditors who lacked it.
    case sealed(to: [String])
    /// The audit key exists but nobody has sealed it to this auditor yet.
    case waitingForAnotherAuditor
    /// Auditors who lack the key were not confirmed, so nothing was sealed to them (their handles).
    case awaitingConfirmation([String])
}

/// An auditor who does not hold the audit key yet, as shown to the auditor
/// who would seal it to them: to be compared with what they read out.
public struct AuditorAwaitingKey: Sendable {
    /// Who they are (handle, key fingerprint).
    public let user: UserInfo
    /// The handle of the admin who enrolled them.
    public let enrolledBy: String
}

/// How entry details reach auditors.
///
/// Each writer seals their entries' details under their own detail key,
/// derived from their identity (no public-key operation per entry). The
/// first auditor makes the vault's audit key, an X25519 key pair whose
/// secret is sealed to auditors only; each writer's client seals its
/// detail key to that public key once, with its next write. An auditor
/// opens the audit key, then every writer's detail key, then the details:
/// the past included. An auditor enrolled later receives the audit key
/// from any auditor who holds it (`shareAuditKey`, logged).
///
/// Removing an auditor from the vault ends the audit epoch: the next key is
/// made by a remaining auditor (`shareAuditKey`), writers seal a new detail
/// key (derived per epoch) to it, and the removed auditor, who holds only
/// the old keys, opens nothing written after. An auditor who holds both
/// keys chains the old secret to the new key, so auditors enrolled later
/// read the past too.
extension Vault {
    /// The entry sealing this writer's detail key to the audit key, when
    /// the audit key exists and this writer has not done it in this epoch.
    func detailKeyEntryIfNeeded(_ state: VaultState) throws -> PendingEntry? {
        guard let auditKey = state.auditKey, state.detailKeys[me] == nil else { return nil }
        let sealed = try SealedBox.seal(detailKey(epoch: state.auditEpoch).key, to: auditKey)
        return PendingEntry(body: .detailKeySealed(sealed: sealed), details: [])
    }

    /// The other auditors who lack the audit key of this epoch.
    public func auditorsAwaitingKey() throws -> [AuditorAwaitingKey] {
        try state.usersInOrder.filter { $0.role == .auditor && $0.isActive && $0.identity.userID != me && state.auditKeyEnvelopes[$0.identity.userID] == nil }
            .map { user in
                let enrolment = try store.entry(at: user.enrolledAt).map { try LogEntry.decode($0).actor }
                return AuditorAwaitingKey(
                    user: UserInfo(id: user.identity.userID, handle: try openHandle(of: user), role: user.role, fingerprint: user.identity.fingerprint, removed: false),
                    enrolledBy: enrolment.map { handle(of: $0) } ?? "an admin")
            }
    }

    /// As an auditor: makes the vault's audit key if there is none (in this
    /// epoch), or seals it to the auditors who lack it, and chains the
    /// previous epoch's key to it when nobody has yet. Logged either way.
    ///
    /// The key reaches another auditor only when `confirm` says yes to them
    /// (the person compared the fingerprint with what that auditor reads
    /// out): an admin could enrol a second identity of their own as auditor,
    /// and must not receive every audit detail silently. Unconfirmed, they
    /// wait (`.awaitingConfirmation`) for this or another auditor.
    @discardableResult
    public func shareAuditKey(confirm: (AuditorAwaitingKey) -> Bool = { _ in false }) throws -> AuditKeyShare {
        guard state.users[me]?.role == .auditor else {
            throw KithVaultError.accessDenied("only auditors hold the audit key; ask an auditor")
        }
        try refresh()
        // Nothing to ask about while this auditor cannot seal the key: waiting for it, or, in an epoch
        // after a removal, not one of the auditors who held an earlier key (only they may make the next).
        if state.auditKey != nil && state.auditKeyEnvelopes[me] == nil { return .waitingForAnotherAuditor }
        if state.auditKey == nil && !state.mayMakeAuditKey(me) { return .waitingForAnotherAuditor }
        // Asked once, before the commit (which may be retried).
        let candidates = try auditorsAwaitingKey()
        let confirmed = Set(candidates.filter(confirm).map(\.user.id))
        let unconfirmed = candidates.filter { !confirmed.contains($0.user.id) }.map(\.user.handle)
        var outcome = AuditKeyShare.upToDate
        try commit { state in
            let auditors = state.usersInOrder.filter { $0.role == .auditor && $0.isActive && ($0.identity.userID == me || confirmed.contains($0.identity.userID)) }
                .map(\.identity)
            guard let auditKey = state.auditKey else {
                // The first auditor of the epoch makes the key and seals it to itself and every auditor confirmed.
                let pair = try BoxKeyPair()
                let secret = try pair.secretKeyCopy()
                let envelopes = try auditors.map { KeyEnvelope(user: $0.userID, sealed: try SealedBox.seal(secret, to: $0.boxKey)) }
                outcome = .made
                var entries = [PendingEntry(body: .auditKeyShared(publicKey: pair.publicKey, envelopes: envelopes), details: [("action", "made the audit key")])]
                if let chain = try chainEntry(state, to: pair.publicKey) { entries.append(chain) }
                return entries
            }
            guard state.auditKeyEnvelopes[me] != nil else {
                outcome = .waitingForAnotherAuditor
                return []
            }
            if !unconfirmed.isEmpty { outcome = .awaitingConfirmation(unconfirmed) }
            var entries: [PendingEntry] = []
            let lacking = auditors.filter { state.auditKeyEnvelopes[$0.userID] == nil }
            if !lacking.isEmpty {
                let box = try auditKeyPair(state: state, epoch: state.auditEpoch)
                let secret = try box.pair.secretKeyCopy()
                let envelopes = try lacking.map { KeyEnvelope(user: $0.userID, sealed: try SealedBox.seal(secret, to: $0.boxKey)) }
                let handles = lacking.map { handle(of: $0.userID) }
                outcome = .sealed(to: handles)
                entries.append(
                    PendingEntry(
                        body: .auditKeyShared(publicKey: auditKey, envelopes: envelopes),
                        details: [("action", "sealed the audit key to \(handles.joined(separator: ", "))")]))
            } else if unconfirmed.isEmpty {
                outcome = .upToDate
            }
            if let chain = try chainEntry(state, to: auditKey) { entries.append(chain) }
            return entries
        }
        return outcome
    }

    /// The entry sealing the previous epoch's audit secret to `publicKey`,
    /// when there is a previous key, nobody chained it yet, and this auditor
    /// can open it.
    private func chainEntry(_ state: VaultState, to publicKey: BoxPublicKey) throws -> PendingEntry? {
        guard state.auditChain[state.auditEpoch] == nil, let earlier = state.previousKeyedAuditEpoch(before: state.auditEpoch),
            let previous = try? auditKeyPair(state: state, epoch: earlier)
        else { return nil }
        let sealed = try SealedBox.seal(try previous.pair.secretKeyCopy(), to: publicKey)
        return PendingEntry(body: .auditKeyChained(sealedPrevious: sealed), details: [("action", "chained the previous audit key to the new one")])
    }

    /// The audit key pair of `epoch`, opened from the envelope sealed to
    /// this auditor, or down the chain from the epoch after it, and checked
    /// against the public key in the log.
    func auditKeyPair(state: VaultState, epoch: UInt32) throws -> AuditKeyBox {
        if let cached = keys.audit[epoch] { return cached }
        let current = epoch == state.auditEpoch
        let publicKey = current ? state.auditKey : state.retiredAudit[epoch]?.publicKey
        let envelope = current ? state.auditKeyEnvelopes[me] : state.retiredAudit[epoch]?.envelopes[me]
        guard let publicKey else { throw KithVaultError.notFound("an audit key of audit epoch \(epoch)") }
        let secret: SecureBytes
        if let envelope {
            do { secret = try holder.openSealed(envelope) } catch {
                throw KithVaultError.integrity("the audit key sealed to you does not open")
            }
        } else if let later = state.auditChain.keys.sorted().first(where: { $0 > epoch && state.previousKeyedAuditEpoch(before: $0) == epoch }),
            let chained = state.auditChain[later]
        {
            // The chain entry of the next epoch that had a key seals this one's secret.
            let newer = try auditKeyPair(state: state, epoch: later)
            do { secret = try SealedBox.open(chained, with: newer.pair) } catch {
                throw KithVaultError.integrity("the audit key of epoch \(epoch) does not open from the one after it")
            }
        } else {
            throw KithVaultError.accessDenied("the audit key has not been sealed to you yet", remedy: .askAuditorToShareKey)
        }
        let pair = try BoxKeyPair(secretKey: secret)
        guard pair.publicKey == publicKey else {
            throw KithVaultError.integrity("the audit key sealed to you is not the vault's audit key; ask another auditor to seal it to you again")
        }
        let box = AuditKeyBox(pair)
        keys.audit[epoch] = box
        return box
    }

    /// `writer`'s detail key of audit `epoch`: this identity's own, or, for
    /// an auditor, the one the writer sealed to that epoch's audit key. Nil
    /// when not available.
    func detailKey(of writer: UserID, epoch: UInt32) throws -> KeyBox? {
        if writer == me { return try detailKey(epoch: epoch) }
        if let cached = keys.writerDetail[epoch]?[writer] { return cached }
        let sealed = epoch == state.auditEpoch ? state.detailKeys[writer] : state.retiredAudit[epoch]?.detailKeys[writer]
        guard state.users[me]?.role == .auditor, let sealed else { return nil }
        let pair: AuditKeyBox
        do { pair = try auditKeyPair(state: state, epoch: epoch) } catch let error as KithVaultError where error.code != .integrity {
            return nil
        }
        let key: SecureBytes
        do { key = try SealedBox.open(sealed, with: pair.pair) } catch {
            throw KithVaultError.integrity("the detail key of user \(writer) does not open with the audit key")
        }
        let box = KeyBox(key)
        keys.writerDetail[epoch, default: [:]][writer] = box
        return box
    }

    /// The details of `entry` in words, or nil when this identity cannot
    /// open them (not an auditor, or the writer has not sealed their detail
    /// key to the audit key yet). Empty when the entry has none.
    public func openDetails(_ entry: LogEntry) throws -> [(key: String, value: String)]? {
        guard !entry.details.isEmpty else { return [] }
        guard let key = try detailKey(of: entry.actor, epoch: state.auditEpoch(at: entry.seq)) else { return nil }
        let plain: SecureBytes
        do {
            plain = try AEAD.xChaCha20Poly1305.open(
                entry.details, key: key.key, aad: Self.detailsAAD(vaultID: state.vaultID, seq: entry.seq, actor: entry.actor, type: entry.body.type))
        } catch {
            throw KithVaultError.integrity("the details of log entry \(entry.seq) do not open: they were altered")
        }
        // Details are shown to the auditor as text; the copy they pass through is wiped.
        var bytes = plain.withUnsafeBytes { Array($0) }
        defer { SecureBytes.wipe(&bytes) }
        var body: [UInt8]
        switch bytes.first {
        case 1:
            body = Array(bytes.dropFirst())  // written before details were padded
        case 2:
            var rest = Array(bytes.dropFirst())
            let unpadded: SecureBytes
            do { unpadded = try SealedLength.unpad(SecureBytes(wiping: &rest)) } catch {
                throw KithVaultError.integrity("the details of log entry \(entry.seq) are not padded to their bucket")
            }
            body = unpadded.withUnsafeBytes { Array($0) }
        default:
            throw KithVaultError.integrity("the details of log entry \(entry.seq) have an unknown format")
        }
        defer { SecureBytes.wipe(&body) }
        var r = ByteReader(body, what: "details of log entry \(entry.seq)")
        var out: [(key: String, value: String)] = []
        for _ in 0..<Int(try r.u16()) {
            let key = try r.string()
            guard let value = String(validating: try r.data(), as: UTF8.self) else {
                throw KithVaultError.integrity("the details of log entry \(entry.seq) are not UTF-8")
            }
            out.append((key, value))
        }
        try r.finish()
        return out
    }

    /// Associated data of an entry's details: binds them to the vault, the position, the writer and the type.
    static func detailsAAD(vaultID: [UInt8], seq: UInt64, actor: UserID, type: EntryType) -> [UInt8] {
        var aad = ByteWriter()
        aad.string(AEADContext.details)
        aad.fixed(vaultID)
        aad.u64(seq)
        aad.fixed(actor.bytes)
        aad.u8(type.rawValue)
        return aad.bytes
    }
}

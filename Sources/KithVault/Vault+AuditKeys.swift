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
extension Vault {
    /// The entry sealing this writer's detail key to the audit key, when
    /// the audit key exists and this writer has not done it yet.
    func detailKeyEntryIfNeeded(_ state: VaultState) throws -> PendingEntry? {
        guard let auditKey = state.auditKey, state.detailKeys[me] == nil else { return nil }
        let sealed = try SealedBox.seal(detailKey().key, to: auditKey)
        return PendingEntry(body: .detailKeySealed(sealed: sealed), details: [])
    }

    /// As an auditor: makes the vault's audit key if there is none, or seals
    /// it to every auditor who lacks it. Logged either way.
    @discardableResult
    public func shareAuditKey() throws -> AuditKeyShare {
        guard state.users[me]?.role == .auditor else {
            throw KithVaultError.accessDenied("only auditors hold the audit key; ask an auditor")
        }
        var outcome = AuditKeyShare.upToDate
        try commit { state in
            let auditors = state.usersInOrder.filter { $0.role == .auditor }.map(\.identity)
            guard let auditKey = state.auditKey else {
                // The first auditor makes the key and seals it to every auditor there is.
                let pair = try BoxKeyPair()
                let secret = try pair.secretKeyCopy()
                let envelopes = try auditors.map { KeyEnvelope(user: $0.userID, sealed: try SealedBox.seal(secret, to: $0.boxKey)) }
                outcome = .made
                return [PendingEntry(body: .auditKeyShared(publicKey: pair.publicKey, envelopes: envelopes), details: [("action", "made the audit key")])]
            }
            guard state.auditKeyEnvelopes[me] != nil else {
                outcome = .waitingForAnotherAuditor
                return []
            }
            let lacking = auditors.filter { state.auditKeyEnvelopes[$0.userID] == nil }
            guard !lacking.isEmpty else {
                outcome = .upToDate
                return []
            }
            let box = try auditKeyPair(state: state, publicKey: auditKey)
            let secret = try box.pair.secretKeyCopy()
            let envelopes = try lacking.map { KeyEnvelope(user: $0.userID, sealed: try SealedBox.seal(secret, to: $0.boxKey)) }
            let handles = lacking.map { handle(of: $0.userID) }
            outcome = .sealed(to: handles)
            return [
                PendingEntry(
                    body: .auditKeyShared(publicKey: auditKey, envelopes: envelopes),
                    details: [("action", "sealed the audit key to \(handles.joined(separator: ", "))")])
            ]
        }
        return outcome
    }

    /// The audit key pair, opened from the envelope sealed to this auditor
    /// and checked against the public key in the log.
    func auditKeyPair(state: VaultState, publicKey: BoxPublicKey) throws -> AuditKeyBox {
        if let cached = keys.audit { return cached }
        guard let envelope = state.auditKeyEnvelopes[me] else {
            throw KithVaultError.accessDenied("the audit key has not been sealed to you yet", remedy: .askAuditorToShareKey)
        }
        let secret: SecureBytes
        do { secret = try holder.openSealed(envelope) } catch {
            throw KithVaultError.integrity("the audit key sealed to you does not open")
        }
        let pair = try BoxKeyPair(secretKey: secret)
        guard pair.publicKey == publicKey else {
            throw KithVaultError.integrity("the audit key sealed to you is not the vault's audit key; ask another auditor to seal it to you again")
        }
        let box = AuditKeyBox(pair)
        keys.audit = box
        return box
    }

    /// `writer`'s detail key: this identity's own, or, for an auditor,
    /// the one the writer sealed to the audit key. Nil when not available.
    func detailKey(of writer: UserID) throws -> KeyBox? {
        if writer == me { return try detailKey() }
        if let cached = keys.writerDetail[writer] { return cached }
        guard state.users[me]?.role == .auditor, let auditKey = state.auditKey, state.auditKeyEnvelopes[me] != nil,
            let sealed = state.detailKeys[writer]
        else { return nil }
        let pair = try auditKeyPair(state: state, publicKey: auditKey)
        let key: SecureBytes
        do { key = try SealedBox.open(sealed, with: pair.pair) } catch {
            throw KithVaultError.integrity("the detail key of user \(writer) does not open with the audit key")
        }
        let box = KeyBox(key)
        keys.writerDetail[writer] = box
        return box
    }

    /// The details of `entry` in words, or nil when this identity cannot
    /// open them (not an auditor, or the writer has not sealed their detail
    /// key to the audit key yet). Empty when the entry has none.
    public func openDetails(_ entry: LogEntry) throws -> [(key: String, value: String)]? {
        guard !entry.details.isEmpty else { return [] }
        guard let key = try detailKey(of: entry.actor) else { return nil }
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
        var r = ByteReader(bytes, what: "details of log entry \(entry.seq)")
        guard try r.u8() == 1 else { throw KithVaultError.integrity("the details of log entry \(entry.seq) have an unknown format") }
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

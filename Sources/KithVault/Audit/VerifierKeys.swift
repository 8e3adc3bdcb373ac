import KithCrypto
import KithLog

/// A signer in a verifier keys file: who they are in the vault and the key
/// they sign checkpoints (and log entries) with.
public struct KeySigner: Sendable, Equatable {
    /// Their user id (nil: an older file that did not say).
    public let user: UserID?
    /// Their vault-wide role when the file was made (nil: an older file that did not say).
    public let role: OrgRole?
    /// Their checkpoint key (Ed25519, named after the vault).
    public let key: NoteVerifierKey
    /// Whether an admin had removed them when the file was made: their
    /// entries from before still verify, but they vouch for nothing new.
    public var removed = false
}

/// The keys an outsider trusts a vault's proofs with (`kith audit keys`):
/// the vault's id (bound into every entry signature), every signer's
/// checkpoint key with their role, and every auditor's witness key.
///
/// ```
/// kith-verifier-keys 1
/// vault <origin> <vault id, 32 hex digits>
/// signer <user id> <role> <vkey> [removed]
/// witness <user id> <vkey>
/// ```
/// Blank lines and `#` comments are skipped. A file of bare vkey lines (from
/// an older Kith) is read too; it names no vault id and no roles, so an
/// entry's own signature cannot be checked with it.
public struct VerifierKeys: Sendable {
    /// The first line of the current format.
    public static let header = "kith-verifier-keys 1"
    /// The largest keys file read (a vault of thousands of users fits many times over).
    public static let maxFileSize = 4 << 20

    /// The vault's origin (nil: an older file).
    public let origin: String?
    /// The vault's id (nil: an older file).
    public let vaultID: [UInt8]?
    /// Everyone who signs checkpoints.
    public let signers: [KeySigner]
    /// Every witness (auditor) key, by auditor.
    public let witnesses: [(user: UserID?, key: NoteVerifierKey)]

    /// Every key, for signed-note verification.
    public var noteKeys: [NoteVerifierKey] { signers.map(\.key) + witnesses.map(\.key) }

    /// Names keys.
    public init(origin: String?, vaultID: [UInt8]?, signers: [KeySigner], witnesses: [(user: UserID?, key: NoteVerifierKey)]) {
        self.origin = origin
        self.vaultID = vaultID
        self.signers = signers
        self.witnesses = witnesses
    }

    /// The file's text.
    public var text: String {
        var lines = [
            "# Kith verifier keys. Hand this file over in person or over a channel the vault's host does not control;",
            "# 'kith audit verify-proof --keys FILE' checks proofs with it.",
            Self.header,
        ]
        if let origin, let vaultID {
            // The fingerprint as people read it aloud and write it down, to compare with this file.
            if let hex = origin.split(separator: "/").last, let fingerprint = try? Hex.decode(String(hex)) {
                lines.append("# vault fingerprint: \(Fingerprint.readable(fingerprint))")
            }
            lines.append("vault \(origin) \(Hex.encode(vaultID))")
        }
        for signer in signers {
            lines.append(
                "signer \(signer.user?.description ?? "unknown") \(signer.role?.description ?? "unknown") \(signer.key.vkey)\(signer.removed ? " removed" : "")")
        }
        for witness in witnesses { lines.append("witness \(witness.user?.description ?? "unknown") \(witness.key.vkey)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a keys file in the current format or as bare vkey lines.
    public static func parse(_ text: String) throws -> VerifierKeys {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.first == header else {
            // Bare vkey lines: the type byte says which are witnesses.
            let keys = try lines.map { try NoteVerifierKey(vkey: $0) }
            return VerifierKeys(
                origin: nil, vaultID: nil,
                signers: keys.filter { $0.type == NoteVerifierKey.ed25519 }.map { KeySigner(user: nil, role: nil, key: $0) },
                witnesses: keys.filter { $0.type == NoteVerifierKey.cosignature }.map { (nil, $0) })
        }
        var origin: String?
        var vaultID: [UInt8]?
        var signers: [KeySigner] = []
        var witnesses: [(user: UserID?, key: NoteVerifierKey)] = []
        for (number, line) in lines.dropFirst().enumerated() {
            let words = line.split(separator: " ").map(String.init)
            let bad = KithLogError.malformed("line \(number + 2) of the keys file is not 'vault', 'signer' or 'witness' as 'kith audit keys' writes them")
            switch words.first {
            case "vault":
                guard words.count == 3, origin == nil, let id = try? Hex.decode(words[2]), id.count == Identifier.length else { throw bad }
                (origin, vaultID) = (words[1], id)
            case "signer":
                guard words.count == 4 || (words.count == 5 && words[4] == "removed"), let user = try? Identifier(parsing: words[1]) else { throw bad }
                let role = OrgRole(name: words[2])
                let key = try NoteVerifierKey(vkey: words[3])
                guard key.type == NoteVerifierKey.ed25519 else { throw bad }
                signers.append(KeySigner(user: user, role: role, key: key, removed: words.count == 5))
            case "witness":
                guard words.count == 3, let user = try? Identifier(parsing: words[1]) else { throw bad }
                let key = try NoteVerifierKey(vkey: words[2])
                guard key.type == NoteVerifierKey.cosignature else { throw bad }
                witnesses.append((user, key))
            default:
                throw bad
            }
        }
        guard origin != nil else { throw KithLogError.malformed("the keys file names no vault (its 'vault' line is missing); make it again with 'kith audit keys'") }
        return VerifierKeys(origin: origin, vaultID: vaultID, signers: signers, witnesses: witnesses)
    }
}

extension VaultState {
    /// What `kith audit keys` writes: this vault's id, every enrolled user's
    /// checkpoint key with their role, and every auditor's witness key.
    public func verifierKeys() throws -> VerifierKeys {
        VerifierKeys(
            origin: origin, vaultID: vaultID,
            signers: try usersInOrder.map {
                KeySigner(user: $0.identity.userID, role: $0.role, key: try checkpointKey(of: $0.identity.userID), removed: !$0.isActive)
            },
            // A removed auditor vouches for nothing any more.
            witnesses: try usersInOrder.filter { $0.role == .auditor && $0.isActive }.map { ($0.identity.userID, try witnessKey(of: $0.identity.userID)) })
    }
}

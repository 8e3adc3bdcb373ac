import Foundation
import KithCrypto

/// A public key that signs notes (C2SP signed-note): a name, a signature
/// type and an Ed25519 public key. Type 0x01 signs checkpoints as the log;
/// type 0x04 cosigns them as a witness (C2SP tlog-cosignature).
public struct NoteVerifierKey: Hashable, Sendable {
    /// Ed25519 note signatures.
    public static let ed25519: UInt8 = 0x01
    /// Timestamped Ed25519 cosignatures.
    public static let cosignature: UInt8 = 0x04

    /// The key name: non-empty, no spaces, no '+'.
    public let name: String
    /// 0x01 or 0x04.
    public let type: UInt8
    /// The Ed25519 public key.
    public let key: SigningPublicKey

    /// Checks the name and makes the key.
    public init(name: String, type: UInt8, key: SigningPublicKey) throws {
        guard Self.isValidName(name) else { throw KithLogError.malformed("key name '\(name)' is empty or has a space or '+'") }
        guard type == Self.ed25519 || type == Self.cosignature else { throw KithLogError.malformed("unsupported signature type \(type)") }
        self.name = name
        self.type = type
        self.key = key
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "+" || $0.value < 0x20 }
    }

    /// `SHA-256(name || "\n" || type || public key)[:4]`, big-endian.
    public var keyID: UInt32 {
        let hash = SHA256.hash(Array(name.utf8) + [0x0A, type] + key.bytes)
        return hash.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// `name+hex(key id)+base64(type || key)`.
    public var vkey: String {
        "\(name)+\(String(format: "%08x", keyID))+\(Data([type] + key.bytes).base64EncodedString())"
    }

    /// Parses a verifier key and checks its key id.
    public init(vkey: String) throws {
        // The base64 part may itself hold "+": split at the first two only (names never contain "+").
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 8, let id = UInt32(parts[1], radix: 16),
            let material = NoteBase64.decode(String(parts[2])), material.count == 1 + Ed25519.publicKeyLength
        else {
            throw KithLogError.malformed("verifier key '\(vkey)' is not name+keyid+base64 of an Ed25519 key")
        }
        try self.init(name: String(parts[0]), type: material[0], key: SigningPublicKey(bytes: Array(material.dropFirst())))
        guard keyID == id else { throw KithLogError.malformed("verifier key '\(vkey)' has the wrong key id") }
    }
}

/// Standard base64 (RFC 4648 section 4), decoded strictly: only the
/// canonical encoding of some bytes is accepted.
enum NoteBase64 {
    static func decode(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return [UInt8](data)
    }

    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}

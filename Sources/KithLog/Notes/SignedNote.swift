import Foundation
import KithCrypto

/// One signature line of a note: key name, key id, signature bytes.
public struct NoteSignature: Equatable, Sendable {
    /// The signer's key name.
    public let name: String
    /// The signer's key id.
    public let keyID: UInt32
    /// The signature (for cosignatures: 8-byte timestamp || Ed25519 signature).
    public let signature: [UInt8]

    /// `— name base64(keyid || signature)`.
    public var line: String {
        let id = [UInt8((keyID >> 24) & 0xff), UInt8((keyID >> 16) & 0xff), UInt8((keyID >> 8) & 0xff), UInt8(keyID & 0xff)]
        return "\u{2014} \(name) \(NoteBase64.encode(id + signature))"
    }
}

/// A C2SP signed note: text ending in a newline, a blank line, then one or
/// more signature lines.
public struct SignedNote: Equatable, Sendable {
    /// The signed text, with its final newline.
    public let text: String
    /// Its signatures, in order.
    public private(set) var signatures: [NoteSignature]

    /// The most signatures accepted when parsing.
    public static let maxSignatures = 64

    /// A note with no signatures yet.
    public init(text: String) throws {
        guard text.hasSuffix("\n"), !text.isEmpty else { throw KithLogError.malformed("a note's text must end with a newline") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw KithLogError.malformed("a note must not contain control characters")
        }
        self.text = text
        self.signatures = []
    }

    /// The whole note as text.
    public var encoded: String {
        text + "\n" + signatures.map { $0.line + "\n" }.joined()
    }

    /// Parses a note strictly: valid UTF-8, no control characters but
    /// newlines, the text separated from signatures by the last blank line,
    /// every signature line well formed.
    public init(parsing raw: String) throws {
        guard !raw.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw KithLogError.malformed("a note must not contain control characters")
        }
        guard raw.hasSuffix("\n"), let split = raw.range(of: "\n\n", options: .backwards) else {
            throw KithLogError.malformed("no blank line between the note's text and its signatures")
        }
        let text = String(raw[raw.startIndex..<raw.index(after: split.lowerBound)])
        let lines = raw[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty, lines.count <= Self.maxSignatures else { throw KithLogError.malformed("a note needs 1 to \(Self.maxSignatures) signatures") }
        try self.init(text: text)
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}", NoteVerifierKey.isValidName(String(fields[1])),
                let bytes = NoteBase64.decode(String(fields[2])), bytes.count > 4
            else {
                throw KithLogError.malformed("signature line '\(line)' is not '\u{2014} name base64'")
            }
            let id = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            signatures.append(NoteSignature(name: String(fields[1]), keyID: id, signature: Array(bytes.dropFirst(4))))
        }
    }

    /// Adds an Ed25519 signature (type 0x01) by `sign`, which must be the
    /// secret half of `key`.
    public mutating func sign(as key: NoteVerifierKey, using sign: ([UInt8]) throws -> [UInt8]) throws {
        guard key.type == NoteVerifierKey.ed25519 else { throw KithLogError.malformed("a log signature needs a type 0x01 key") }
        signatures.append(NoteSignature(name: key.name, keyID: key.keyID, signature: try sign(Array(text.utf8))))
    }

    /// Adds a timestamped cosignature (type 0x04, C2SP tlog-cosignature).
    public mutating func cosign(as key: NoteVerifierKey, timestamp: UInt64, using sign: ([UInt8]) throws -> [UInt8]) throws {
        guard key.type == NoteVerifierKey.cosignature else { throw KithLogError.malformed("a cosignature needs a type 0x04 key") }
        var time: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { time.append(UInt8((timestamp >> UInt64(shift)) & 0xff)) }
        let signature = try sign(Self.cosignedMessage(text: text, timestamp: timestamp))
        signatures.removeAll { $0.name == key.name && $0.keyID == key.keyID }
        signatures.append(NoteSignature(name: key.name, keyID: key.keyID, signature: time + signature))
    }

    static func cosignedMessage(text: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + Array(text.utf8)
    }

    /// The keys among `trusted` whose signatures on this note verify. Per
    /// the spec: lines from unknown keys are ignored; a known key whose
    /// signature fails makes the whole note invalid; with `requireOne`, at
    /// least one known signature must verify.
    @discardableResult
    public func verify(trusted: [NoteVerifierKey], requireOne: Bool = true) throws -> [NoteVerifierKey] {
        var verified: [NoteVerifierKey] = []
        for signature in signatures {
            guard let key = trusted.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else { continue }
            let ok: Bool
            switch key.type {
            case NoteVerifierKey.cosignature:
                guard signature.signature.count == 8 + Ed25519.signatureLength else { throw KithLogError.badSignature("cosignature by \(key.name) has the wrong length") }
                let timestamp = signature.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                ok = key.key.isValidSignature(Array(signature.signature.dropFirst(8)), for: Self.cosignedMessage(text: text, timestamp: timestamp))
            default:
                ok = key.key.isValidSignature(signature.signature, for: Array(text.utf8))
            }
            guard ok else { throw KithLogError.badSignature("the signature by \(key.name) (key \(String(format: "%08x", key.keyID))) does not verify") }
            if !verified.contains(key) { verified.append(key) }
        }
        if requireOne && verified.isEmpty { throw KithLogError.badSignature("no signature from a trusted key") }
        return verified
    }

    /// The timestamp of a cosignature line, if it is one.
    public static func cosignatureTime(_ signature: NoteSignature) -> UInt64? {
        guard signature.signature.count == 8 + Ed25519.signatureLength else { return nil }
        return signature.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}

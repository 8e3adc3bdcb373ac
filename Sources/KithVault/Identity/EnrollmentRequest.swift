import KithCrypto

/// What a new user sends an admin to be enrolled: public material only,
/// signed by the new user's own key. Their private key never leaves their
/// machine.
///
/// ```
/// kith-enroll-request v1
/// user <32 hex digits>
/// handle <handle>
/// vault <64 hex digits, or ->
/// sign <base64>
/// box <base64>
/// possession <base64 signature over the keys, kept in the log>
/// signature <base64 signature over all lines above>
/// ```
public struct EnrollmentRequest: Sendable {
    /// The requester's public identity.
    public let identity: PublicIdentity
    /// The handle they ask for.
    public let handle: Handle
    /// The vault they expect to join, if they were told its fingerprint.
    public let vaultFingerprint: [UInt8]?
    /// Proof that they hold the signing key, stored in the enrolment entry.
    public let possessionSignature: [UInt8]
    let signature: [UInt8]

    static let magic = "kith-enroll-request v1"

    private static func body(identity: PublicIdentity, handle: Handle, vault: [UInt8]?, possession: [UInt8]) -> String {
        [
            magic,
            "user \(identity.userID)",
            "handle \(handle.value)",
            "vault \(vault.map { Hex.encode($0) } ?? "-")",
            "sign \(Base64.encode(identity.signingKey.bytes))",
            "box \(Base64.encode(identity.boxKey.bytes))",
            "possession \(Base64.encode(possession))",
        ].joined(separator: "\n") + "\n"
    }

    private static func signedMessage(_ body: String) -> [UInt8] {
        Array(SignatureContext.enrollmentRequest.utf8) + [0] + Array(body.utf8)
    }

    /// Makes and signs a request for `holder`.
    public static func make(holder: PrivateKeyHolder, handle: Handle, vaultFingerprint: [UInt8]?) throws -> EnrollmentRequest {
        let possession = try holder.sign(holder.identity.possessionMessage())
        let body = body(identity: holder.identity, handle: handle, vault: vaultFingerprint, possession: possession)
        return EnrollmentRequest(
            identity: holder.identity, handle: handle, vaultFingerprint: vaultFingerprint,
            possessionSignature: possession, signature: try holder.sign(signedMessage(body)))
    }

    /// The file's bytes.
    public var fileBytes: [UInt8] {
        let body = Self.body(identity: identity, handle: handle, vault: vaultFingerprint, possession: possessionSignature)
        return Array((body + "signature \(Base64.encode(signature))\n").utf8)
    }

    /// Reads and checks the request file at `path`.
    public static func load(path: String) throws -> EnrollmentRequest {
        try parse(AtomicFile.read(path, what: "enrolment request"))
    }

    /// Parses a request and checks both of its signatures; a forged or
    /// altered request is an integrity error.
    public static func parse(_ bytes: [UInt8]) throws -> EnrollmentRequest {
        guard let text = String(validating: bytes, as: UTF8.self), text.hasSuffix("\n") else {
            throw KithVaultError.integrity("this is not a Kith enrolment request")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let keys = ["user", "handle", "vault", "sign", "box", "possession", "signature"]
        guard lines.count == keys.count + 1, lines[0] == magic else {
            throw KithVaultError.integrity("this is not a Kith enrolment request (or it is from a newer version of Kith)")
        }
        var values: [String: Substring] = [:]
        for (index, key) in keys.enumerated() {
            guard lines[index + 1].hasPrefix(key + " ") else {
                throw KithVaultError.integrity("enrolment request line \(index + 2) should start with '\(key)'")
            }
            values[key] = lines[index + 1].dropFirst(key.count + 1)
        }
        func value(_ key: String) -> Substring { values[key] ?? "" }
        let identity = PublicIdentity(
            userID: try Identifier(parsing: String(value("user"))),
            signingKey: try SigningPublicKey(bytes: Base64.decode(value("sign"), what: "request signing key")),
            boxKey: try BoxPublicKey(bytes: Base64.decode(value("box"), what: "request box key")))
        let vault: [UInt8]?
        if value("vault") == "-" {
            vault = nil
        } else {
            guard let decoded = try? Hex.decode(String(value("vault"))), decoded.count == 32 || decoded.count == 20 else {
                throw KithVaultError.integrity("the request's vault fingerprint is malformed")
            }
            vault = decoded
        }
        let request = EnrollmentRequest(
            identity: identity, handle: try Handle(String(value("handle"))), vaultFingerprint: vault,
            possessionSignature: try Base64.decode(value("possession"), what: "request possession signature"),
            signature: try Base64.decode(value("signature"), what: "request signature"))
        guard request.fileBytes == bytes else { throw KithVaultError.integrity("the enrolment request is not in canonical form") }
        let body = body(identity: identity, handle: request.handle, vault: vault, possession: request.possessionSignature)
        guard identity.signingKey.isValidSignature(request.signature, for: signedMessage(body)),
            identity.signingKey.isValidSignature(request.possessionSignature, for: identity.possessionMessage())
        else {
            throw KithVaultError.integrity("the enrolment request's signature does not verify: it was altered or forged. Ask the person to make a new request")
        }
        return request
    }
}

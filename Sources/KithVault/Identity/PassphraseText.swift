import Foundation
import KithCrypto

/// How a passphrase is turned into the bytes Argon2id reads, for keyfiles
/// of version 3 and later: Unicode NFKC, so the same words typed on
/// another keyboard or system (an Arabic letter with its madda composed or
/// not, a ligature or its letters, full-width or plain digits) open the
/// same keyfile. Keyfiles made before use the bytes exactly as typed, and
/// keep doing so.
enum PassphraseText {
    /// `passphrase` in NFKC, in guarded memory. An ASCII passphrase is
    /// already in NFKC and is only copied. Any other goes through Swift
    /// strings, which cannot be wiped (the one place a passphrase is held
    /// in one; docs/threat-model.md): Foundation's normalisation needs one.
    static func normalised(_ passphrase: borrowing SecureBytes) throws -> SecureBytes {
        let ascii = passphrase.withUnsafeBytes { $0.allSatisfy { $0 < 0x80 } }
        if ascii { return try passphrase.duplicate() }
        var bytes: [UInt8] = try passphrase.withUnsafeBytes { raw in
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw KithVaultError.invalidInput("the passphrase is not UTF-8 text; type it again, or write it to a passphrase file as UTF-8")
            }
            return Array(text.precomposedStringWithCompatibilityMapping.utf8)
        }
        return try SecureBytes(wiping: &bytes)
    }
}

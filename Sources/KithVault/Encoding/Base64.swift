import Foundation

/// Standard base64 for public bytes, with a strict decoder: only the
/// canonical encoding of some bytes is accepted.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func decode(_ text: Substring, what: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: String(text)), data.base64EncodedString() == text else {
            throw KithVaultError.integrity("\(what) is not valid base64")
        }
        return [UInt8](data)
    }
}

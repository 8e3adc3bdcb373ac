import Foundation
import KithCrypto

/// Hex text to bytes, for test vectors (they are trusted constants).
func hex(_ text: String) -> [UInt8] {
    (try? Hex.decode(text)) ?? []
}

/// A secure key from hex, for tests.
func secureKey(_ text: String) throws -> SecureBytes {
    var bytes = hex(text)
    return try SecureBytes(wiping: &bytes)
}

/// The contents of a SecureBytes as an array, for comparisons in tests only.
func bytes(_ secret: borrowing SecureBytes) -> [UInt8] {
    secret.withUnsafeBytes { Array($0) }
}

/// Loads a file from the test bundle's Vectors folder.
func vectorData(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors") else {
        throw CocoaError(.fileNoSuchFile)
    }
    return try Data(contentsOf: url)
}

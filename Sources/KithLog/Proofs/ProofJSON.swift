import Foundation

/// Strict reading of the small JSON objects proofs travel in: exactly the
/// expected keys, whole numbers, standard base64 hashes of 32 bytes.
struct ProofJSON {
    let object: [String: Any]
    let what: String

    init(_ data: [UInt8], what: String, keys: Set<String>) throws {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(data)), let object = parsed as? [String: Any] else {
            throw KithLogError.malformed("the \(what) is not a JSON object")
        }
        let found = Set(object.keys)
        if let unknown = found.subtracting(keys).sorted().first { throw KithLogError.malformed("the \(what) has an unknown key \"\(unknown)\"") }
        if let missing = keys.subtracting(found).sorted().first { throw KithLogError.malformed("the \(what) lacks \"\(missing)\"") }
        self.object = object
        self.what = what
    }

    func number(_ key: String) throws -> UInt64 {
        // Only a plain decimal integer passes: not true, 1.5, "7", -1 or 1e3.
        guard let number = object[key] as? NSNumber, String(cString: number.objCType) != "c",
            let value = UInt64(number.stringValue), number.stringValue == String(value)
        else { throw KithLogError.malformed("\"\(key)\" in the \(what) is not a whole number") }
        return value
    }

    func hash(_ key: String) throws -> [UInt8] {
        guard let text = object[key] as? String else { throw KithLogError.malformed("\"\(key)\" in the \(what) is not a string") }
        return try Self.hash(text, key)
    }

    func hashes(_ key: String) throws -> [[UInt8]] {
        guard let list = object[key] as? [Any] else { throw KithLogError.malformed("\"\(key)\" in the \(what) is not a list") }
        guard list.count <= MerkleProofLimits.maxHashes else { throw KithLogError.malformed("\"\(key)\" holds more hashes than any tree needs") }
        return try list.map {
            guard let text = $0 as? String else { throw KithLogError.malformed("\"\(key)\" in the \(what) holds something that is not a string") }
            return try Self.hash(text, key)
        }
    }

    static func hash(_ text: String, _ key: String) throws -> [UInt8] {
        guard let bytes = NoteBase64.decode(text), bytes.count == MerkleHash.length else {
            throw KithLogError.malformed("\"\(key)\" holds '\(text.prefix(60))', not a standard-base64 32-byte hash")
        }
        return bytes
    }

    /// Sorted keys and no escaped slashes, so the same proof always prints the same bytes.
    static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Bounds on proofs read from outside.
enum MerkleProofLimits {
    /// A tree of 2^64 leaves needs at most 64 hashes for inclusion and about
    /// twice that for consistency.
    static let maxHashes = 130
}

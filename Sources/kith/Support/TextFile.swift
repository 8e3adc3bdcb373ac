import Foundation
import KithVault

/// Small text files the CLI reads and writes (checkpoints, proofs, keys).
enum TextFile {
    /// Reads a UTF-8 text file of at most `limit` bytes; `what` names it in errors.
    static func read(_ path: String, what: String, limit: Int = 4 << 20) throws -> String {
        let bytes = try SmallFile.read(path, what: "\(what) file", limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KithVaultError.invalidInput("\(path) is not UTF-8 text; pass the \(what) file itself")
        }
        return text
    }

    /// The bytes of `path`, or of standard input for `-`; `what` names it in
    /// errors. A file over `limit` bytes is refused before it is read.
    static func input(_ path: String, what: String, limit: Int? = nil, tooLarge: String = "") throws -> Data {
        if path == "-" { return Data(try SmallFile.readStandardInput(what: what, limit: limit ?? 64 << 20)) }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw KithVaultError.notFound("\(what) \(path)")
        }
        if let limit, let size = attributes[.size] as? Int, size > limit {
            throw KithVaultError.invalidInput("\(path) is \(size >> 20) MiB; \(tooLarge)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KithVaultError.storage("cannot read \(path); check its permissions")
        }
        return data
    }

    /// Writes a new file; never overwrites one.
    static func writeNew(_ text: String, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw KithVaultError.invalidInput("\(path) exists; choose another file (kith never overwrites)") }
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting) } catch {
            throw KithVaultError.storage("cannot write \(path); check the folder exists and is writable")
        }
    }
}

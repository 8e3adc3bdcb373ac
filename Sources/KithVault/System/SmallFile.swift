import Foundation

/// Files Kith reads whole (keyfiles, requests, checkpoints, proofs, keys
/// files, policies): each is small, so a file larger than its limit, or
/// something that is not a regular file (a device, a pipe that never ends),
/// is refused before it is read, and never more than the limit is read.
public enum SmallFile {
    /// The bytes of `path`, at most `limit` of them; `what` names it in errors.
    public static func read(_ path: String, what: String, limit: Int) throws -> [UInt8] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw KithVaultError.notFound("\(what) \(path)")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw KithVaultError.invalidInput("\(path) is not a regular file; pass the \(what) file itself")
        }
        if let size = attributes[.size] as? Int, size > limit {
            throw KithVaultError.invalidInput("\(path) is \(size) bytes, more than any \(what) (at most \(limit)); pass the \(what) file itself")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KithVaultError.storage("cannot read \(what) \(path); check its permissions")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch {
            throw KithVaultError.storage("cannot read \(what) \(path); check its permissions")
        }
        // It may have grown since it was measured.
        guard data.count <= limit else { throw KithVaultError.invalidInput("\(path) is larger than any \(what) (at most \(limit) bytes)") }
        return [UInt8](data)
    }

    /// Standard input, refused past `limit` bytes.
    public static func readStandardInput(what: String, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count <= limit {
            guard let chunk = try? FileHandle.standardInput.read(upToCount: 64 << 10), !chunk.isEmpty else { return out }
            out += chunk
        }
        throw KithVaultError.invalidInput("\(what) on standard input is larger than \(limit >> 20) MiB")
    }
}

import Foundation

/// The `age` command-line tool (age-encryption.org), for the comparisons a
/// network would otherwise make. `make bench` installs it with apt-get.
struct AgeTool {
    let age: String
    let keygen: String

    /// The installed tool, or nil with a note saying how to get it.
    static func find() -> AgeTool? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        func locate(_ name: String) -> String? {
            folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        guard let age = locate("age"), let keygen = locate("age-keygen") else { return nil }
        return AgeTool(age: age, keygen: keygen)
    }

    static let missing = "age is not installed: run 'make bench' (installs it with apt-get) or apt-get install age"

    /// Runs `executable` with `arguments`; throws unless it exits 0.
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchFailure("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A new X25519 identity file; returns its recipient (public key).
    func newIdentity(at path: String) throws -> String {
        try run(keygen, ["-o", path])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("# public key: ") }) else {
            throw BenchFailure("age-keygen wrote no public key to \(path)")
        }
        return String(line.dropFirst("# public key: ".count))
    }
}

/// A benchmark that could not run as planned (never a figure).
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import KithCrypto
import Testing
@testable import KithVault

/// A killed `attach get` must not leave its plaintext behind: partial files
/// live in a private folder and the next command removes them.
@Suite("Partial files of a killed save")
struct PartialFileTests {
    /// The pid of a process that has exited.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test("a save killed halfway is cleaned up by the next command that opens the vault; a live one is left alone")
    func killedSave() throws {
        let fixture = try VaultFixture()
        let state = fixture.directory.appendingPathComponent("state")
        let partials = PartialFiles(stateDirectory: state)
        func leave(pid: Int32) throws -> (file: String, folder: String) {
            let folder = fixture.directory.appendingPathComponent(".kith-partial-\(pid)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let file = folder + "/letter.pdf"
            try Data("plaintext of a half-saved attachment".utf8).write(to: URL(fileURLWithPath: file))
            try FileManager.default.createDirectory(at: partials.directory, withIntermediateDirectories: true)
            try Data("\(file)\n\(folder)\n".utf8).write(to: partials.directory.appendingPathComponent("\(pid)-note"))
            return (file, folder)
        }
        let killed = try leave(pid: try Self.deadPID())
        let running = try leave(pid: getpid())
        _ = try Vault(store: fixture.store(), holder: fixture.founder, memory: CheckpointMemory(directory: state))
        #expect(!FileManager.default.fileExists(atPath: killed.file))
        #expect(!FileManager.default.fileExists(atPath: killed.folder))
        #expect(FileManager.default.fileExists(atPath: running.file))
        #expect(try FileManager.default.contentsOfDirectory(atPath: partials.directory.path) == ["\(getpid())-note"])
        // A wipe takes the live one too, with whatever else its private folder holds (an editor's swap file).
        try Data("swap of the note being typed".utf8).write(to: URL(fileURLWithPath: running.folder + "/.letter.pdf.swp"))
        partials.cleanUp(evenLive: true)
        #expect(!FileManager.default.fileExists(atPath: running.folder))
        #expect(try FileManager.default.contentsOfDirectory(atPath: partials.directory.path).isEmpty)
    }

    @Test("a save in progress writes in a private folder (0700) and leaves neither it nor its note when done")
    func privateFolder() throws {
        let fixture = try VaultFixture()
        let state = fixture.directory.appendingPathComponent("state")
        let destination = fixture.directory.appendingPathComponent("out.txt").path
        let output = try OutputFile(path: destination, partials: PartialFiles(stateDirectory: state))
        let folders = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { $0.hasPrefix(".kith-partial-") }
        #expect(folders.count == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.directory.appendingPathComponent(folders[0]).path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: PartialFiles(stateDirectory: state).directory.path).count == 1)
        try Array("done".utf8).withUnsafeBytes { try output.write($0) }
        try output.publish()
        #expect(try String(contentsOfFile: destination, encoding: .utf8) == "done")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { $0.hasPrefix(".kith-partial-") }.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: PartialFiles(stateDirectory: state).directory.path).isEmpty)
    }
}

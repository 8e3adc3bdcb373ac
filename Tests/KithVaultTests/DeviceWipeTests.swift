import Foundation
import Testing

@testable import KithVault

/// The wipe's edges (`DeviceWipe`): what it follows, what it only unlinks,
/// and what a deferred wipe's helper refuses to touch.
@Suite("Device wipe edges")
struct DeviceWipeTests {
    static func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kith-wipe-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("a keyfile and a state folder that are links are wiped at their targets; a file another name links is unlinked, not zeroed")
    func links() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let stick = root.appendingPathComponent("usb")
        try FileManager.default.createDirectory(at: stick, withIntermediateDirectories: true)
        let realKeyfile = stick.appendingPathComponent("me.kithid")
        try Data("secret keyfile".utf8).write(to: realKeyfile)
        let linkedKeyfile = root.appendingPathComponent("me.kithid")
        try FileManager.default.createSymbolicLink(at: linkedKeyfile, withDestinationURL: realKeyfile)
        let realState = stick.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: realState, withIntermediateDirectories: true)
        try Data("cache".utf8).write(to: realState.appendingPathComponent("x.cache"))
        let backup = root.appendingPathComponent("backup.checkpoint")
        try Data("a checkpoint the user keeps".utf8).write(to: realState.appendingPathComponent("kept.checkpoint"))
        try FileManager.default.linkItem(at: realState.appendingPathComponent("kept.checkpoint"), to: backup)
        let linkedState = root.appendingPathComponent("state")
        try FileManager.default.createSymbolicLink(at: linkedState, withDestinationURL: realState)

        let report = DeviceWipe.wipe(keyfiles: [linkedKeyfile.path], stateDirectory: linkedState, agentDirectory: nil)
        #expect(report.failures.isEmpty, "\(report.failures)")
        for gone in [realKeyfile, linkedKeyfile, realState, linkedState] { #expect(!FileManager.default.fileExists(atPath: gone.path), "\(gone.path)") }
        // The user's own hard-linked backup keeps its bytes.
        #expect(try Data(contentsOf: backup) == Data("a checkpoint the user keeps".utf8))
    }

    @Test("the background helper erases only a folder a wipe moved aside")
    func helperRefusesOthers() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let other = root.appendingPathComponent("documents")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("not Kith's".utf8).write(to: other.appendingPathComponent("letter.txt"))
        #expect(DeviceWipe.erase(folder: other.path).failures == [other.path])
        #expect(FileManager.default.fileExists(atPath: other.appendingPathComponent("letter.txt").path))
        // A deferred wipe renames the state folder aside; the helper finishes it.
        let state = root.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try Data("cache".utf8).write(to: state.appendingPathComponent("x.cache"))
        let report = DeviceWipe.wipe(keyfiles: [], stateDirectory: state, agentDirectory: nil, deferring: true)
        #expect(!FileManager.default.fileExists(atPath: state.path) && report.deferred.count == 1)
        let finished = DeviceWipe.erase(folder: report.deferred[0])
        #expect(finished.failures.isEmpty && finished.files == 1 && !FileManager.default.fileExists(atPath: report.deferred[0]))
    }
}

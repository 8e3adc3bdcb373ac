import Foundation
import Testing

@testable import KithSQLite
@testable import KithVault

/// A killed `attach add` leaves its sealed temporary in the vault's
/// attachment folder; the next attachment written there removes it, and
/// never one a running writer is still filling (found by the crash matrix).
@Suite("Attachment folder temporaries")
struct AttachmentFolderSweepTests {
    @Test("a dead writer's temporary goes with the next attachment; a live writer's, a link and another name stay")
    func sweep() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kith-sweep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let id = try Identifier.random()
        let dead = "\(folder)/.\(id).\(try PartialFileTests.deadPID()).partial"
        let live = "\(folder)/.\(id).1.partial"  // pid 1 is always running
        let other = "\(folder)/.notes.partial"
        let linked = "\(folder)/.\(try Identifier.random()).\(try PartialFileTests.deadPID()).partial"
        for path in [dead, live, other] { FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])) }
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: other)

        let store = AttachmentFolder(path: folder)
        let sink = try store.newAttachment(try Identifier.random())
        sink.discard()
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: other))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: linked)) == other)
    }
}

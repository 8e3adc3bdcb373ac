import Foundation
import GRDB
import Testing

/// A full disk (issue 25, part 3): the vault, its keyfiles and every state
/// folder on a small tmpfs the test mounts, filled to the last byte. Every
/// write ends with exit 74 and a plain message, nothing is half-written,
/// and everything works again once space is freed. Skipped, with a note,
/// where the machine does not let the test mount (it needs root or
/// CAP_SYS_ADMIN); KITH_REQUIRE_MOUNT=1 makes that a failure.
@Suite("A full disk", .serialized)
struct FullDiskCLITests {
    /// A tmpfs of `megabytes` on the harness's own folder, before anything is in it.
    static func mountSmallDisk(_ cli: CLIHarness, megabytes: Int) -> Bool {
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "kith-full-disk-test", cli.directory.path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return false }
        mount.waitUntilExit()
        return mount.terminationStatus == 0
    }

    static func unmount(_ cli: CLIHarness) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["-l", cli.directory.path]
        try? umount.run()
        umount.waitUntilExit()
    }

    /// Writes a filler file until the disk refuses another byte, leaving `spare` bytes free.
    static func fill(_ cli: CLIHarness, leaving spare: Int = 0) throws {
        let filler = cli.path("filler")
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        defer { try? handle.close() }
        for size in [1 << 16, 4096, 512, 1] {
            let chunk = Data(repeating: 0x5A, count: size)
            while free(cli) - size >= spare {
                do { try handle.write(contentsOf: chunk) } catch { break }
            }
        }
        try handle.synchronize()
    }

    static func free(_ cli: CLIHarness) -> Int {
        var stats = statvfs()
        guard statvfs(cli.directory.path, &stats) == 0 else { return 0 }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    static func release(_ cli: CLIHarness) throws { try FileManager.default.removeItem(atPath: cli.path("filler")) }

    /// A mounted harness with robin leading Trans Support, alex its case
    /// worker, kai an auditor, a member with a case; nil (and a note) when
    /// the machine does not allow mounting.
    static func smallDisk() throws -> (cli: CLIHarness, member: String, caseID: String)? {
        let cli = try CLIHarness()
        guard mountSmallDisk(cli, megabytes: 24) else {
            let note = "note: the full-disk tests need to mount a tmpfs (root or CAP_SYS_ADMIN); skipped here"
            if ProcessInfo.processInfo.environment["KITH_REQUIRE_MOUNT"] == "1" { Issue.record(Comment(rawValue: note)) }
            print(note)
            return nil
        }
        try cli.setUp(users: [("robin", "user"), ("alex", "user"), ("kai", "auditor")])
        for (arguments, user) in [
            (["group", "create", "Trans Support"], "ana"), (["share", "Trans Support", "--with", "robin", "--role", "lead"], "ana"),
            (["share", "Trans Support", "--with", "alex", "--role", "caseworker"], "robin"),
        ] {
            let result = try cli.run(arguments, as: user)
            guard result.code == 0 else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: result.err]) }
        }
        let member = try cli.id(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam", "--json"], as: "alex"))
        let caseID = try cli.id(
            try cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--member", member, "--field", "title=housing", "--json"], as: "alex"))
        return (cli, member, caseID)
    }

    /// The writes a case worker and a lead make in an evening.
    static func writes(member: String, caseID: String, cli: CLIHarness) -> [(name: String, arguments: [String], user: String, stdin: String?)] {
        [
            ("record add", ["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Noor"], "alex", nil),
            ("record update", ["record", "update", member, "--field", "pronouns=they"], "alex", nil),
            ("note add", ["note", "add", caseID, "--from-file", "-"], "alex", "Called back; safe to text.\n"),
            ("import", ["import", cli.path("people.csv"), "--group", "Trans Support", "--kind", "member"], "robin", nil),
            ("attach add", ["attach", "add", caseID, cli.path("letter.pdf"), "--name", "letter"], "alex", nil),
            ("group create", ["group", "create", "Night Shelter"], "ana", nil),
            ("revoke", ["revoke", "Trans Support", "--from", "alex", "--rewrap"], "robin", nil),
            ("record show", ["record", "show", member], "robin", nil),
            ("find", ["find", "Sam", "--group", "Trans Support"], "robin", nil),
        ]
    }

    @Test("on a disk with no byte free every write ends with exit 74 and a plain message; once space is freed nothing was half-written and each works")
    func fullDisk() throws {
        guard let (cli, member, caseID) = try Self.smallDisk() else { return }
        defer { Self.unmount(cli) }
        try Self.writeInputs(cli, people: 400, letterBytes: 300_000)
        let before = try cli.run(["record", "list", "--group", "Trans Support", "--json"], as: "robin")
        try #require(before.code == 0)
        let entriesBefore = try Self.entryCount(cli)

        try Self.fill(cli)
        for write in Self.writes(member: member, caseID: caseID, cli: cli) {
            let result = try cli.run(write.arguments, as: write.user, stdin: write.stdin)
            #expect(result.code == 74, "\(write.name): \(result.code) \(result.err)")
            #expect(result.err.contains("disk is full"), "\(write.name): \(result.err)")
            #expect(!result.err.contains("Fatal error") && !result.err.contains("backtrace"), "\(write.name): \(result.err)")
        }

        try Self.release(cli)
        #expect(try Self.entryCount(cli) == entriesBefore)
        let verified = try cli.run(["audit", "verify", "--json"])
        #expect(verified.code == 0, "\(verified.err)")
        let after = try cli.run(["record", "list", "--group", "Trans Support", "--json"], as: "robin")
        #expect(after.out == before.out)
        let leftovers = try Self.leftovers(cli)
        #expect(leftovers.isEmpty, "\(leftovers)")
        for write in Self.writes(member: member, caseID: caseID, cli: cli) {
            let result = try cli.run(write.arguments, as: write.user, stdin: write.stdin)
            #expect(result.code == 0, "\(write.name) after space was freed: \(result.err)")
        }
        #expect(try cli.run(["audit", "verify"]).code == 0)
    }

    @Test(
        "a disk that fills part way through an import or an attachment: exit 74, no entry, no partial file, and the same command works once space is freed",
        arguments: [("import", 160 << 10), ("attach add", 160 << 10), ("import", 400 << 10), ("attach add", 260 << 10)])
    func fillsDuringWrite(name: String, spare: Int) throws {
        guard let (cli, member, caseID) = try Self.smallDisk() else { return }
        defer { Self.unmount(cli) }
        try Self.writeInputs(cli, people: 2000, letterBytes: 600_000, longNames: true)
        let write = try #require(Self.writes(member: member, caseID: caseID, cli: cli).first { $0.name == name })
        let entriesBefore = try Self.entryCount(cli)

        try Self.fill(cli, leaving: spare)
        // The vault still opens and reads: the write itself runs out of space, part way.
        let reads = try cli.run(["group", "list"], as: write.user)
        #expect(reads.code == 0, "\(reads.err)")
        let failed = try cli.run(write.arguments, as: write.user, stdin: write.stdin)
        #expect(failed.code == 74, "\(name): \(failed.code) \(failed.err)")
        #expect(failed.err.contains("disk is full"), "\(name): \(failed.err)")
        let leftovers = try Self.leftovers(cli)
        #expect(leftovers.isEmpty, "\(leftovers)")

        try Self.release(cli)
        #expect(try Self.entryCount(cli) == entriesBefore)
        #expect(try cli.run(["audit", "verify"]).code == 0)
        let again = try cli.run(write.arguments, as: write.user, stdin: write.stdin)
        #expect(again.code == 0, "\(name) after space was freed: \(again.err)")
        #expect(try Self.entryCount(cli) > entriesBefore)
    }

    @Test("saving plaintext to a full disk (attach get, export): exit 74, no partial or temporary file left, and it works once space is freed")
    func savingToFullDisk() throws {
        guard let (cli, _, caseID) = try Self.smallDisk() else { return }
        defer { Self.unmount(cli) }
        try Self.writeInputs(cli, people: 2000, letterBytes: 600_000, longNames: true)
        try #require(try cli.run(["import", cli.path("people.csv"), "--group", "Trans Support", "--kind", "member"], as: "robin").code == 0)
        let attachment = try cli.id(try cli.run(["attach", "add", caseID, cli.path("letter.pdf"), "--name", "letter", "--json"], as: "alex"))
        try FileManager.default.removeItem(atPath: cli.path("letter.pdf"))
        try FileManager.default.removeItem(atPath: cli.path("people.csv"))
        let saves: [(name: String, arguments: [String], out: String)] = [
            ("attach get", ["attach", "get", attachment, "--out", cli.path("letter-out.pdf")], cli.path("letter-out.pdf")),
            ("export", ["export", "--group", "Trans Support", "--format", "csv", "--out", cli.path("everyone.csv")], cli.path("everyone.csv")),
        ]
        for save in saves {
            try Self.fill(cli, leaving: 96 << 10)
            let failed = try cli.run(save.arguments, as: "robin")
            #expect(failed.code == 74, "\(save.name): \(failed.code) \(failed.err)")
            #expect(failed.err.contains("disk is full"), "\(save.name): \(failed.err)")
            #expect(!FileManager.default.fileExists(atPath: save.out), "\(save.name) left its file")
            let leftovers = try Self.leftovers(cli)
            #expect(leftovers.isEmpty, "\(save.name) left \(leftovers)")
            try Self.release(cli)
            let again = try cli.run(save.arguments, as: "robin")
            #expect(again.code == 0, "\(save.name) after space was freed: \(again.err)")
            #expect(FileManager.default.fileExists(atPath: save.out))
        }
        #expect(try cli.run(["audit", "verify"]).code == 0)
    }

    /// The files the writes read: people.csv with `people` rows, letter.pdf of `letterBytes`.
    static func writeInputs(_ cli: CLIHarness, people: Int, letterBytes: Int, longNames: Bool = false) throws {
        let rows = (0..<people).map { "Person \($0)\(longNames ? " with a longer name" : ""),they,+961 3 \(100_000 + $0)" }.joined(separator: "\n")
        try Data(("name,pronouns,phone\n" + rows + "\n").utf8).write(to: URL(fileURLWithPath: cli.path("people.csv")))
        try Data(repeating: 0x25, count: letterBytes).write(to: URL(fileURLWithPath: cli.path("letter.pdf")))
    }

    /// Log entries in the vault, read straight from the file.
    static func entryCount(_ cli: CLIHarness) throws -> Int {
        let queue = try DatabaseQueue(path: cli.vault)
        defer { try? queue.close() }
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM log_entries") } ?? -1
    }

    /// Files a failed write may have left behind: partial attachments, temporaries.
    static func leftovers(_ cli: CLIHarness) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: cli.directory.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter {
            $0.contains(".kith-partial") || $0.hasSuffix(".partial") || $0.contains(".tmp") || $0.contains(".kith-tmp") || $0.hasSuffix("~")
        }
    }
}

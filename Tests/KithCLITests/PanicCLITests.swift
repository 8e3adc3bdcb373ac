import Foundation
import Testing

/// `kith panic` through the built binary (issue 24, first part): with an
/// agent unlocked, a search index built and caches written, one command
/// leaves nothing of the user's keys or cached data on the device.
@Suite("kith panic")
struct PanicCLITests {
    /// Every file under `folder`, recursively, as bytes (the marker scan).
    static func everyFile(under folder: URL) -> [(String, [UInt8])] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var out: [(String, [UInt8])] = []
        for case let url as URL in walker {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, let data = try? Data(contentsOf: url) {
                out.append((url.path, [UInt8](data)))
            }
        }
        return out
    }

    /// A device of its own for `user`: state and agent folders nobody else in the harness uses
    /// (a wipe takes every keyfile and agent of its device, as it should on a real one).
    static func device(_ cli: CLIHarness, _ user: String) -> [String: String] {
        ["KITH_STATE_DIR": cli.directory.appendingPathComponent("state-\(user)").path, "KITH_AGENT_DIR": cli.directory.appendingPathComponent("agent-\(user)").path]
    }

    /// Processes whose command line names `needle` (the agent holding a keyfile).
    static func processes(naming needle: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(needle) && line.contains(" agent ") ? pid : nil
        }
    }

    @Test("after panic: no keyfile, cache, index or agent is left, the vault and other users carry on, and a second panic is harmless")
    func wipes() throws {
        let cli = try CLIHarness.transSupport()
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam Rivera"], as: "robin").code == 0)
        let alexDevice = Self.device(cli, "alex")
        #expect(try cli.run(["find", "--group", "Trans Support", "sam"], as: "alex", environment: alexDevice).code == 0)
        let keyfile = cli.path("alex.kithid")
        #expect(try cli.run(["unlock", "--for", "10m"], as: "alex", environment: alexDevice).code == 0)
        #expect(!Self.processes(naming: keyfile).isEmpty, "the agent runs")
        let state = URL(fileURLWithPath: alexDevice["KITH_STATE_DIR"] ?? ""), agents = URL(fileURLWithPath: alexDevice["KITH_AGENT_DIR"] ?? "")
        #expect(Self.everyFile(under: state).contains { $0.0.hasSuffix(".search") }, "a search index was built")
        // A marker from the keyfile: its sealed secret line.
        let keyBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: keyfile)))
        let marker = Array(keyBytes.suffix(48))

        // Without --yes and with no one to ask, nothing happens.
        let unasked = try cli.run(["panic", "--identity", keyfile], environment: alexDevice)
        #expect(unasked.code == 64 && unasked.err.contains("--yes"))
        #expect(FileManager.default.fileExists(atPath: keyfile))

        let started = Date()
        let wiped = try cli.run(["panic", "--yes", "--identity", keyfile], environment: alexDevice)
        let elapsed = Date().timeIntervalSince(started)
        print("kith panic took \(Int(elapsed * 1000)) ms (process start included)")
        #expect(wiped.code == 0, "\(wiped.err)")
        #expect(wiped.out.isEmpty && wiped.err.isEmpty, "panic prints nothing unless asked")
        #expect(!FileManager.default.fileExists(atPath: keyfile))
        #expect(!FileManager.default.fileExists(atPath: state.path) && !FileManager.default.fileExists(atPath: agents.path))
        // The agent wiped its keys and stopped (it checks at least once a second).
        var waited = 0
        while !Self.processes(naming: keyfile).isEmpty && waited < 50 {
            Thread.sleep(forTimeInterval: 0.1)
            waited += 1
        }
        #expect(Self.processes(naming: keyfile).isEmpty, "the agent is gone")
        // Nothing of the keyfile is anywhere in the scratch folder (which holds the vault, the other users and the state).
        for (path, bytes) in Self.everyFile(under: cli.directory) {
            #expect(!bytes.contains(subsequence: marker), "keyfile bytes in \(path)")
        }

        // Robin and the vault carry on (robin's client rebuilds what this device forgot).
        #expect(try cli.run(["record", "list", "--group", "Trans Support"], as: "robin").code == 0)
        #expect(try cli.run(["audit", "verify"]).code == 0)
        // Alex's keyfile is gone, so alex's commands cannot open anything.
        #expect(try cli.run(["record", "list", "--group", "Trans Support", "--identity", keyfile]).code == 66)
        // Again: harmless, and --verbose says what it did.
        let again = try cli.run(["panic", "--yes", "--verbose", "--identity", keyfile], environment: alexDevice)
        #expect(again.code == 0 && again.err.contains("wiped"), "\(again.err)")
    }

    @Test("the wrong-passphrase limit wipes after N wrong passphrases in a row and not before; a right one resets the count; the wiping attempt looks like any wrong one")
    func wrongPassphraseLimit() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user")])
        let keyfile = cli.path("robin.kithid")
        let robinDevice = Self.device(cli, "robin")
        #expect(try cli.run(["group", "list"], as: "robin", environment: robinDevice).code == 0)
        #expect(try cli.run(["duress", "limit", "1"], environment: robinDevice).code == 64, "a typo must never wipe a device")
        let set = try cli.run(["duress", "limit", "3"], environment: robinDevice)
        #expect(set.code == 0 && set.out.contains("wiped after 3 wrong passphrases"), "\(set.out)")
        try Data("not robin's\n".utf8).write(to: URL(fileURLWithPath: cli.path("wrong.pass")))
        let wrong = ["--identity", keyfile, "--passphrase-file", cli.path("wrong.pass"), "--verbose"]
        // Two wrong, one right: the count starts again.
        let first = try cli.run(["group", "list"] + wrong, environment: robinDevice)
        #expect(first.code == 77)
        #expect(try cli.run(["unlock"] + wrong, environment: robinDevice).code == 77)
        #expect((try cli.run(["duress", "limit", "--json"], environment: robinDevice).json() as? [String: Any])?["wrong_in_a_row"] as? Int == 2)
        #expect(try cli.run(["group", "list"], as: "robin", environment: robinDevice).code == 0)
        #expect((try cli.run(["duress", "limit", "--json"], environment: robinDevice).json() as? [String: Any])?["wrong_in_a_row"] as? Int == 0)
        // Three wrong in a row: the third wipes, and says only what any wrong passphrase says.
        #expect(try cli.run(["group", "list"] + wrong, environment: robinDevice).code == 77)
        #expect(try cli.run(["group", "list"] + wrong, environment: robinDevice).code == 77)
        #expect(FileManager.default.fileExists(atPath: keyfile), "not before the limit")
        let third = try cli.run(["group", "list"] + wrong, environment: robinDevice)
        #expect(third.code == 77 && third.out == first.out)
        #expect(third.err.components(separatedBy: "\n").first == first.err.components(separatedBy: "\n").first, "\(third.err)")
        #expect(!FileManager.default.fileExists(atPath: keyfile))
        #expect(!FileManager.default.fileExists(atPath: robinDevice["KITH_STATE_DIR"] ?? ""))
        // The vault is untouched: ana still opens it.
        #expect(try cli.run(["group", "list"], as: "ana").code == 0)
    }

    @Test("the duress passphrase, given through a passphrase file, unlock, or KITH_PASSPHRASE, wipes the device and answers as a wrong passphrase")
    func duressPassphrase() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("lee", "user"), ("sky", "user")])
        for user in ["robin", "lee", "sky"] { #expect(try cli.run(["group", "list"], as: user).code == 0) }
        try Data("a duress passphrase, test-only\n".utf8).write(to: URL(fileURLWithPath: cli.path("duress.pass")))
        try Data("not the passphrase\n".utf8).write(to: URL(fileURLWithPath: cli.path("wrong.pass")))
        let same = try cli.run(["duress", "set", "--duress-passphrase-file", cli.path("robin.pass")], as: "robin")
        #expect(same.code == 64 && same.err.contains("must differ"), "\(same.err)")
        for user in ["robin", "lee", "sky"] {
            let set = try cli.run(["duress", "set", "--duress-passphrase-file", cli.path("duress.pass")], as: user)
            #expect(set.code == 0, "\(set.err)")
        }
        // The real passphrase still opens.
        #expect(try cli.run(["group", "list"], as: "robin").code == 0)
        // What a wrong passphrase looks like, to compare with.
        var started = Date()
        let wrong = try cli.run(["group", "list", "--identity", cli.path("robin.kithid"), "--passphrase-file", cli.path("wrong.pass")])
        let wrongTime = Date().timeIntervalSince(started)
        #expect(wrong.code == 77)
        // Robin, through a passphrase file, on a device that holds robin's cache and checkpoint.
        #expect(try cli.run(["group", "list"], as: "robin", environment: Self.device(cli, "robin")).code == 0)
        #expect(FileManager.default.fileExists(atPath: Self.device(cli, "robin")["KITH_STATE_DIR"] ?? ""))
        started = Date()
        let forced = try cli.run(
            ["group", "list", "--identity", cli.path("robin.kithid"), "--passphrase-file", cli.path("duress.pass")], environment: Self.device(cli, "robin"))
        let duressTime = Date().timeIntervalSince(started)
        print("wrong passphrase \(Int(wrongTime * 1000)) ms, duress passphrase \(Int(duressTime * 1000)) ms (one Argon2id derivation each)")
        #expect(forced.code == wrong.code && forced.out == wrong.out && forced.err == wrong.err, "\(forced.err)")
        // In the keyfile's place, one no passphrase opens: the real one is now just wrong, as any other.
        let after = try cli.run(["group", "list"], as: "robin")
        #expect(after.code == 77 && after.err == wrong.err, "\(after.err)")
        #expect(!FileManager.default.fileExists(atPath: Self.device(cli, "robin")["KITH_STATE_DIR"] ?? ""))
        // The state folder was moved aside at once and is overwritten in the background: soon nothing of it is left.
        var waited = 0
        let leftovers = { (try? FileManager.default.contentsOfDirectory(atPath: cli.directory.path))?.filter { $0.hasPrefix(".kith-wipe-") } ?? [] }
        while !leftovers().isEmpty && waited < 50 {
            Thread.sleep(forTimeInterval: 0.1)
            waited += 1
        }
        #expect(leftovers().isEmpty, "\(leftovers())")
        // Lee, through kith unlock (checked in the agent process).
        let unlock = try cli.run(
            ["unlock", "--identity", cli.path("lee.kithid"), "--passphrase-file", cli.path("duress.pass")], environment: Self.device(cli, "lee"))
        #expect(unlock.code == 77 && unlock.err.contains("wrong passphrase"), "\(unlock.err)")
        #expect(try cli.run(["group", "list"], as: "lee").code == 77)
        // Sky, with KITH_PASSPHRASE (a prompt's passphrase takes the same path: every source goes through one check).
        var skyDevice = Self.device(cli, "sky")
        skyDevice["KITH_PASSPHRASE"] = "a duress passphrase, test-only"
        let environment = try cli.run(["group", "list", "--identity", cli.path("sky.kithid")], environment: skyDevice)
        #expect(environment.code == 77, "\(environment.err)")
        #expect(try cli.run(["group", "list"], as: "sky").code == 77)
        // The vault and the admin are untouched.
        #expect(try cli.run(["group", "list"], as: "ana").code == 0)
    }

    @Test("with announce on and the identity unlocked, panic first signs a 'device wiped' entry; locked, or with it off, the log hears nothing")
    func announces() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("lee", "user"), ("sky", "user")])
        let entries = { () throws -> [[String: Any]] in (try cli.run(["audit", "log", "--type", "device-wiped", "--json"], as: "ana").json() as? [[String: Any]]) ?? [] }
        for user in ["robin", "lee", "sky"] {
            let device = Self.device(cli, user)
            #expect(try cli.run(["group", "list"], as: user, environment: device).code == 0)
            if user != "sky" { #expect(try cli.run(["duress", "announce", "on"], environment: device).code == 0) }
            if user != "lee" { #expect(try cli.run(["unlock", "--for", "10m"], as: user, environment: device).code == 0) }
        }
        let shown = try cli.run(["duress", "announce", "--json"], environment: Self.device(cli, "robin"))
        #expect((try shown.json() as? [String: Any])?["announce"] as? Bool == true)
        #expect(try cli.run(["duress", "announce", "maybe"], environment: Self.device(cli, "robin")).code == 64)
        // Robin: on and unlocked, so the log says it, before everything is wiped.
        let robin = try cli.run(["panic", "--yes", "--verbose", "--identity", cli.path("robin.kithid")], environment: Self.device(cli, "robin"))
        #expect(robin.code == 0 && robin.err.contains("after saying so in the vault's log"), "\(robin.err)")
        #expect(try entries().map { $0["actor"] as? String } == ["robin"])
        #expect(!FileManager.default.fileExists(atPath: cli.path("robin.kithid")))
        // Lee: on but locked (no passphrase is asked); Sky: unlocked but off. Neither says anything.
        #expect(try cli.run(["panic", "--yes", "--identity", cli.path("lee.kithid")], environment: Self.device(cli, "lee")).code == 0)
        #expect(try cli.run(["panic", "--yes", "--identity", cli.path("sky.kithid")], environment: Self.device(cli, "sky")).code == 0)
        #expect(try entries().count == 1)
        #expect(try cli.run(["audit", "verify"]).code == 0)
    }

    @Test("panic stops the device's other kith commands still running (they would write their caches back), and only this device's")
    func stopsOtherCommands() throws {
        let cli = try CLIHarness.transSupport()
        let caseID = try cli.id(cli.run(["record", "add", "--group", "Trans Support", "--kind", "case", "--field", "need=x", "--json"], as: "robin"))
        // A note being typed on each device: kith waits on standard input, holding the vault open.
        func waiting(_ user: String) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = cli.binary
            process.arguments = ["note", "add", caseID, "--identity", cli.path("\(user).kithid"), "--passphrase-file", cli.path("\(user).pass")]
            process.environment = cli.environment(Self.device(cli, user))
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, input)
        }
        let (alexTyping, alexInput) = try waiting("alex")
        let (robinTyping, robinInput) = try waiting("robin")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(alexTyping.isRunning && robinTyping.isRunning)
        let panic = try cli.run(["panic", "--yes", "--verbose", "--identity", cli.path("alex.kithid")], environment: Self.device(cli, "alex"))
        #expect(panic.code == 0 && panic.err.contains("1 other kith command"), "\(panic.err)")
        alexTyping.waitUntilExit()
        #expect(alexTyping.terminationReason == .uncaughtSignal && alexTyping.terminationStatus == SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: Self.device(cli, "alex")["KITH_STATE_DIR"] ?? ""), "nothing was written back")
        // Robin's device is another: the note is still being typed, and is added when it ends.
        #expect(robinTyping.isRunning)
        robinInput.fileHandleForWriting.write(Data("Called back.\n".utf8))
        try robinInput.fileHandleForWriting.close()
        robinTyping.waitUntilExit()
        #expect(robinTyping.terminationStatus == 0)
        try? alexInput.fileHandleForWriting.close()
    }

    @Test("typed at the terminal's prompt, the duress passphrase wipes the device; what the terminal shows is what a wrong passphrase shows")
    func duressAtThePrompt() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("lee", "user")])
        try Data("a duress passphrase, test-only\n".utf8).write(to: URL(fileURLWithPath: cli.path("duress.pass")))
        for user in ["robin", "lee"] {
            #expect(try cli.run(["duress", "set", "--duress-passphrase-file", cli.path("duress.pass")], as: user).code == 0)
            #expect(try cli.run(["group", "list"], as: user, environment: Self.device(cli, user)).code == 0)
        }
        // Lee types a wrong passphrase; robin types the duress one, each at the prompt of a terminal.
        let wrong = try cli.runInTerminal(
            ["group", "list", "--identity", cli.path("lee.kithid")], answering: "Passphrase for lee:", with: "not the passphrase", environment: Self.device(cli, "lee"))
        let forced = try cli.runInTerminal(
            ["group", "list", "--identity", cli.path("robin.kithid")], answering: "Passphrase for robin:", with: "a duress passphrase, test-only",
            environment: Self.device(cli, "robin"))
        #expect(wrong.code == 77 && forced.code == 77, "\(wrong.out)\(forced.out)")
        #expect(forced.out.replacingOccurrences(of: "robin", with: "lee") == wrong.out, "the terminal shows the same: \(forced.out) / \(wrong.out)")
        #expect(!forced.out.contains("duress") && !forced.out.contains("a duress passphrase, test-only"), "nothing typed is echoed or named")
        // Robin's keyfile no longer opens with the real passphrase, and robin's device state is gone; lee's is not.
        #expect(try cli.run(["group", "list"], as: "robin").code == 77)
        #expect(try cli.run(["group", "list"], as: "lee").code == 0)
        #expect(!FileManager.default.fileExists(atPath: Self.device(cli, "robin")["KITH_STATE_DIR"] ?? ""))
        #expect(FileManager.default.fileExists(atPath: Self.device(cli, "lee")["KITH_STATE_DIR"] ?? ""))
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}

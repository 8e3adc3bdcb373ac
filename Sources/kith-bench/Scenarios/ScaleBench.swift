import Foundation
import KithCrypto
import KithSQLite
import KithVault

/// `command-at-scale`: everyday commands as a case worker runs them, each a
/// fresh `kith` process through the unlock agent, on one vault grown to
/// each log size in turn (member records, case notes and logged reads
/// mixed as in real use, a quarter, a quarter and half).
///
/// The commands touch one small group (its 50 members, one case and its
/// notes) while the bulk of the history is in another group, as in a real
/// vault where an evening's work touches a little of a long history: the
/// question is whether a command pays for the history it does not touch.
///
/// Baseline: the same command on a vault of about 10 entries with the same
/// small group, in the same run. Each figure is the median wall time of
/// `runs` processes (spawn to exit). Also measured: the first command
/// after another user appended 1,000 entries.
enum ScaleBench {
    static let evening = "Evening Group"
    static let bulk = "Bulk Group"
    static let commandNames = ["note add", "record show", "record list", "group list", "find"]

    static func run(sizes: [Int], runs: Int, log: (String) -> Void) throws -> [BenchResult] {
        let kith = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kith")
        guard FileManager.default.isExecutableFile(atPath: kith.path) else {
            return [.unavailable("command-at-scale", "build kith beside kith-bench first (make bench does)")]
        }
        log("command-at-scale: baseline vault (about 10 entries)")
        let small = try ScaleVault(kith: kith)
        let baseline = try small.timeCommands(runs: runs)
        // What starting any process costs here, for reading the figures: `kith --version` opens nothing.
        let starts = try (0..<runs).map { _ in try small.timeCommand(["--version"], identity: false) }.sorted()
        let start = starts[starts.count / 2]
        log(String(format: "command-at-scale: starting kith (--version) takes %.1f ms", start * 1000))
        var results: [BenchResult] = []
        let grown = try ScaleVault(kith: kith)
        var first: [String: Double] = [:]
        var last: [String: Double] = [:]
        for size in sizes.sorted() {
            log("command-at-scale: growing the vault to \(size) entries (not timed)")
            try grown.grow(to: size)
            let times = try grown.timeCommands(runs: runs)
            let peak = try grown.peakKiB()
            let afterOthers = try grown.timeAfterOthersAppend(entries: 1000, runs: 3)
            if first.isEmpty { first = times }
            last = times
            let figures = commandNames.map { "\($0) \(String(format: "%.1f", (times[$0] ?? 0) * 1000)) ms" }.joined(separator: ", ")
            log(
                "command-at-scale \(size): \(figures); after another user appended 1,000: \(String(format: "%.0f", afterOthers * 1000)) ms; largest kith process \(peak / 1024) MiB"
            )
            for name in commandNames {
                guard let seconds = times[name], let base = baseline[name] else { continue }
                results.append(
                    BenchResult(
                        name: "command-at-scale \(name) \(AuditBench.sizeLabel(size))", n: 1, seconds: seconds, unit: "commands/s",
                        baseline: "same command, 10-entry vault", baselineSeconds: base,
                        note: String(format: "median of %d fresh processes through the agent: %.1f ms (baseline %.1f ms)", runs, seconds * 1000, base * 1000)))
            }
            results.append(
                BenchResult(
                    name: "command-at-scale first after 1,000 others \(AuditBench.sizeLabel(size))", n: 1, seconds: afterOthers, unit: "commands/s",
                    baseline: "group list, 10-entry vault", baselineSeconds: baseline["group list"],
                    note: String(
                        format: "group list after another user appended 1,000 entries: %.0f ms (median of 3); the largest timed kith process peaked at %d MiB",
                        afterOthers * 1000, peak / 1024)))
        }
        results.append(
            BenchResult(
                name: "command-at-scale process start", n: 1, seconds: start, unit: "starts/s", baseline: "-", baselineSeconds: nil,
                note: String(format: "kith --version from this process: %.1f ms (in every figure above)", start * 1000)))
        if sizes.count > 1 {
            let ratios = commandNames.map { name in
                "\(name) \(String(format: "%.2f", (last[name] ?? 0) / max(first[name] ?? 1, 1e-9)))"
            }
            log("command-at-scale: \(AuditBench.sizeLabel(sizes.max() ?? 0))/\(AuditBench.sizeLabel(sizes.min() ?? 0)) time ratios: \(ratios.joined(separator: ", "))")
            results.append(
                .unavailable(
                    "command-at-scale \(AuditBench.sizeLabel(sizes.max() ?? 0))/\(AuditBench.sizeLabel(sizes.min() ?? 0))",
                    "time ratios (1.0 = no slower): " + ratios.joined(separator: ", ")))
        }
        return results
    }
}

/// The vault the scale scenario grows: a lead who works in a small group,
/// a case worker who adds to the log too, and a bulk group holding most of the history.
final class ScaleVault {
    let directory: URL
    let kith: URL
    let path: String
    let stateDirectory: String
    let agentDirectory: String
    let lead: UnlockedIdentity
    let caseworker: UnlockedIdentity
    let leadVault: Vault
    let otherVault: Vault
    let keyfilePath: String
    let caseID: RecordID
    let memberID: RecordID
    private var bulkIDs: [RecordID] = []
    private var bulkCase: RecordID?
    private let server: ServerBox
    /// The largest peak resident memory of the everyday commands, run once
    /// each outside the timing, in KiB (0: /usr/bin/time is not installed).
    func peakKiB() throws -> Int {
        let environment = commandEnvironment
        var peak = 0
        for name in ScaleBench.commandNames {
            let (arguments, stdin) = arguments(name)
            peak = max(peak, try Spawn.peakKiB(kith.path, arguments + ["--identity", keyfilePath], environment: environment, stdin: stdin) ?? 0)
        }
        return peak
    }

    init(kith: URL) throws {
        self.kith = kith
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-bench-scale-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("vault.kith").path
        stateDirectory = directory.appendingPathComponent("state").path
        agentDirectory = directory.appendingPathComponent("agent").path
        let founder = try UnlockedIdentity.generate()
        lead = try UnlockedIdentity.generate()
        caseworker = try UnlockedIdentity.generate()
        let admin = try Vault.found(store: SQLiteVaultStore(path: path, create: true), founder: founder, handle: Handle("admin"))
        _ = try admin.approve(EnrollmentRequest.make(holder: lead, handle: Handle("lead"), vaultFingerprint: nil), role: .user)
        _ = try admin.approve(EnrollmentRequest.make(holder: caseworker, handle: Handle("sam"), vaultFingerprint: nil), role: .user)
        for group in [ScaleBench.evening, ScaleBench.bulk] {
            try admin.createGroup(name: group)
            try admin.share(groupName: group, with: "lead", role: .lead)
        }
        // The lead's own vault remembers and caches as the CLI does, so its commits keep the cache current.
        let memory = CheckpointMemory(directory: URL(fileURLWithPath: stateDirectory))
        leadVault = try Vault(store: SQLiteVaultStore(path: path), holder: lead, memory: memory)
        try leadVault.share(groupName: ScaleBench.bulk, with: "sam", role: .caseworker)
        let members = try leadVault.addRecords(groupName: ScaleBench.evening, kind: .member, (0..<50).map { try BenchVault.memberFields($0) })
        memberID = members[0]
        caseID = try leadVault.addRecord(groupName: ScaleBench.evening, kind: .case, fields: [RecordField.parse("need=housing", kind: .case)])
        _ = try leadVault.addRecords(groupName: ScaleBench.evening, kind: .note, (0..<20).map { [try RecordField(compartment: .notes, name: "text", value: "Note \($0)")] }, parent: caseID)
        otherVault = try Vault(store: SQLiteVaultStore(path: path), holder: caseworker)

        var passphraseBytes = Array("bench-only passphrase, not a real one".utf8)
        let passphrase = try SecureBytes(wiping: &passphraseBytes)
        let keyfile = try IdentityKeyfile.seal(lead, handle: Handle("lead"), vaultFingerprint: leadVault.state.fingerprint, passphrase: passphrase, profile: .interactive)
        keyfilePath = directory.appendingPathComponent("lead.kithid").path
        try Data(keyfile.fileBytes).write(to: URL(fileURLWithPath: keyfilePath))
        try FileManager.default.createDirectory(atPath: agentDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        server = ServerBox(try AgentServer(holder: lead, socketPath: agentDirectory + "/\(lead.identity.userID).sock", keyfilePath: keyfilePath, idleLimit: 3600))
        let box = server
        Thread.detachNewThread { _ = box.server.serve() }
    }

    deinit {
        if let client = AgentClient.connect(socketPath: agentDirectory + "/\(lead.identity.userID).sock", identity: lead.identity) { try? client.lockAgent() }
        // KITH_BENCH_KEEP=1 keeps the vault for a closer look (its folder is printed).
        if ProcessInfo.processInfo.environment["KITH_BENCH_KEEP"] == "1" {
            FileHandle.standardError.write(Data("command-at-scale: kept \(directory.path)\n".utf8))
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Adds member records, case notes and reads in the bulk group until the log holds `size` entries.
    func grow(to size: Int) throws {
        while leadVault.state.count < UInt64(size) {
            let room = size - Int(leadVault.state.count)
            let batch = min(2000, max(1, room / 4))
            if bulkCase == nil {
                bulkCase = try leadVault.addRecord(groupName: ScaleBench.bulk, kind: .case, fields: [RecordField.parse("need=travel", kind: .case)])
            }
            let start = bulkIDs.count
            bulkIDs += try leadVault.addRecords(
                groupName: ScaleBench.bulk, kind: .member,
                (0..<batch).map { [try RecordField.parse("name=Bulk \(start + $0)", kind: .member), try RecordField.parse("phone=+44 7700 \(900_000 + $0)", kind: .member)] })
            guard let bulkCase, leadVault.state.count < UInt64(size) else { continue }
            let notes = min(batch, size - Int(leadVault.state.count))
            _ = try leadVault.addRecords(groupName: ScaleBench.bulk, kind: .note, (0..<notes).map { [try RecordField(compartment: .notes, name: "text", value: "Bulk note \($0)")] }, parent: bulkCase)
            let reads = min(2 * batch, size - Int(leadVault.state.count))
            if reads > 0 { _ = try leadVault.readRecords((0..<reads).map { bulkIDs[(start + $0) % bulkIDs.count] }) }
        }
        try otherVault.refresh()
    }

    /// Runs one kith command as the lead through the agent; returns its wall time.
    /// What each kith process here sees: this vault, its state and agent folders, no colour.
    var commandEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_VAULT"] = path
        environment["KITH_STATE_DIR"] = stateDirectory
        environment["KITH_AGENT_DIR"] = agentDirectory
        environment["NO_COLOR"] = "1"
        return environment
    }

    func timeCommand(_ arguments: [String], stdin: String? = nil, identity: Bool = true) throws -> Double {
        let environment = commandEnvironment
        let clock = ContinuousClock()
        let started = clock.now
        let (status, errors) = try Spawn.run(kith.path, arguments + (identity ? ["--identity", keyfilePath] : []), environment: environment, stdin: stdin)
        let elapsed = clock.now - started
        guard status == 0 else { throw BenchFailure("kith \(arguments.joined(separator: " ")) failed: \(errors)") }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func arguments(_ name: String) -> (arguments: [String], stdin: String?) {
        switch name {
        case "note add": return (["note", "add", caseID.description, "--from-file", "-"], "A note from the evening shift")
        case "record show": return (["record", "show", memberID.description], nil)
        case "record list": return (["record", "list", "--group", ScaleBench.evening], nil)
        // The warm-up run builds the lead's index of the group; the timed ones search it.
        case "find": return (["find", "--group", ScaleBench.evening, "Member 7"], nil)
        default: return (["group", "list"], nil)
        }
    }

    /// The median wall time of each everyday command over `runs` fresh processes (after one warm-up each).
    func timeCommands(runs: Int) throws -> [String: Double] {
        var medians: [String: Double] = [:]
        for name in ScaleBench.commandNames {
            let (arguments, stdin) = arguments(name)
            _ = try timeCommand(arguments, stdin: stdin)
            let times = try (0..<runs).map { _ in try timeCommand(arguments, stdin: stdin) }.sorted()
            medians[name] = times[times.count / 2]
        }
        try leadVault.refresh()
        return medians
    }

    /// Another user appends `entries` log entries (reads); then the lead's next command is timed.
    func timeAfterOthersAppend(entries: Int, runs: Int) throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            try otherVault.refresh()
            _ = try otherVault.readRecords((0..<entries).map { bulkIDs[$0 % max(1, bulkIDs.count)] })
            times.append(try timeCommand(["group", "list"]))
        }
        try leadVault.refresh()
        return times.sorted()[times.count / 2]
    }
}

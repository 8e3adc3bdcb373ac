import Foundation
import KithCrypto
import KithVault

/// `share-vs-age`: making 1,000 records readable by a group of 50 users.
///
/// Kith: the group's keys are sealed to each member once, when they join;
/// a record is then one symmetric encryption and one signature, however
/// many members there are. Measured: the 1,000 records written in one
/// batch, and separately the 49 shares that distribute the keys.
///
/// Baseline (same run, same bytes): the `age` tool encrypting the same
/// 1,000 records, one file each, to the same group's 50 X25519 recipients,
/// as a network sharing files with age would.
enum ShareBench {
    static func run(records: Int, users: Int, log: (String) -> Void) throws -> [BenchResult] {
        guard let age = AgeTool.find() else { return [.unavailable("share-vs-age", AgeTool.missing)] }
        log("share-vs-age: \(users) users, \(records) records; age \(try age.run(age.age, ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines))")
        let vault = try BenchVault(members: 0, records: 0)
        let folder = vault.directory.appendingPathComponent("age")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        // Kith: the lead shares the group with 49 more users (timed apart), then writes the records.
        let admin = try vault.open(vault.path, as: vault.founder)
        var handles: [String] = []
        for index in 1..<users {
            let handle = "member\(index)"
            _ = try admin.approve(EnrollmentRequest.make(holder: UnlockedIdentity.generate(), handle: Handle(handle), vaultFingerprint: nil), role: .user)
            handles.append(handle)
        }
        let lead = try vault.open(vault.path, as: vault.lead)
        let fields = try (0..<records).map { try BenchVault.memberFields($0) }
        let shareSeconds = try measure {
            for handle in handles { try lead.share(groupName: BenchVault.group, with: handle, role: .caseworker) }
        }
        var ids: [RecordID] = []
        let writeSeconds = try measure { ids = try lead.addRecords(groupName: BenchVault.group, kind: .member, fields) }
        guard ids.count == records, lead.state.groups.values.first?.members.count == users else {
            throw BenchFailure("share-vs-age wrote \(ids.count) records for \(lead.state.groups.values.first?.members.count ?? 0) members")
        }

        // age: the same records as files, each encrypted to the 50 members' keys.
        var recipients: [String] = []
        for index in 0..<users { recipients.append(try age.newIdentity(at: folder.appendingPathComponent("id\(index).txt").path)) }
        let recipientsFile = folder.appendingPathComponent("recipients.txt").path
        try recipients.joined(separator: "\n").write(toFile: recipientsFile, atomically: true, encoding: .utf8)
        var inputs: [String] = []
        for (index, record) in fields.enumerated() {
            let path = folder.appendingPathComponent("record\(index).txt").path
            try record.map { "\($0.compartment):\($0.name)=\($0.value)" }.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
            inputs.append(path)
        }
        let ageSeconds = try measure {
            for input in inputs { try age.run(age.age, ["-R", recipientsFile, "-o", input + ".age", input]) }
        }
        // Check that age did what was measured: a member can open a file.
        let opened = try age.run(age.age, ["-d", "-i", folder.appendingPathComponent("id\(users - 1).txt").path, inputs[0] + ".age"])
        guard opened.hasPrefix("profile:name=Member 0") else { throw BenchFailure("age's output did not open") }

        log("share-vs-age: Kith \(String(format: "%.3f", writeSeconds)) s (+ \(String(format: "%.2f", shareSeconds)) s sharing), age \(String(format: "%.2f", ageSeconds)) s")
        return [
            BenchResult(
                name: "share-vs-age", n: records, seconds: writeSeconds, unit: "records/s", baseline: "age, \(users) recipients",
                baselineSeconds: ageSeconds, note: "goal: at least 100x age; Kith's one-time sharing with \(users - 1) users is the next line"),
            BenchResult(
                name: "share-vs-age +sharing", n: records, seconds: writeSeconds + shareSeconds, unit: "records/s",
                baseline: "age, \(users) recipients", baselineSeconds: ageSeconds, note: nil),
        ]
    }
}

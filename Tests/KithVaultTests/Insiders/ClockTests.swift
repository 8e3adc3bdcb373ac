import Foundation
import KithCrypto
import Testing
@testable import KithVault

/// An entry's time is its writer's claim. A claim further back than the
/// stated skew before the entry before it is refused by every client; one
/// within it is kept, and the audit log shows both times.
@Suite("Writers' clocks")
struct ClockTests {
    static let hour: UInt64 = 3600 * 1000

    @Test("an entry backdated by more than a day before the one before it is refused by every client")
    func backdated() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari")]))
        var attacker = try Attacker(identity: #require(fixture.identities["cw-tra"]), store: fixture.store())
        attacker.timeMillis = lead.state.headTimeMillis - 25 * Self.hour
        let forged = try attacker.append(.recordRead(record: id, version: 1))
        #expect {
            _ = try fixture.open("lead-tra")
        } throws: { error in
            guard let error = error as? KithVaultError else { return false }
            return error.code == .invalidEntry && error.entry == Int(forged.seq) && error.reason.contains("more than 24 hours before")
        }
    }

    @Test("a writer whose clock is more than a day behind writes at the earliest time allowed, keeping its clock in the details; a few hours behind is kept and shown")
    func slowClock() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        try fixture.enroll("kai", role: .auditor)
        let kai = try fixture.open("kai")
        try kai.shareAuditKey()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari")]))
        let head = lead.state.headTimeMillis
        try caseworker.refresh()
        caseworker.clock = { head - 30 * Self.hour }
        _ = try caseworker.readRecord(id)
        try kai.refresh()
        let clamped = try #require(try kai.auditLog(AuditLogFilter(type: .recordRead)).last)
        #expect(clamped.timeMillis == head - 24 * Self.hour)
        #expect(clamped.previousTimeMillis != nil)
        #expect(clamped.details?.contains { $0.key == "writer's clock" && $0.value == Timestamp.iso8601(millis: head - 30 * Self.hour) } == true)
        // Every client accepts it.
        #expect(try fixture.open("lead-tra").state.count == kai.state.count)

        let newest = try fixture.open("lead-tra").state.headTimeMillis
        caseworker.clock = { newest - 3 * Self.hour }
        _ = try caseworker.readRecord(id)
        try kai.refresh()
        let line = try #require(try kai.auditLog(AuditLogFilter(type: .recordRead)).last)
        #expect(line.previousTimeMillis == newest)
        #expect(line.timeMillis == newest - 3 * Self.hour)
        #expect(line.details?.contains { $0.key == "writer's clock" } == false)
    }

    @Test("an entry dated far in the future neither crashes a client nor freezes the vault", arguments: [UInt64.max, 253_402_300_799_000])
    func futureDated(time: UInt64) throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari")]))
        var attacker = try Attacker(identity: #require(fixture.identities["cw-tra"]), store: fixture.store())
        attacker.timeMillis = time
        try attacker.append(.recordRead(record: id, version: 1))
        // Everyone still opens and writes (dated at the earliest time allowed after it).
        let reopened = try fixture.open("lead-tra")
        _ = try reopened.readRecord(id)
        let last = try LogEntry.decode(#require(try fixture.store().entry(at: reopened.state.count - 1)))
        #expect(last.timeMillis == time - VaultState.maxClockSkewMillis)
        #expect(reopened.state.headTimeMillis == time)
        #expect(try fixture.open("cw-tra").auditLog().count == Int(reopened.state.count))
        // Shown as a time, whatever it is.
        #expect(!Timestamp.iso8601(millis: time).isEmpty)
    }
}

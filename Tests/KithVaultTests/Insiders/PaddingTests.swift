import Foundation
import KithCrypto
import Testing
@testable import KithVault

/// A thief with a copy of the store learns only the bucket of a sealed
/// handle, group name or list of details, never its exact length.
@Suite("Sealed lengths a thief sees")
struct PaddingTests {
    @Test("handles and group names of different lengths seal to the same length within a bucket", arguments: [("Ana", "Alexandria-Maria"), ("دعم", "مجموعة الدعم النفسي")])
    func names(short: String, long: String) throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: short)
        try fixture.admin.createGroup(name: long)
        let sealed = fixture.admin.state.groups.values.map(\.sealedName.count)
        #expect(Set(sealed).count == 1, "\(sealed)")
        try fixture.enroll("sam")
        try fixture.enroll("alexandria-maria")
        let handles = fixture.admin.state.users.values.map(\.sealedHandle.count)
        #expect(Set(handles).count == 1, "\(handles)")
        // And they read back exactly.
        #expect(try fixture.open("sam").groups().map(\.name).sorted() == [short, long].sorted())
    }

    @Test("a group name of 128 characters but more than 512 bytes is refused before anything is written (its sealed form would not fit)")
    func longName() throws {
        let fixture = try VaultFixture()
        let before = fixture.admin.state.count
        #expect {
            try fixture.admin.createGroup(name: String(repeating: "👨‍👩‍👧", count: 128))
        } throws: { error in
            (error as? KithVaultError)?.reason.contains("512 bytes") == true
        }
        #expect(fixture.admin.state.count == before)
        #expect(throws: Never.self) { try fixture.admin.createGroup(name: String(repeating: "م", count: 128)) }
    }

    @Test("the bucket rule: 64 bytes up to 4 KiB by powers of two, then multiples of 4 KiB, always at least one byte of padding")
    func buckets() {
        #expect(SealedLength.bucket(for: 0) == 64)
        #expect(SealedLength.bucket(for: 63) == 64)
        #expect(SealedLength.bucket(for: 64) == 128)
        #expect(SealedLength.bucket(for: 4095) == 4096)
        #expect(SealedLength.bucket(for: 4096) == 8192)
        #expect(SealedLength.bucket(for: 9000) == 12288)
    }

    @Test("entry details of different lengths within a bucket seal to the same length, and an auditor reads them exactly")
    func details() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let auditor = try fixture.enroll("kai", role: .auditor)
        try auditor.shareAuditKey()
        // The same action and group; field names of 21 and 40 letters: 83 and 102 bytes of details, one bucket (128).
        let first = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([(String(repeating: "a", count: 21), "1")]))
        let second = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([(String(repeating: "b", count: 40), "2")]))
        let store = try fixture.store()
        let lengths = try store.entries(from: 0).map { try LogEntry.decode($0) }
            .filter { if case .recordWritten(let id, _, _, _, _, _, _, _) = $0.body { return id == first || id == second } else { return false } }
            .map(\.details.count)
        #expect(lengths.count == 2 && Set(lengths).count == 1, "\(lengths)")
        try auditor.refresh()
        #expect(try auditor.auditLog(AuditLogFilter(record: second)).first?.details?.first { $0.key == "fields" }?.value == String(repeating: "b", count: 40))
    }
}

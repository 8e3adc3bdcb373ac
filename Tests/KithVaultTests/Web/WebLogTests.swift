import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// The log page: an auditor reads who did what with the sealed details
/// (what was read, and why), everyone else the public part; filters narrow
/// it, and a filter that cannot be used says why.
@Suite("Web interface: the log")
struct WebLogTests {

    @Test("an auditor sees a read with its sealed details; a case worker sees another's entry sealed; filters by person, record and date")
    func auditorReadsDetails() async throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup()
        try fixture.enroll("kai", role: .auditor)
        try fixture.open("kai").shareAuditKey()
        try lead.refresh()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Ari"), ("pronouns", "they/them")]))
        try caseworker.refresh()
        try caseworker.setAccessReason("checking pronouns-marker")
        _ = try caseworker.readRecord(id)
        let auditor = try await WebHarness.signedIn(as: "kai", fixture)
        let everything = await auditor.post("/log", [])
        #expect(everything.status == 200 && everything.text.contains("checking pronouns-marker") && everything.text.contains("cw-tra"))
        let byRecord = await auditor.post("/log", [("record", id.description), ("actor", "cw-tra")])
        #expect(byRecord.text.contains("checking pronouns-marker") && !byRecord.text.contains("created group"))
        let future = await auditor.post("/log", [("since", "2999-01-01")])
        #expect(future.text.contains("No entry matches."))
        // The lead is no auditor: the case worker's read is there, its details sealed.
        let leadView = try await WebHarness.signedIn(as: "lead-tra", fixture).post("/log", [("actor", "cw-tra")])
        #expect(leadView.status == 200 && !leadView.text.contains("checking pronouns-marker") && leadView.text.contains(">sealed<"))
    }

    @Test(
        "a filter that cannot be used is refused with the form, naming what is wrong",
        arguments: [
            ("since", "yesterday"), ("actor", "nobody-by-that-name"), ("type", "party"), ("record", "zz"),
        ])
    func badFilter(field: String, value: String) async throws {
        let fixture = try VaultFixture()
        _ = try fixture.standardGroup()
        let response = try await WebHarness.signedIn(as: "lead-tra", fixture).post("/log", [(field, value)])
        #expect(response.status == 400 && response.text.contains("role=\"alert\"") && response.text.contains("action=\"/log\""))
    }
}

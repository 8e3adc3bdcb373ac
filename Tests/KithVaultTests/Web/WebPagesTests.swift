import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// What the pages show, and what they must never show: search as case
/// workers type, a record by compartment with what is withheld, reasons
/// asked for, hostile content shown inert, a revoked user shown nothing,
/// and every page in Arabic (right to left) and English.
@Suite("Web interface: pages")
struct WebPagesTests {

    @Test("search finds an Arabic name typed without tashkeel, keeps the text out of the address, and links the record")
    func search() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "مُحَمَّد علي"), ("phone", "+44 7700 900123")]))
        _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam Rivera")]))
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let response = await web.post("/find", [("q", "محمد"), ("group", ""), ("kind", "")])
        #expect(response.status == 200)
        #expect(response.text.contains("href=\"/records/\(id.description)\""))
        #expect(response.text.contains("مُحَمَّد علي") && !response.text.contains("Sam Rivera"))
        // The typed text stays in the box (escaped), and the form posts: never in a URL.
        #expect(response.text.contains("value=\"محمد\"") && response.text.contains("method=\"post\" action=\"/find\""))
        // A phone typed with its country code or without.
        #expect(await web.post("/find", [("q", "07700 900123")]).text.contains(id.description))
        let none = await web.post("/find", [("q", "nobody-here")])
        #expect(none.text.contains("No record matches."))
    }

    @Test("a query the search cannot take comes back with the form and the reason, not a crash", arguments: ["name=\"Sam", "", "   ", "kind=x"])
    func badQuery(text: String) async throws {
        let fixture = try VaultFixture()
        _ = try fixture.standardGroup()
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let response = await web.post("/find", [("q", text), ("kind", text == "kind=x" ? "spaceship" : "")])
        #expect(response.status == 400)
        #expect(response.text.contains("role=\"alert\"") && response.text.contains("<form method=\"post\" action=\"/find\""))
    }

    @Test("a record shows its fields by compartment; a viewer sees sensitive fields as withheld and never their value")
    func recordByCompartment() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(
            groupName: "Trans Support", kind: .member,
            fields: fields([("name", "Sam Rivera"), ("pronouns", "they/them"), ("sensitive:hiv_status", "positive-marker")]))
        let leadPage = try await WebHarness.signedIn(as: "lead-tra", fixture).get("/records/\(id.description)")
        #expect(leadPage.status == 200 && leadPage.text.contains("positive-marker") && leadPage.text.contains("<h2>Sensitive</h2>"))
        let viewerPage = try await WebHarness.signedIn(as: "viewer-tra", fixture).get("/records/\(id.description)")
        #expect(viewerPage.status == 200)
        #expect(viewerPage.text.contains("Sam Rivera") && !viewerPage.text.contains("positive-marker") && !viewerPage.text.contains("hiv_status"))
        #expect(viewerPage.text.contains("<h2>Withheld</h2>"))
        // History: who wrote which version.
        #expect(viewerPage.text.contains("<h2>History</h2>") && viewerPage.text.contains("lead-tra"))
    }

    @Test("a record id that is not one, or names no record, is a clear page, not a crash", arguments: ["zz", "../../etc/passwd", "0123456789abcdef0123456789abcdef", "%2e%2e"])
    func badRecordID(text: String) async throws {
        let fixture = try VaultFixture()
        _ = try fixture.standardGroup()
        let response = try await WebHarness.signedIn(as: "cw-tra", fixture).get("/records/\(text)")
        #expect(response.status == 404)
        #expect(response.text.contains("<h1>Not found</h1>"))
    }

    @Test("a group that asks reasons gets one before sensitive fields open; a bad reason is refused with the form")
    func reasons() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        var policy = try lead.policy(groupName: "Trans Support")
        policy.reasons = [.sensitiveReads]
        _ = try lead.setPolicy(groupName: "Trans Support", policy)
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam"), ("sensitive:hiv_status", "reason-marker")]))
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        let asked = await web.get("/records/\(id.description)")
        #expect(asked.text.contains("Why are you reading this?") && !asked.text.contains("reason-marker"))
        let refused = await web.post("/records/\(id.description)", [("reason", "   ")])
        #expect(refused.status == 400 && !refused.text.contains("reason-marker"))
        let opened = await web.post("/records/\(id.description)", [("reason", "follow-up call")])
        #expect(opened.status == 200 && opened.text.contains("reason-marker"))
        // The reason covered that read only: the next one asks again.
        #expect(await web.get("/records/\(id.description)").text.contains("Why are you reading this?"))
    }

    @Test("hostile content (markup, script, bidi overrides, terminal escapes) is shown inert on every page")
    func hostileContent() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let hostile = "<script>alert(1)</script>\u{202E}gnp.exe\u{1B}[2J\" onmouseover=\"x"
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam " + hostile)]))
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        for page in [await web.get("/records/\(id.description)"), await web.post("/find", [("q", "sam")])] {
            #expect(page.status == 200)
            #expect(!page.text.contains("<script") && !page.text.contains("\u{202E}") && !page.text.contains("\u{1B}"))
            #expect(page.text.contains("&lt;script&gt;") && page.text.contains("&lt;U+202E&gt;") && page.text.contains("&lt;U+001B&gt;"))
            #expect(!page.text.contains("\" onmouseover=\""))
        }
        // What was typed is shown back inert too.
        let typed = await web.post("/find", [("q", "\"><script>x</script>")])
        #expect(!typed.text.contains("<script>x"))
    }

    @Test("a user revoked from the group is shown no content of it, and their search finds nothing of it")
    func revoked() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam Rivera")]))
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        #expect(await web.post("/find", [("q", "sam")]).text.contains("Sam Rivera"))
        try lead.revoke(groupName: "Trans Support", from: "cw-tra")
        let page = await web.get("/records/\(id.description)")
        #expect(page.status == 403 && !page.text.contains("Sam Rivera"))
        let search = await web.post("/find", [("q", "sam")])
        #expect(!search.text.contains("Sam Rivera"))
    }

    @Test(
        "the browser's language picks the page's; Arabic pages are right to left; the switch's choice wins",
        arguments: [
            ("ar-EG,ar;q=0.9,en;q=0.8", "ar"), ("en-GB,en;q=0.9", "en"), ("fr-FR,ar;q=0.5", "ar"), ("de", "en"), ("en;q=0.2,ar;q=0.8", "ar"),
        ])
    func language(header: String, expected: String) async throws {
        let fixture = try VaultFixture()
        _ = try fixture.standardGroup()
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let page = await web.get("/find", extra: ["Accept-Language": header])
        #expect(page.text.contains("<html lang=\"\(expected)\" dir=\"\(expected == "ar" ? "rtl" : "ltr")\">"))
        if expected == "ar" { #expect(page.text.contains("البحث عن شخص")) }
        web.language = expected == "ar" ? "en" : "ar"
        let switched = await web.get("/find", extra: ["Accept-Language": header])
        #expect(switched.text.contains("<html lang=\"\(web.language ?? "")\""))
    }

    @Test("Arabic pages: a Latin name and numbers are isolated, ids and commands stay left to right")
    func arabicMixedDirection() async throws {
        let fixture = try VaultFixture()
        try fixture.admin.createGroup(name: "دعم")
        let lead = try fixture.enroll("أمل")
        try fixture.admin.share(groupName: "دعم", with: "أمل", role: .lead)
        try lead.refresh()
        let id = try lead.addRecord(groupName: "دعم", kind: .member, fields: fields([("الاسم", "Sam Rivera"), ("phone", "+44 7700 900123")]))
        let web = try await WebHarness.signedIn(as: "أمل", fixture)
        web.language = "ar"
        let page = await web.get("/records/\(id.description)")
        #expect(page.text.contains("dir=\"rtl\""))
        #expect(page.text.contains("<bdi>Sam Rivera</bdi>") && page.text.contains("<bdi><span dir=\"ltr\">+44 7700 900123</span></bdi>"))
        #expect(page.text.contains("<bdi dir=\"ltr\">\(id.description)</bdi>"))
        #expect(page.text.contains("المجموعة: <bdi>دعم</bdi>"))
    }

    @Test("a case lists its attachments by name and size; one sealed where the role may not read is listed as withheld, its name never shown")
    func attachments() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let file = fixture.directory.appendingPathComponent("letter.txt")
        try Data(repeating: 65, count: 4200).write(to: file)
        try lead.addAttachment(caseID: caseID, file: file.path, name: "tenancy-letter.pdf")
        try lead.addAttachment(caseID: caseID, file: file.path, name: "medical-secret.pdf", compartment: .sensitive)
        let page = try await WebHarness.signedIn(as: "cw-tra", fixture).get("/records/\(caseID.description)")
        #expect(page.text.contains("tenancy-letter.pdf") && page.text.contains("4.2 KB"))
        #expect(!page.text.contains("medical-secret") && page.text.contains("withheld from your role"))
        #expect(page.text.contains("enctype=\"multipart/form-data\"") && page.text.contains("<a href=\"/attachments/"))
    }

    @Test("a group's page shows its signed policy: who reads and writes which part, and whether reasons are asked")
    func policy() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.group(named: "Trans Support").id.description
        let web = try await WebHarness.signedIn(as: "viewer-tra", fixture)
        let page = await web.get("/groups/\(id)")
        #expect(page.text.contains("Who may read and write what") && page.text.contains("<tr><td>viewer</td><td>Profile</td><td>nothing</td></tr>"))
        #expect(page.text.contains("No reason is asked before reading."))
    }

    @Test("the status page says who you are, the vault's fingerprint to compare, your groups and the idle lock")
    func status() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let page = try await WebHarness.signedIn(as: "lead-tra", fixture).get("/status")
        #expect(page.text.contains("lead-tra") && page.text.contains(lead.readableFingerprint))
        #expect(page.text.contains("Trans Support") && page.text.contains("15 minutes"))
    }
}

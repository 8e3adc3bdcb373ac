import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// The forms that write: a new version that changes only what the person
/// changed, a new record, a case note typed in a text area; and what a
/// viewer, a modified page or a forged request cannot write.
@Suite("Web interface: writing")
struct WebWritingTests {

    /// The edit form's fields, as the page filled them in.
    static func formFields(_ page: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for tail in page.components(separatedBy: "<input ").dropFirst() {
            // The tag only, up to its end (values are escaped, so they hold no '>').
            let chunk = String(tail.prefix { $0 != ">" })
            guard let name = attribute("name", chunk), name != "csrf" else { continue }
            out.append((name, attribute("value", chunk).map(unescape) ?? ""))
        }
        return out
    }

    static func attribute(_ name: String, _ tag: String) -> String? {
        guard let start = tag.range(of: "\(name)=\"") else { return nil }
        let rest = tag[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test("an edit writes a new version with only what changed; a field someone else changed meanwhile keeps their value")
    func edit() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam Rivera"), ("phone", "0770"), ("pronouns", "they/them")]))
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let form = await web.get("/records/\(id.description)/edit")
        #expect(form.status == 200 && form.text.contains("value=\"0770\""))
        // Meanwhile the lead changes the pronouns.
        try lead.updateRecord(id, fields: fields([("pronouns", "she/they")]))
        var submitted = Self.formFields(form.text)
        let phone = try #require(submitted.firstIndex { $0.1 == "0770" && $0.0.hasPrefix("v_") })
        submitted[phone].1 = "07700 900123"
        // The first new row, filled in (the page's empty row replaced, as a browser sends one value per box).
        submitted.removeAll { ["nn_0", "nv_0", "nc_0"].contains($0.0) }
        submitted += [("nn_0", "email"), ("nv_0", "sam@example.org"), ("nc_0", "profile")]
        let saved = await web.post("/records/\(id.description)/edit", submitted)
        #expect(saved.status == 303 && saved.header("Location") == "/records/\(id.description)", "\(saved.text.components(separatedBy: "role=\"alert\"").last?.prefix(400) ?? "")")
        try lead.refresh()
        let view = try lead.readRecord(id)
        #expect(view.version == 3)
        let values = Dictionary(view.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(values["phone"] == "07700 900123" && values["email"] == "sam@example.org")
        #expect(values["pronouns"] == "she/they")
        // Sent again unchanged: nothing is written.
        let again = await web.post("/records/\(id.description)/edit", Self.formFields(await web.get("/records/\(id.description)/edit").text))
        #expect(again.status == 400 && again.text.contains("Nothing was changed"))
        #expect(try lead.readRecord(id).version == 3)
    }

    @Test("a viewer gets no edit form, and a forged edit from a viewer or of a compartment the role cannot read writes nothing")
    func refusedEdits() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam"), ("sensitive:hiv_status", "positive")]))
        let viewer = try await WebHarness.signedIn(as: "viewer-tra", fixture)
        #expect(await viewer.get("/records/\(id.description)").text.contains("/edit\"") == false)
        #expect(await viewer.get("/records/\(id.description)/edit").status == 403)
        let forged = await viewer.post("/records/\(id.description)/edit", [("count", "1"), ("n_0", "name"), ("c_0", "profile"), ("o_0", "Sam"), ("v_0", "Mallory")])
        #expect(forged.status == 400 || forged.status == 403)
        // A case worker's page modified to write the sensitive compartment.
        let caseworker = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let sneaky = await caseworker.post(
            "/records/\(id.description)/edit", [("count", "1"), ("n_0", "hiv_status"), ("c_0", "sensitive"), ("o_0", "x"), ("v_0", "negative")])
        #expect(sneaky.text.contains("role=\"alert\""))
        #expect(try lead.readRecord(id).version == 1)
        #expect(try lead.readRecord(id).fields.contains { $0.name == "hiv_status" && $0.value == "positive" })
    }

    @Test("a new member record, then a case about them with a multi-line note typed in the page")
    func newRecordAndNote() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let group = try lead.group(named: "Trans Support").id.description
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let chooser = await web.get("/new", query: "group=\(group)&kind=member")
        #expect(chooser.status == 200 && chooser.text.contains("name=\"nn_0\""))
        let created = await web.post("/new", [("group", group), ("kind", "member"), ("save", "1"), ("nn_0", "name"), ("nv_0", "نور"), ("nc_0", "profile")])
        #expect(created.status == 303)
        let memberPath = try #require(created.header("Location"))
        let member = try RecordID(parsing: String(memberPath.dropFirst("/records/".count)))
        #expect(try lead.readRecord(member).fields.first?.value == "نور")
        // A value without a name, and no field at all, are refused with the form.
        #expect(await web.post("/new", [("group", group), ("kind", "member"), ("save", "1"), ("nv_0", "orphan")]).status == 400)
        #expect(await web.post("/new", [("group", group), ("kind", "member"), ("save", "1")]).status == 400)
        let caseMade = await web.post(
            "/new", [("group", group), ("kind", "case"), ("member", member.description), ("save", "1"), ("nn_0", "need"), ("nv_0", "housing"), ("nc_0", "notes")])
        let casePath = try #require(caseMade.header("Location"))
        try lead.refresh()
        let caseID = try RecordID(parsing: String(casePath.dropFirst("/records/".count)))
        #expect(try lead.cases(ofMember: member).map(\.id) == [caseID], "\(caseMade.status) \(caseMade.text.components(separatedBy: "role=\"alert\"").last?.prefix(400) ?? "")")
        let noted = await web.post("\(casePath)/notes", [("text", "Called Nour.\r\nFollow up on Friday.")])
        #expect(noted.status == 303 && noted.header("Location") == "\(casePath)#notes")
        try lead.refresh()
        let notes = try lead.notes(caseID: caseID)
        #expect(notes.count == 1 && notes.first?.fields.first?.value == "Called Nour.\nFollow up on Friday.")
        let page = await web.get(casePath)
        #expect(page.text.contains("Called Nour.\nFollow up on Friday.") && page.text.contains("<h2 id=\"notes\">Case notes</h2>"))
        // An empty note is refused.
        #expect(await web.post("\(casePath)/notes", [("text", "")]).status == 400)
        #expect(try lead.notes(caseID: caseID).count == 1)
    }

    @Test("a value holding a control or bidi character is shown, not offered for editing; a value starting with a line break keeps it; a bad row count is refused, not a crash")
    func exactValues() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let id = try lead.addRecord(
            groupName: "Trans Support", kind: .member,
            fields: fields([("name", "Sam"), ("alias", "a\u{200F}b"), ("story", "\nstarts on the second line and is long enough to get a text area of its own")]))
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        let form = await web.get("/records/\(id.description)/edit")
        #expect(!form.text.contains("value=\"alias\""))
        #expect(form.text.contains(">\n\nstarts on the second line"))
        for count in ["-1", "-9223372036854775808", "99999999999999999999", "x"] {
            let response = await web.post("/records/\(id.description)/edit", [("count", count)])
            #expect(response.status == 400, "count=\(count)")
        }
        // Saving the form untouched changes nothing, the alias's mark and the story's first line break included.
        let untouched = await web.post("/records/\(id.description)/edit", Self.formFields(form.text) + [("v_1", "\n" + "starts on the second line and is long enough to get a text area of its own")])
        #expect(untouched.status == 400)
        try lead.refresh()
        #expect(try lead.readRecord(id).version == 1)
    }

    @Test("a write without the page's token writes nothing", arguments: ["/new", "/records/%@/edit", "/records/%@/notes"])
    func forgedWrite(route: String) async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let group = try lead.group(named: "Trans Support").id.description
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let before = try lead.listRecords(groupName: "Trans Support").count
        let path = route.replacingOccurrences(of: "%@", with: caseID.description)
        let response = await web.post(
            path, [("group", group), ("save", "1"), ("nn_0", "name"), ("nv_0", "x"), ("text", "forged"), ("count", "1"), ("n_0", "need"), ("c_0", "notes"), ("o_0", "housing"), ("v_0", "x")],
            csrf: String(repeating: "0", count: 64))
        #expect(response.status == 403)
        #expect(try lead.listRecords(groupName: "Trans Support").count == before)
        #expect(try lead.readRecord(caseID).version == 1)
    }
}

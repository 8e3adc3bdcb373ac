import Foundation
import Testing

@testable import KithVault

/// The JSON shapes of the library's results, which `kith --json`, exports
/// and (later) the web interface all print: the documented keys, null where
/// documented, nothing decrypted that the reader may not see.
@Suite("Result JSON shapes")
struct ResultJSONTests {
    static let group = "Trans Support"

    func object<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }

    @Test("records, listings, history, notes, groups and users encode with their documented keys")
    func shapes() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, viewer) = try fixture.standardGroup(Self.group)
        let member = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam"), ("sensitive:status", "private")]))
        let caseID = try caseworker.addRecord(groupName: Self.group, kind: .case, fields: fields([("need", "housing")], kind: .case))
        try caseworker.addNote(caseID: caseID, text: "Called back")

        let shown = try #require(try object(lead.readRecord(member)) as? [String: Any])
        #expect(Set(shown.keys) == ["id", "group", "kind", "version", "author", "time", "fields", "compartments", "withheld"])
        #expect((shown["fields"] as? [String: String])?["status"] == "private")
        #expect((shown["compartments"] as? [String: String])?["status"] == "sensitive")
        #expect(shown["time"] as? String == Timestamp.iso8601(millis: try lead.readRecord(member).timeMillis))
        // A case worker's view withholds what their role may not read, and says so.
        let withheld = try #require(try object(caseworker.readRecord(member)) as? [String: Any])
        #expect((withheld["fields"] as? [String: String])?["status"] == nil)
        #expect(withheld["withheld"] as? [String] == ["sensitive"])

        try viewer.refresh()
        let listed = try #require(try object(viewer.listRecords(groupName: Self.group)) as? [[String: Any]])
        #expect(listed.count == 3)
        #expect(listed.allSatisfy { Set($0.keys).isSubset(of: ["id", "kind", "version", "author", "time", "case"]) })
        #expect(listed.contains { $0["case"] as? String == caseID.description })

        let history = try #require(try object(lead.history(member)) as? [[String: Any]])
        #expect(Set(history.first?.keys ?? [:].keys) == ["version", "author", "time", "compartments", "carried", "log_entry"])

        let notes = try caseworker.notes(caseID: caseID)
        let note = try #require(try object(notes.map(\.note)) as? [[String: Any]])
        #expect(note.first?["text"] as? String == "Called back")
        // A viewer may not read notes: the entry says withheld, with no text.
        let viewerNotes = try #require(try object(viewer.notes(caseID: caseID).map(\.note)) as? [[String: Any]])
        #expect(viewerNotes.first?["withheld"] as? Bool == true && viewerNotes.first?["text"] == nil)

        let groups = try #require(try object(fixture.admin.groups()) as? [[String: Any]])
        #expect(Set(groups.first?.keys ?? [:].keys) == ["id", "name", "role", "members", "look_alike"])
        #expect(groups.first?["role"] is NSNull)
        let users = try #require(try object(lead.users()) as? [[String: Any]])
        #expect(users.allSatisfy { Set($0.keys) == ["id", "handle", "role", "fingerprint", "removed"] })

        let created = try #require(try object(Created(member, version: 2)) as? [String: Any])
        #expect(created["id"] as? String == member.description && created["version"] as? Int == 2)
        #expect(Set((try object(Created(member)) as? [String: Any])?.keys ?? [:].keys) == ["id"])

        let error = try #require(try object(KithVaultError.notFound("record x", remedy: .listRecords)) as? [String: Any])
        #expect(error["code"] as? String == "not-found")
        #expect(error["reason"] as? String == "record x")
    }

    @Test("a search outcome encodes with its documented keys, the fields a searcher may read, and the rank by name")
    func searchShapes() throws {
        let fixture = try VaultFixture()
        let (lead, _, viewer) = try fixture.standardGroup(Self.group)
        _ = try lead.addRecord(groupName: Self.group, kind: .member, fields: fields([("name", "Sam Rivera"), ("phone", "07700 900123"), ("sensitive:status", "private")]))
        try viewer.refresh()
        let outcome = try #require(try object(viewer.search(SearchQuery.parse(["sam"]))) as? [String: Any])
        #expect(Set(outcome.keys) == ["results", "total", "unchecked", "too_many", "indexed"])
        let result = try #require((outcome["results"] as? [[String: Any]])?.first)
        #expect(Set(result.keys) == ["id", "group", "kind", "rank", "matched", "fields"])
        #expect(result["rank"] as? String == "all-words" && result["kind"] as? String == "member" && result["group"] as? String == Self.group)
        #expect(result["fields"] as? [String: String] == ["name": "Sam Rivera", "phone": "07700 900123"])
        #expect((outcome["indexed"] as? [[String: Any]])?.first?["records"] as? Int == 1)
    }
}

import Foundation
import Testing
@testable import KithVault

/// A group's signed policy may name the fields search looks at, and how
/// (issue 18); without that, the default rules apply.
@Suite("Search rules in the policy")
struct SearchPolicyTests {
    static let group = "Trans Support"

    static func policy(_ search: [String: FieldSearchMode]?) -> GroupPolicy {
        var policy = GroupPolicy.default
        policy.search = search
        return policy
    }

    @Test("a policy without search rules encodes byte for byte as before; one with them round-trips, in entries and in the state snapshot")
    func encoding() throws {
        var plain = ByteWriter()
        GroupPolicy.default.encode(into: &plain)
        #expect(plain.bytes == [3, 1, 7, 7, 2, 3, 3, 3, 1, 0])
        let ruled = Self.policy(["member_no": .whole, "name": .words, "phone": .digits])
        var w = ByteWriter()
        ruled.encode(into: &w)
        #expect(w.bytes.first == 0x83)
        // Self-delimiting: something after it is left for the next reader.
        var r = ByteReader(w.bytes + [0xAB], what: "test")
        #expect(try GroupPolicy.decode(&r) == ruled)
        #expect(try r.u8() == 0xAB)
        // A log with such a policy replays, and resumes from a cache that holds it.
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup(Self.group)
        _ = try lead.setPolicy(groupName: Self.group, ruled)
        let memory = CheckpointMemory(directory: fixture.directory.appendingPathComponent("state"))
        let first = try Vault(store: fixture.store(), holder: #require(fixture.identities["cw-tra"]), memory: memory)
        let again = try Vault(store: fixture.store(), holder: #require(fixture.identities["cw-tra"]), memory: memory)
        #expect(again.resumedFrom != nil)
        #expect(try again.policy(groupName: Self.group).search == ruled.search)
        #expect(try first.policy(groupName: Self.group) == ruled)
    }

    @Test("the policy's rules decide what is found and how; a change of rules rebuilds the index; sensitive fields never")
    func rulesDecide() throws {
        let fixture = try VaultFixture()
        let (lead, caseworker, _) = try fixture.standardGroup(Self.group)
        let sam = try lead.addRecord(
            groupName: Self.group, kind: .member,
            fields: fields([("name", "Sam Rivera"), ("member_no", "K-2041"), ("phone", "+44 7700 900123"), ("city", "Leeds"), ("sensitive:status", "Zqvsecret")]))
        try caseworker.refresh()
        // Default rules: the city is not searched, the name is.
        #expect(try caseworker.search(SearchQuery.parse(["leeds"])).results.isEmpty)
        #expect(try caseworker.search(SearchQuery.parse(["rivera"])).results.map(\.id) == [sam])
        // The lead names the fields: the member number whole, the city by words, the phone by its digits, and (uselessly) the status.
        _ = try lead.setPolicy(groupName: Self.group, Self.policy(["member_no": .whole, "city": .words, "phone": .digits, "status": .words]))
        let rebuilt = try caseworker.search(SearchQuery.parse(["leeds"]))
        #expect(rebuilt.results.map(\.id) == [sam] && rebuilt.indexed.map(\.records) == [1])
        #expect(try caseworker.search(SearchQuery.parse(["k", "2041"])).results.map(\.id) == [sam])
        #expect(try caseworker.search(SearchQuery.parse(["2041"])).results.isEmpty)  // whole only: no word of it
        #expect(try caseworker.search(SearchQuery.parse(["07700 900123"])).results.map(\.id) == [sam])
        #expect(try caseworker.search(SearchQuery.parse(["7700"])).results.isEmpty)  // digits only: the number whole
        #expect(try caseworker.search(SearchQuery.parse(["rivera"])).results.isEmpty)  // the name is no longer named
        #expect(try lead.search(SearchQuery.parse(["Zqvsecret"])).results.isEmpty)  // a sensitive field, named or not
        #expect {
            _ = try caseworker.search(SearchQuery.parse(["name=sam"]), groupName: Self.group)
        } throws: { error in
            (error as? KithVaultError)?.reason.contains("the fields the group's policy names (city, member_no, phone, status)") == true
        }
        // An empty set of rules searches nothing.
        _ = try lead.setPolicy(groupName: Self.group, Self.policy([:]))
        #expect(try caseworker.search(SearchQuery.parse(["leeds"])).results.isEmpty)
    }

    @Test("policy files name search rules as JSON; wrong rules are refused by name")
    func json() throws {
        let text = """
            {"roles": {"lead": {"read": ["notes", "profile", "sensitive"], "write": ["notes", "profile", "sensitive"]},
             "caseworker": {"read": ["notes", "profile"], "write": ["notes", "profile"]}, "viewer": {"read": ["profile"], "write": []}},
             "search": {"name": "words", "phone": "phone"}}
            """
        let policy = try GroupPolicy(json: Data(text.utf8))
        #expect(policy.search == ["name": .words, "phone": .phone])
        #expect(policy.jsonSearch == ["name": "words", "phone": "phone"])
        for (search, says) in [
            ("\"search\": {\"name\": \"fuzzy\"}", "must be one of words, prefixes, phone, whole, digits"),
            ("\"search\": [\"name\"]", "must be an object of profile field names"),
        ] {
            let bad = text.replacingOccurrences(of: "\"search\": {\"name\": \"words\", \"phone\": \"phone\"}", with: search)
            #expect {
                _ = try GroupPolicy(json: Data(bad.utf8))
            } throws: { error in
                (error as? KithVaultError)?.reason.contains(says) == true
            }
        }
        #expect(Self.policy(["Full Name": .words, "fullname": .prefixes]).problem?.contains("the same to search") == true)
        #expect(Self.policy(["a=b": .words]).problem?.contains("is not a field name") == true)
        #expect(Self.policy(Dictionary(uniqueKeysWithValues: (0...64).map { ("f\($0)", FieldSearchMode.words) })).problem?.contains("at most 64") == true)
    }
}

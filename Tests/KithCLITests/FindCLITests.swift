import Foundation
import Testing

/// `kith find` and import's duplicate handling as a volunteer meets them,
/// with a sheet of Arabic and Latin names (issue 18).
@Suite("Find through the CLI")
struct FindCLITests {
    static let sheet = """
        name,phone,pronouns
        مُحَمَّد عَلِي,+44 7700 900123,هو
        فاطمة الزهراء,07700 900456,هي
        أحمد خليل,07700 900789,هو
        José Núñez,07700 900111,he
        Sam Rivera,07700 900222,they

        """

    static func setting() throws -> CLIHarness {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("alex", "user"), ("kim", "user")])
        #expect(try cli.run(["group", "create", "دعم نفسي"], as: "ana").code == 0)
        #expect(try cli.run(["share", "دعم نفسي", "--with", "robin", "--role", "lead"], as: "ana").code == 0)
        #expect(try cli.run(["share", "دعم نفسي", "--with", "alex", "--role", "caseworker"], as: "robin").code == 0)
        #expect(try cli.run(["share", "دعم نفسي", "--with", "kim", "--role", "viewer"], as: "robin").code == 0)
        try Data(sheet.utf8).write(to: URL(fileURLWithPath: cli.path("members.csv")))
        let imported = try cli.run(["import", cli.path("members.csv"), "--group", "دعم نفسي", "--kind", "member"], as: "robin")
        #expect(imported.code == 0, "\(imported.err)")
        return cli
    }

    @Test("typed without tashkeel, hamza or accents, found; the table lines up and isolates Arabic; the build is said once")
    func findsArabic() throws {
        let cli = try Self.setting()
        let first = try cli.run(["find", "--group", "دعم نفسي", "محمد"], as: "alex")
        #expect(first.code == 0, "\(first.err)")
        #expect(first.err.contains("indexed 5 records of دعم نفسي for search on this device (logged)"))
        let lines = first.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0].hasPrefix("ID") && lines[2].contains("kith record show ID"), "\(first.out)")
        #expect(lines[1].contains("\u{2068}name: مُحَمَّد عَلِي; phone: +44 7700 900123\u{2069}"), "\(lines[1])")
        let again = try cli.run(["find", "--group", "دعم نفسي", "فاطمه"], as: "alex")
        #expect(again.code == 0 && again.out.contains("فاطمة الزهراء") && !again.err.contains("indexed"), "\(again.out)\(again.err)")
        // Every group the user can read, with a GROUP column; a phone in its international form.
        let all = try cli.run(["find", "0044 7700 900123"], as: "kim")
        #expect(all.code == 0 && all.out.contains("GROUP") && all.out.contains("مُحَمَّد"), "\(all.out)\(all.err)")
        let none = try cli.run(["find", "--group", "دعم نفسي", "nobody"], as: "alex")
        #expect(none.code == 0 && none.out.contains("no record matches nobody"))
    }

    @Test("without text, the search is read from standard input, so the name stays off the command line; quotes keep a value whole")
    func typedQuery() throws {
        let cli = try Self.setting()
        let typed = try cli.run(["find", "--group", "دعم نفسي"], as: "alex", stdin: "محمد\n")
        #expect(typed.code == 0 && typed.out.contains("مُحَمَّد عَلِي") && !typed.out.contains("فاطمة"), "\(typed.out)\(typed.err)")
        let dash = try cli.run(["find", "--group", "دعم نفسي", "-", "--json"], as: "alex", stdin: "name=\"Sam Rivera\" phone=07700900222\nignored\n")
        #expect(dash.code == 0, "\(dash.err)")
        let results = try #require((try dash.json() as? [String: Any])?["results"] as? [[String: Any]])
        #expect(results.count == 1 && (results.first?["fields"] as? [String: String])?["name"] == "Sam Rivera")
        let unclosed = try cli.run(["find", "--group", "دعم نفسي"], as: "alex", stdin: "name=\"Sam\n")
        #expect(unclosed.code == 64 && unclosed.err.contains("quote") && unclosed.err.contains("not closed"), "\(unclosed.err)")
        let empty = try cli.run(["find", "--group", "دعم نفسي"], as: "alex", stdin: "\n")
        #expect(empty.code == 64 && empty.err.contains("nothing to search for"), "\(empty.err)")
    }

    @Test("--json gives each result's id, rank, matched fields and searchable fields")
    func json() throws {
        let cli = try Self.setting()
        let result = try cli.run(["find", "--group", "دعم نفسي", "jose", "nunez", "--json"], as: "alex")
        #expect(result.code == 0, "\(result.err)")
        let object = try #require(try result.json() as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.count == 1 && object["total"] as? Int == 1 && object["too_many"] as? Bool == false)
        #expect(results[0]["rank"] as? String == "whole" && results[0]["kind"] as? String == "member")
        #expect(results[0]["matched"] as? [String] == ["name"])
        #expect((results[0]["fields"] as? [String: String])?["name"] == "José Núñez")
        #expect((results[0]["fields"] as? [String: String])?["pronouns"] == nil)
    }

    @Test(
        "bad searches say what is wrong and what to do",
        arguments: [
            (["find", "--group", "دعم نفسي"], Int32(64), "nothing to search for"),
            (["find", "--group", "دعم نفسي", "!!"], 64, "nothing to search for"),
            (["find", "--group", "دعم نفسي", "pronouns=he"], 64, "'pronouns' is not a field search looks at"),
            (["find", "--group", "no such group", "sam"], 66, "not found"),
            (["find", "--group", "دعم نفسي", "--limit", "0", "sam"], 64, "--limit must be 1 or more"),
            (["find", "--group", "دعم نفسي", "--kind", "pet", "sam"], 64, "member"),
        ])
    func badSearches(arguments: [String], code: Int32, says: String) throws {
        let cli = try Self.setting()
        let result = try cli.run(arguments, as: "alex")
        #expect(result.code == code, "\(result.err)")
        #expect(result.err.contains(says), "\(result.err)")
        #expect(!result.err.contains("Fatal error"))
    }

    @Test("importing the sheet again: --skip-duplicates adds nothing, --update-by phone updates in place, both together refused")
    func reimport() throws {
        let cli = try Self.setting()
        let skipped = try cli.run(["import", cli.path("members.csv"), "--group", "دعم نفسي", "--kind", "member", "--skip-duplicates"], as: "robin")
        #expect(skipped.code == 0 && skipped.out.contains("Imported no new record") && skipped.out.contains("Skipped 5 rows"), "\(skipped.out)\(skipped.err)")
        try Data("name,phone\nSam Rivera-Okafor,+44 7700 900222\n".utf8).write(to: URL(fileURLWithPath: cli.path("update.csv")))
        let updated = try cli.run(["import", cli.path("update.csv"), "--group", "دعم نفسي", "--kind", "member", "--update-by", "phone", "--json"], as: "robin")
        #expect(updated.code == 0, "\(updated.err)")
        let object = try #require(try updated.json() as? [String: Any])
        #expect(object["imported"] as? Int == 0 && object["updated"] as? Int == 1)
        #expect((object["records"] as? [[String: Any]])?.first?["action"] as? String == "updated")
        let listed = try cli.run(["record", "list", "--group", "دعم نفسي", "--json"], as: "robin")
        #expect((try listed.json() as? [Any])?.count == 5)
        let both = try cli.run(["import", cli.path("update.csv"), "--group", "دعم نفسي", "--kind", "member", "--update-by", "phone", "--skip-duplicates"], as: "robin")
        #expect(both.code == 64 && both.err.contains("not both"))
    }
}

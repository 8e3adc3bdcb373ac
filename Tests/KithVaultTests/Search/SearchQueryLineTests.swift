import Testing
@testable import KithVault

/// One typed line of search text (a prompt, a search box), parsed as the
/// command line's words would be.
@Suite("Search text typed as one line")
struct SearchQueryLineTests {
    @Test(
        "a line splits at spaces, except inside quotes, and means what the same words on the command line mean",
        arguments: [
            ("sam rivera", ["sam", "rivera"]),
            ("  محمد   علي  ", ["محمد", "علي"]),
            ("name=\"Sam Rivera\" phone=0770", ["name=Sam Rivera", "phone=0770"]),
            ("name='مُحَمَّد عَلِي'", ["name=مُحَمَّد عَلِي"]),
            ("\"sam rivera\" okafor", ["sam rivera", "okafor"]),
            ("sam\trivera\r", ["sam", "rivera"]),
        ])
    func splits(line: String, words: [String]) throws {
        #expect(try SearchQuery.parse(line: line) == SearchQuery.parse(words))
    }

    @Test("an unclosed quote is refused, not guessed at; an empty line or empty quotes is nothing to search for")
    func refusals() throws {
        #expect(throws: KithVaultError.self) { try SearchQuery.parse(line: "name=\"Sam Rivera") }
        do {
            _ = try SearchQuery.parse(line: "name='sam")
            Issue.record("an unclosed quote was accepted")
        } catch let error as KithVaultError {
            #expect(error.reason.contains("not closed"))
        }
        for line in ["", "   ", "\"\"", "name=\"\""] {
            do {
                _ = try SearchQuery.parse(line: line)
                Issue.record("'\(line)' was accepted")
            } catch let error as KithVaultError {
                #expect(error.reason.contains("nothing to search for"), "\(line): \(error.reason)")
            }
        }
    }
}

import Foundation
import Testing

/// Tables line up in terminal columns whatever the script: Arabic names,
/// emoji and CJK characters, and right-to-left cells are isolated so they
/// never reorder the columns beside them.
@Suite("Tables in any script")
struct TableAlignmentCLITests {
    /// Columns a grapheme takes, for the characters this test uses (an oracle independent of kith's).
    static func width(_ text: String) -> Int {
        text.reduce(0) { total, grapheme in
            guard let scalar = grapheme.unicodeScalars.first else { return total }
            if scalar.value == 0x2068 || scalar.value == 0x2069 { return total }
            if scalar.value >= 0x1F300 || (0x4E00...0x9FFF).contains(scalar.value) { return total + 2 }
            return total + 1
        }
    }

    @Test("group list lines up Arabic, emoji and CJK names, and isolates the Arabic ones")
    func groupList() throws {
        let cli = try CLIHarness()
        try cli.setUp(users: [])
        for name in ["دعم نفسي", "Trans Support", "🌈 Pride", "东京", "مجموعة الدعم 🌈"] {
            let made = try cli.run(["group", "create", name], as: "ana")
            #expect(made.code == 0, "\(made.err)")
        }
        let listed = try cli.run(["group", "list", "--json"], as: "ana")
        let groups = try #require(try listed.json() as? [[String: Any]])
        let ids = groups.compactMap { ($0["id"] as? String).map { String($0.prefix(8)) } }
        let lines = try cli.run(["group", "list"], as: "ana").out.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        var columns: [Int] = []
        for id in ids {
            let line = try #require(lines.first { $0.contains(id) })
            let before = String(line[..<(try #require(line.range(of: id))).lowerBound])
            columns.append(Self.width(before))
        }
        #expect(Set(columns).count == 1, "the id column starts at \(columns)")
        let arabic = try #require(lines.first { $0.contains("دعم نفسي") })
        #expect(arabic.hasPrefix("\u{2068}دعم نفسي\u{2069}"))
        let latin = try #require(lines.first { $0.contains("Trans Support") })
        #expect(!latin.contains("\u{2068}"))
    }
}

import KithVault
import Testing

@Suite("Version")
struct VersionTests {
    @Test("the version is three dot-separated numbers")
    func semanticVersion() {
        let parts = KithVersion.string.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}

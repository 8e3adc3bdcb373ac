import ArgumentParser
import KithCrypto

/// `kith selftest`: checks the cryptography against known answers.
struct SelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check that the cryptography on this machine gives the standard answers.",
        discussion: "Example:\n  kith selftest")

    func run() throws {
        var failed = 0
        for result in CryptoSelfTest.run() {
            print("\(result.passed ? "ok  " : "FAIL") \(result.name)")
            if !result.passed { failed += 1 }
        }
        if failed > 0 {
            print("\(failed) check(s) failed: do not use Kith on this machine; reinstall libsodium and report the output above.")
            throw ExitCode(1)
        }
        print("all checks passed")
    }
}

import ArgumentParser
import KithCrypto

/// `kith selftest`: checks the cryptography against known answers.
struct SelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check that the cryptography on this machine gives the standard answers.",
        discussion: "Exit 0 when every check passes, 1 otherwise.\n\nExample:\n  kith selftest")

    @OptionGroup var output: OutputOptions

    func run() throws {
        // The machine's cryptography, then this process's own protection.
        let results =
            CryptoSelfTest.run().map { (name: $0.name, passed: $0.passed) } + [
                (name: "no core dumps (a crash writes no content or key to disk)", passed: !ProcessHardening.dumpable && ProcessHardening.coreLimit == 0)
            ]
        let failed = results.filter { !$0.passed }.count
        if output.json {
            try Output.json(["passed": failed == 0, "checks": results.map { ["name": $0.name, "passed": $0.passed] as [String: Any] }])
            if failed > 0 { throw ExitCode(1) }
            return
        }
        for result in results {
            print(result.passed ? Terminal.styled("ok  ", .green) + " \(result.name)" : Terminal.styled("FAIL", .red) + " \(result.name)")
        }
        if failed > 0 {
            print("\(failed) check(s) failed: do not use Kith on this machine; reinstall libsodium and report the output above.")
            throw ExitCode(1)
        }
        print("all checks passed")
    }
}

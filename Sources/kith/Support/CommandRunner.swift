import ArgumentParser
import Foundation
import KithCrypto
import KithLog
import KithVault

/// A kith command: its work goes in `execute()`; `run()` turns every error
/// into one line saying what is wrong and what to do, on standard error,
/// with the documented exit code. No stack trace ever reaches the user.
protocol KithCommand: ParsableCommand {
    func execute() throws
}

extension KithCommand {
    func run() throws {
        do {
            try execute()
        } catch let error as KithVaultError {
            fail(error.description, code: error.exitCode)
        } catch let error as KithCryptoError {
            fail(error.description, code: error == .authenticationFailed || error == .invalidSignature ? 65 : 1)
        } catch let error as KithLogError {
            // A bad proof, checkpoint or signature is a data error; a wrong index a usage error.
            if case .outOfRange = error { fail(error.description, code: 64) }
            fail(error.description, code: 65)
        } catch let error as ExitCode {
            throw error
        } catch {
            fail("\(error)", code: 1)
        }
    }

    private func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("kith: \(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// Printing helpers.
enum Output {
    static func json(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    static func time(_ millis: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// Columns padded to line up.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
}

import Foundation

/// One measured line: Kith's figure and the baseline measured in the same
/// run on the same data. `ratio` is Kith's rate over the baseline's rate
/// (higher is better). A scenario whose feature has not landed reports
/// `note` and no figures, never a made-up one.
struct BenchResult {
    let name: String
    let n: Int
    let seconds: Double?
    let unit: String
    let baseline: String
    let baselineSeconds: Double?
    let note: String?

    var rate: Double? { seconds.map { $0 > 0 ? Double(n) / $0 : 0 } }
    var baselineRate: Double? { baselineSeconds.map { $0 > 0 ? Double(n) / $0 : 0 } }
    var ratio: Double? {
        guard let rate, let baselineRate, baselineRate > 0 else { return nil }
        return rate / baselineRate
    }

    static func unavailable(_ name: String, _ note: String = "not available yet") -> BenchResult {
        BenchResult(name: name, n: 0, seconds: nil, unit: "", baseline: "", baselineSeconds: nil, note: note)
    }

    /// The documented JSON object (docs/performance.md).
    var json: [String: Any] {
        var object: [String: Any] = [
            "name": name, "n": n, "unit": unit, "baseline": baseline,
            "seconds": seconds ?? NSNull(), "rate": rate ?? NSNull(),
            "baseline_rate": baselineRate ?? NSNull(), "ratio": ratio ?? NSNull(),
        ]
        if let note { object["note"] = note }
        return object
    }
}

/// Prints results as an aligned table.
enum BenchTable {
    static func print(_ results: [BenchResult]) {
        let header = ["scenario", "n", "seconds", "rate", "baseline", "baseline rate", "ratio"]
        let rows = results.map { r -> [String] in
            guard r.seconds != nil else { return [r.name, "-", "-", r.note ?? "not available yet", "", "", ""] }
            return [
                r.name, "\(r.n)", format(r.seconds, digits: 3), "\(format(r.rate, digits: 0)) \(r.unit)",
                r.baseline, r.baselineRate.map { "\(format($0, digits: 0)) \(r.unit)" } ?? "-", r.ratio.map { format($0, digits: 2) } ?? "-",
            ]
        }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            Swift.print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        let notes = results.filter { $0.seconds != nil && $0.note != nil }
        if !notes.isEmpty { Swift.print("") }
        for result in notes { Swift.print("\(result.name): \(result.note ?? "")") }
    }

    static func format(_ value: Double?, digits: Int) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(digits)f", value)
    }
}

/// Wall-clock time of `body` in seconds.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

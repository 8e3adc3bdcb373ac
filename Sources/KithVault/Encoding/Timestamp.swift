import Foundation

/// Times as kith writes them in JSON, exports, proofs and the audit log:
/// ISO 8601 in UTC, to the second (`2026-11-21T02:53:08Z`).
public enum Timestamp {
    // A value-type format style: Sendable, made once, cheap per call (a
    // listing or an export formats one per row).
    private static let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .gmt)

    /// `millis` (ms since 1970) as ISO 8601 UTC, to the second.
    public static func iso8601(millis: UInt64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(style)
    }
}

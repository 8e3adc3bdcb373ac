import Foundation

/// Times as kith writes them in JSON, exports, proofs and the audit log:
/// ISO 8601 in UTC, to the second (`2026-11-21T02:53:08Z`).
public enum Timestamp {
    // A value-type format style: Sendable, made once, cheap per call (a
    // listing or an export formats one per row).
    private static let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .gmt)

    /// The time "since" names, in ms since 1970: a day ("2026-11-01", from
    /// its midnight UTC), an ISO 8601 time, or an age before `now` ("24h",
    /// "7d"); nil for anything else.
    public static func millis(since text: String, now: Date = Date()) -> UInt64? {
        if let unit = text.last, "hd".contains(unit), let count = Double(text.dropLast()), count >= 0, count.isFinite {
            return UInt64(max(0, now.timeIntervalSince1970 - count * (unit == "h" ? 3600 : 86400)) * 1000)
        }
        if let date = ISO8601DateFormatter().date(from: text) { return UInt64(max(0, date.timeIntervalSince1970) * 1000) }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return UInt64(max(0, date.timeIntervalSince1970) * 1000) }
        return nil
    }

    /// `millis` (ms since 1970) as ISO 8601 UTC, to the second.
    public static func iso8601(millis: UInt64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(style)
    }
}

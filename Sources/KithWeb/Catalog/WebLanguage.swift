/// The languages the web interface speaks. Every word a page shows comes
/// from `WebCatalog` in each of them.
public enum WebLanguage: String, Sendable, CaseIterable {
    /// English.
    case english = "en"
    /// Arabic, written right to left.
    case arabic = "ar"

    /// The page's writing direction.
    public var direction: String { self == .arabic ? "rtl" : "ltr" }

    /// The language a browser prefers among these, from its
    /// Accept-Language header ("ar-EG,ar;q=0.9,en;q=0.8"): the first tag, by
    /// weight, that names one; English when none does.
    public static func preferred(acceptLanguage header: String?) -> WebLanguage {
        guard let header else { return .english }
        var best: (language: WebLanguage, weight: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let tag = parts.first?.trimmingSpaces.lowercased() else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language = WebLanguage(rawValue: primary) else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingSpaces.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == "q", let value = Double(pair[1]) { weight = value }
            }
            // Ties go to the earlier tag, as the browser listed them.
            if weight > 0, weight > (best?.weight ?? -1) { best = (language, weight) }
        }
        return best?.language ?? .english
    }
}

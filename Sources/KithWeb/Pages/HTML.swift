import KithVault

/// A piece of a page. Built by string interpolation in which every `String`
/// is escaped: markup comes only from literals and other `HTML` values, so
/// no text (a name from the vault, a typed search, an error) can become
/// markup by forgetting to escape it.
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation {
    /// The markup.
    public private(set) var raw: String

    /// Markup written in the code.
    public init(stringLiteral value: String) { raw = value }

    /// Markup with escaped text interpolated.
    public init(stringInterpolation: Interpolation) { raw = stringInterpolation.raw }

    init(raw: String) { self.raw = raw }

    /// Nothing.
    public static let empty = HTML(raw: "")

    /// Pieces one after another.
    public static func join(_ parts: [HTML], separator: HTML = .empty) -> HTML {
        HTML(raw: parts.map(\.raw).joined(separator: separator.raw))
    }

    /// Interpolation: text escaped, markup kept.
    public struct Interpolation: StringInterpolationProtocol {
        var raw = ""

        /// Starts empty.
        public init(literalCapacity: Int, interpolationCount: Int) { raw.reserveCapacity(literalCapacity + 16 * interpolationCount) }

        /// Markup from the code.
        public mutating func appendLiteral(_ literal: String) { raw += literal }

        /// Kith's own words (the catalog, a number): escaped.
        public mutating func appendInterpolation(_ text: String) { raw += HTML.escape(text) }

        /// A number.
        public mutating func appendInterpolation(_ number: some BinaryInteger) { raw += String(number) }

        /// Markup built elsewhere.
        public mutating func appendInterpolation(_ html: HTML) { raw += html.raw }

        /// Pieces one after another.
        public mutating func appendInterpolation(_ parts: [HTML]) { raw += parts.map(\.raw).joined() }

        /// Text from the vault or from another person: its controls and bidi
        /// overrides shown visibly (`VisibleText`), escaped, and isolated in
        /// `<bdi>` so a right-to-left name never reorders what is around it.
        public mutating func appendInterpolation(content text: String) {
            raw += "<bdi>" + HTML.numbersKeptInOrder(VisibleText.safe(text, keepNewlines: true)) + "</bdi>"
        }

        /// Text from the vault where no markup may go (an attribute's value,
        /// an option, a text area): neutralised and escaped, not isolated.
        public mutating func appendInterpolation(plain text: String) {
            raw += HTML.escape(VisibleText.safe(text, keepNewlines: true))
        }

        /// A command or a form of input a person types, left to right on every page.
        public mutating func appendInterpolation(command text: String) {
            raw += "<code dir=\"ltr\">" + HTML.escape(text) + "</code>"
        }

        /// Left-to-right text that must stay so on an Arabic page (an id, a
        /// fingerprint, a command, a library message in English).
        public mutating func appendInterpolation(ltr text: String) {
            raw += "<bdi dir=\"ltr\">" + HTML.escape(VisibleText.safe(text)) + "</bdi>"
        }
    }

    /// `text` escaped, with each number written in groups ("+44 7700
    /// 900123", "٠٧٧٠ ١٢٣") held left to right: inside a right-to-left
    /// sentence, the spaces between the groups would otherwise put them in
    /// reverse order. A number without spaces needs nothing.
    static func numbersKeptInOrder(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.numericType == .decimal }
        func isJoiner(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "-" || scalar == "." || scalar == "\u{A0}" }
        var out = ""
        var plain = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let start = index
            var cursor = index
            if scalars[cursor] == "+", cursor + 1 < scalars.count, isDigit(scalars[cursor + 1]) { cursor += 1 }
            guard cursor < scalars.count, isDigit(scalars[cursor]) else {
                plain.append(scalars[index])
                index += 1
                continue
            }
            // The longest run of digits with single joiners between them.
            var end = cursor
            var joined = false
            while end < scalars.count {
                if isDigit(scalars[end]) {
                    end += 1
                } else if isJoiner(scalars[end]), end + 1 < scalars.count, isDigit(scalars[end + 1]) {
                    joined = joined || scalars[end] != "."
                    end += 1
                } else {
                    break
                }
            }
            let run = String(String.UnicodeScalarView(scalars[start..<end]))
            if joined {
                out += escape(String(plain)) + "<span dir=\"ltr\">" + escape(run) + "</span>"
                plain = String.UnicodeScalarView()
            } else {
                plain.append(contentsOf: run.unicodeScalars)
            }
            index = end
        }
        return out + escape(String(plain))
    }

    /// `text` with the five characters that mean something in HTML (in
    /// content and in quoted attributes) written as references.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

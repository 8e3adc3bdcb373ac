/// How a searchable field is matched.
public enum FieldSearchMode: String, Sendable, Encodable, CaseIterable {
    /// Its whole value, each word, word prefixes and one-typo words (names).
    case words
    /// Its whole value, each word and word prefixes, without typos (e-mail,
    /// messenger handles: a letter off is usually someone else).
    case prefixes
    /// As `prefixes`, and also as a phone number: by its digits, with or
    /// without the country code.
    case phone
    /// Only its whole value (a case reference, a member number).
    case whole
    /// Only its digits, as a phone number is compared.
    case digits

    /// The code the signed policy stores (codes are never reused).
    var code: UInt8 {
        switch self {
        case .words: return 1
        case .prefixes: return 2
        case .phone: return 3
        case .whole: return 4
        case .digits: return 5
        }
    }

    init?(code: UInt8) {
        guard let mode = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = mode
    }
}

/// Which fields search looks at, and how. A group's signed policy may name
/// them (`GroupPolicy.search`); without that, the default: the name-like and
/// contact fields of the `profile` compartment. Either way never `notes`
/// (free text belongs to case work, not to finding a person) and never
/// `sensitive` (what could hurt someone most must never sit in an index,
/// even as keyed hashes).
///
/// A field counts by its name, folded as search folds text and without
/// spaces, underscores and hyphens: "Full name", "full_name" and "FullName"
/// are one name, and so are "الاسم" and "الإسم".
public struct SearchRules: Sendable, Equatable {
    /// The policy's rules by folded field name, or nil: the default rules.
    let named: [String: FieldSearchMode]?
    /// The field names the policy gives, as written (for messages).
    let written: [String]

    /// The default rules.
    public static let standard = SearchRules(named: nil, written: [])

    /// The rules of a group's policy.
    public init(_ policy: GroupPolicy) {
        named = policy.search.map { Dictionary($0.map { (Self.folded($0.key), $0.value) }, uniquingKeysWith: { a, _ in a }) }
        written = (policy.search?.keys).map { $0.sorted() } ?? []
    }

    init(named: [String: FieldSearchMode]?, written: [String]) {
        self.named = named
        self.written = written
    }

    /// How `field` is searched, or nil when it is not searchable.
    public func mode(for field: RecordField) -> FieldSearchMode? {
        guard field.compartment == .profile else { return nil }
        return mode(forName: field.name)
    }

    /// How a profile field named `name` is searched, or nil.
    public func mode(forName name: String) -> FieldSearchMode? {
        guard let named else { return Self.standardMode(forName: name) }
        return named[Self.folded(name)]
    }

    /// A digest of the rules, kept in the index so a change of rules rebuilds it.
    var digest: [UInt8] {
        var w = ByteWriter()
        if let named {
            for (name, mode) in named.sorted(by: { $0.key < $1.key }) {
                w.string(name)
                w.u8(mode.code)
            }
        } else {
            w.u8(0)
        }
        return w.bytes
    }

    // MARK: The default rules

    /// How `field` is searched by the default rules, or nil.
    public static func mode(for field: RecordField) -> FieldSearchMode? { standard.mode(for: field) }

    /// How a profile field named `name` is searched by the default rules, or nil.
    public static func mode(forName name: String) -> FieldSearchMode? { standardMode(forName: name) }

    private static func standardMode(forName name: String) -> FieldSearchMode? {
        let key = folded(name)
        if phoneNames.contains(key) || phoneParts.contains(where: { key.contains($0) }) { return .phone }
        if nameNames.contains(key) || nameParts.contains(where: { key.contains($0) }) { return .words }
        if contactNames.contains(key) || contactParts.contains(where: { key.contains($0) }) { return .prefixes }
        return nil
    }

    /// A field name as the rules compare it.
    static func folded(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            // The common case, without Unicode tables: ASCII letters and digits, lower case.
            return String(
                decoding: name.utf8.compactMap { byte -> UInt8? in
                    switch byte {
                    case 0x41...0x5A: return byte + 0x20
                    case 0x61...0x7A, 0x30...0x39: return byte
                    default: return nil
                    }
                }, as: UTF8.self)
        }
        return String(SearchText.normalise(name).filter { $0.isLetter || $0.isNumber })
    }

    /// Names that are names in themselves.
    private static let nameNames: Set<String> = [
        "alias", "nick", "nickname", "surname", "forename", "pseudonym", "nom", "prenom", "nombre", "apellido", "apellidos",
        "isim", "ad", "soyad", "soyadi", "لقب", "اللقب", "كنيه", "الكنيه", "نام", "نامخانوادگي",
    ]
    /// Parts that make a field name-like wherever they appear ("first name", "الاسم الكامل").
    private static let nameParts = ["name", "اسم"]
    /// Phone numbers and messengers that use them.
    private static let phoneNames: Set<String> = ["tel", "mobile", "cell", "whatsapp", "signal", "جوال", "الجوال", "موبايل", "واتساب", "تلفون", "تليفون"]
    private static let phoneParts = ["phone", "هاتف", "رقم"]
    /// Other ways to reach someone.
    private static let contactNames: Set<String> = ["email", "mail", "telegram", "handle", "ايميل", "الايميل", "تلغرام", "تيليجرام"]
    private static let contactParts = ["email", "بريد"]
}

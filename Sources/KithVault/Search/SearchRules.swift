/// How a searchable field is matched.
public enum FieldSearchMode: String, Sendable, Encodable {
    /// Its whole value, each word, word prefixes and one-typo words (names).
    case words
    /// Its whole value, each word and word prefixes, without typos (e-mail,
    /// messenger handles: a letter off is usually someone else).
    case contact
    /// As `words`, and also as a phone number: by its digits, with or
    /// without the country code.
    case phone
}

/// Which fields search looks at: the name-like and contact fields of the
/// `profile` compartment. Never `notes` (free text belongs to case work,
/// not to finding a person) and never `sensitive` (what could hurt someone
/// most must never sit in an index, even as keyed hashes).
///
/// A field counts by its name, folded as search folds text and without
/// spaces, underscores and hyphens: "Full name", "full_name" and "FullName"
/// are one name, and so are "الاسم" and "الإسم".
public enum SearchRules {
    /// How `field` is searched, or nil when it is not searchable.
    public static func mode(for field: RecordField) -> FieldSearchMode? {
        guard field.compartment == .profile else { return nil }
        return mode(forName: field.name)
    }

    /// How a profile field named `name` is searched, or nil.
    public static func mode(forName name: String) -> FieldSearchMode? {
        let key = folded(name)
        if phoneNames.contains(key) || phoneParts.contains(where: { key.contains($0) }) { return .phone }
        if nameNames.contains(key) || nameParts.contains(where: { key.contains($0) }) { return .words }
        if contactNames.contains(key) || contactParts.contains(where: { key.contains($0) }) { return .contact }
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

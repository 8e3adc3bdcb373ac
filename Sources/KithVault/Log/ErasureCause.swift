/// Why records were erased, as the signed erasure entry says it.
///
/// ```
/// u8 1: a lead's decision (their reason is sealed to auditors in the details)
/// u8 2, u8 record kind, u16 months: the group's retention rule for that kind
/// ```
public enum ErasureCause: Equatable, Sendable {
    /// A lead decided (a subject's request, a duplicate, a mistake).
    case request
    /// The group's retention rule: records of `kind` untouched for `months`.
    case retention(kind: RecordKind, months: UInt16)

    func encode(into w: inout ByteWriter) {
        switch self {
        case .request:
            w.u8(1)
        case .retention(let kind, let months):
            w.u8(2)
            w.u8(kind.rawValue)
            w.u16(months)
        }
    }

    static func decode(_ r: inout ByteReader) throws -> ErasureCause {
        switch try r.u8() {
        case 1:
            return .request
        case 2:
            guard let kind = RecordKind(rawValue: try r.u8()) else { throw KithVaultError.integrity("erasure entry names an unknown record kind") }
            return .retention(kind: kind, months: try r.u16())
        default:
            throw KithVaultError.integrity("erasure entry has an unknown cause")
        }
    }
}

import KithCrypto
/// The vault library version.
public enum KithVersion {
    /// Semantic version of Kith.
    public static let string = "0.1.0"
}

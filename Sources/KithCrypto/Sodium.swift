internal import CSodium

// Swift runs a global's initialiser exactly once, thread-safely, on first use:
// that is the "call sodium_init once" the library needs.
private let sodiumInitStatus: Int32 = sodium_init()

/// Entry point checks shared by every wrapper.
package enum Sodium {
    /// Makes sure libsodium is initialised; throws if it could not be.
    @inline(__always)
    package static func ensureReady() throws {
        // sodium_init returns 0 on first success, 1 when already done, -1 on failure.
        guard sodiumInitStatus >= 0 else { throw KithCryptoError.libraryUnavailable }
    }

    /// Throws `invalidLength` unless `actual == expected`.
    @inline(__always)
    static func check(_ what: String, _ actual: Int, equals expected: Int) throws {
        guard actual == expected else {
            throw KithCryptoError.invalidLength(what: what, expected: "\(expected)", actual: actual)
        }
    }
}

/// The libsodium in use.
public enum CryptoLibrary {
    /// libsodium's version string, for `kith --version` and bug reports.
    public static var versionString: String {
        String(cString: sodium_version_string())
    }

    /// Initialises libsodium; call once at start-up to fail early and clearly.
    public static func initialize() throws {
        try Sodium.ensureReady()
    }
}

import Foundation
import KithCrypto

/// Who may use this server: the person holding the one-time address
/// `kith serve` printed, and afterwards the browser that opened it.
///
/// Nothing secret is kept in plain form: the server holds one random key
/// in guarded memory, and keeps only keyed hashes (tags) of the login token
/// and of each session's cookie. A form's CSRF token is derived from the
/// session cookie under that key, so it needs no storage either.
public final class WebSessions: @unchecked Sendable {
    // @unchecked: every mutable field is read and written under `lock`.
    private let lock = NSLock()
    private let key: SecureBytes
    private var loginTag: [UInt8]?
    private var sessionTags: [[UInt8]] = []
    private var ended = false

    /// The login token, hex, for the address printed once (not kept here).
    public let loginToken: String

    /// How many sessions one server keeps at most (a few tabs' worth of logins is one session).
    static let maximumSessions = 4

    /// A new set: a new key and a new one-time login token.
    public init() throws {
        key = try SecureBytes(randomCount: 32)
        let token = try Random.bytes(32)
        loginToken = Hex.encode(token)
        loginTag = try Self.tag(token, key: key, purpose: "login")
    }

    /// Trades the one-time login token for a new session's cookie value;
    /// nil when the token is wrong or was used already.
    public func redeem(token text: String) throws -> String? {
        guard var token = try? Hex.decode(text), token.count == 32 else { return nil }
        defer { SecureBytes.wipe(&token) }
        let tag = try Self.tag(token, key: key, purpose: "login")
        var id = try Random.bytes(32)
        // The cookie's bytes live on only in the text handed to the browser.
        defer { SecureBytes.wipe(&id) }
        let sessionTag = try Self.tag(id, key: key, purpose: "session")
        return lock.withLock {
            guard !ended, let expected = loginTag, ConstantTime.equal(expected, tag) else { return nil }
            // One use: a copied address, browser history or a shoulder-surfed URL opens nothing later.
            loginTag = nil
            sessionTags.append(sessionTag)
            if sessionTags.count > Self.maximumSessions { sessionTags.removeFirst() }
            return Hex.encode(id)
        }
    }

    /// Whether `cookie` is a live session's.
    public func isSession(_ cookie: String?) -> Bool {
        guard let cookie, var id = try? Hex.decode(cookie) else { return false }
        defer { SecureBytes.wipe(&id) }
        guard id.count == 32, let tag = try? Self.tag(id, key: key, purpose: "session") else { return false }
        return lock.withLock {
            // Every tag compared in full, whichever matches.
            !ended && sessionTags.reduce(false) { found, stored in ConstantTime.equal(stored, tag) || found }
        }
    }

    /// The CSRF token of the session whose cookie is `cookie`.
    public func csrfToken(forSession cookie: String) throws -> String {
        Hex.encode(try Self.tag(Array(cookie.utf8), key: key, purpose: "csrf"))
    }

    /// Whether `token` is the CSRF token of the session `cookie`.
    public func isCSRFToken(_ token: String?, forSession cookie: String) -> Bool {
        guard let token, let expected = try? csrfToken(forSession: cookie) else { return false }
        return ConstantTime.equal(Array(token.utf8), Array(expected.utf8))
    }

    /// Ends every session and the login token: nothing opens again.
    public func endAll() {
        lock.withLock {
            ended = true
            loginTag = nil
            sessionTags.removeAll()
        }
    }

    /// Whether the sessions were ended.
    public var isEnded: Bool { lock.withLock { ended } }

    private static func tag(_ bytes: [UInt8], key: borrowing SecureBytes, purpose: String) throws -> [UInt8] {
        try BLAKE2b.hash(Array("kith-web-\(purpose)".utf8) + [0] + bytes, key: key)
    }
}

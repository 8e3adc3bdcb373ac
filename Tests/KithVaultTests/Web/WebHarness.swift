import Foundation
import KithVault
import KithWeb

/// Drives a `WebApp` as a browser on this machine would, without a socket:
/// the right Host and Origin, the session cookie once signed in, and the
/// page's CSRF token in every form. Each test can then break one of them.
final class WebHarness: @unchecked Sendable {
    // @unchecked: a test drives it from one task at a time.
    static let port = 48_123
    let app: WebApp
    let agent = AgentSwitch()
    var cookie: String?
    var language: String?

    /// Whether the fake agent is up, and whether the page locked it.
    final class AgentSwitch: @unchecked Sendable {
        private let lock = NSLock()
        private var up = true
        private var lockCalls = 0
        private var lockedSignals = 0
        var isUp: Bool { lock.withLock { up } }
        var lockRequests: Int { lock.withLock { lockCalls } }
        var serverToldLocked: Int { lock.withLock { lockedSignals } }
        func stop() { lock.withLock { up = false } }
        func lockNow() {
            lock.withLock {
                lockCalls += 1
                up = false
            }
        }
        func signal() { lock.withLock { lockedSignals += 1 } }
    }

    /// A harness whose vault is what `open` opens (as the signed-in user).
    init(open: @escaping @Sendable () throws -> Vault) throws {
        let agent = agent
        let environment = WebEnvironment(
            open: open, isUnlocked: { agent.isUp }, lock: { agent.lockNow() }, idleLimitSeconds: { 900 }, vaultDescription: "test.kith")
        app = try WebApp(environment: environment, sessions: try WebSessions(), onLocked: { agent.signal() })
        app.listening(on: Self.port)
    }

    /// What the browser sends as Host: the server's random name and its port.
    var host: String { "\(app.hostName):\(Self.port)" }
    var origin: String { "http://\(host)" }

    /// What every request of this browser carries.
    func headers(host: String? = nil, extra: [String: String] = [:]) -> [String: String] {
        var headers = ["Host": host ?? self.host]
        var cookies: [String] = []
        if let cookie { cookies.append("kith_session=\(cookie)") }
        if let language { cookies.append("kith_lang=\(language)") }
        if !cookies.isEmpty { headers["Cookie"] = cookies.joined(separator: "; ") }
        return headers.merging(extra) { $1 }
    }

    func get(_ path: String, query: String = "", host: String? = nil, extra: [String: String] = [:]) async -> WebResponse {
        await app.respond(to: WebRequest(method: .get, path: path, query: query, headers: headers(host: host, extra: extra)))
    }

    /// A form as the page posts it: with its CSRF token and this server's Origin unless told otherwise.
    func post(_ path: String, _ fields: [(String, String)], csrf: String? = nil, origin: String?? = .some(nil), extra: [String: String] = [:]) async -> WebResponse {
        var all = fields
        if let token = csrf ?? currentCSRF { all.append(("csrf", token)) }
        var extra = extra
        switch origin {
        case .none: break
        case .some(.none): extra["Origin"] = self.origin
        case .some(.some(let given)): extra["Origin"] = given
        }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        extra["Content-Type"] = "application/x-www-form-urlencoded"
        return await app.respond(to: WebRequest(method: .post, path: path, headers: headers(extra: extra), body: Array(body.utf8)))
    }

    /// The token the signed-in page's forms carry.
    var currentCSRF: String? { cookie.flatMap { try? app.sessions.csrfToken(forSession: $0) } }

    /// A browser signed in as `handle` of `fixture`'s vault: the one way
    /// every web test starts.
    static func signedIn(as handle: String, _ fixture: VaultFixture) async throws -> WebHarness {
        nonisolated(unsafe) let opener = fixture
        let web = try WebHarness(open: { try opener.open(handle) })
        try await web.signIn()
        return web
    }

    /// Opens the one-time address and keeps the cookie it sets.
    func signIn() async throws {
        let response = await get("/login", query: "token=\(app.sessions.loginToken)")
        guard let set = response.header("Set-Cookie"), let value = set.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last else {
            throw KithVaultError.accessDenied("sign-in set no cookie (status \(response.status))")
        }
        cookie = String(value)
    }

    static func encode(_ text: String) -> String {
        // As a browser writes a form: everything but ASCII letters, digits and -._~ as %XX of its UTF-8.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

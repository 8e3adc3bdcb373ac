import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// The web interface on a shared machine: only the browser that opened the
/// one-time address gets in; a page elsewhere on the web cannot read or
/// drive it (DNS rebinding, a cross-site form, a forged token); every
/// response tells the browser to keep nothing.
@Suite("Web interface: who may use it")
struct WebSecurityTests {
    static func harness() throws -> (VaultFixture, WebHarness) {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        _ = try lead.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Sam Rivera")]))
        nonisolated(unsafe) let opener = fixture
        return (fixture, try WebHarness(open: { try opener.open("lead-tra") }))
    }

    @Test("the one-time address signs one browser in, once; a wrong or reused token, or no cookie, shows no page of the vault")
    func signIn() async throws {
        let (_, web) = try Self.harness()
        #expect(await web.get("/find").status == 403)
        let wrong = await web.get("/login", query: "token=" + String(repeating: "ab", count: 32))
        #expect(wrong.status == 403 && wrong.header("Set-Cookie") == nil)
        #expect(await web.get("/login", query: "token=not-hex").status == 403)
        try await web.signIn()
        let cookie = try #require(web.cookie)
        #expect(await web.get("/find").status == 200)
        // The address a second time (browser history, a copy), in another browser, opens nothing.
        web.cookie = nil
        let again = await web.get("/login", query: "token=\(web.app.sessions.loginToken)")
        #expect(again.status == 403 && again.header("Set-Cookie") == nil)
        web.cookie = cookie
        // A cookie made up, or one bit off, is no session.
        web.cookie = String(repeating: "0", count: 64)
        #expect(await web.get("/find").status == 403)
        web.cookie = String(cookie.dropLast()) + (cookie.last == "0" ? "1" : "0")
        #expect(await web.get("/find").status == 403)
    }

    @Test("the session cookie is HttpOnly, SameSite=Strict and host-only, for a host name no one else knows")
    func cookieFlags() async throws {
        let (_, web) = try Self.harness()
        let response = await web.get("/login", query: "token=\(web.app.sessions.loginToken)")
        let set = try #require(response.header("Set-Cookie"))
        #expect(set.hasPrefix("kith_session=") && !set.contains("Domain"))
        #expect(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"))
        // The sign-in page moves on by itself, from this site (so the Strict cookie rides along).
        #expect(response.text.contains("url=/find"))
    }

    @Test(
        "a request naming another host is refused before anything else (DNS rebinding)",
        arguments: [
            "evil.example:\(WebHarness.port)", "127.0.0.1:\(WebHarness.port)", "localhost:\(WebHarness.port)", "[::1]:\(WebHarness.port)", "127.0.0.1",
            "localhost.evil.example:\(WebHarness.port)", "", "%@:1", "%@", "%@.evil.example:\(WebHarness.port)",
        ])
    func rebinding(host: String) async throws {
        let (_, web) = try Self.harness()
        try await web.signIn()
        let response = await web.get("/find", host: host.replacingOccurrences(of: "%@", with: web.app.hostName))
        #expect(response.status == 421)
        #expect(!response.text.contains("Sam"))
    }

    @Test("before the server knows its port, nothing is answered but a refusal")
    func beforeListening() async throws {
        let fixture = try VaultFixture()
        nonisolated(unsafe) let opener = fixture
        let app = try WebApp(
            environment: WebEnvironment(open: { try opener.open("founder") }, isUnlocked: { true }, lock: {}, vaultDescription: "test"),
            sessions: try WebSessions())
        let response = await app.respond(to: WebRequest(method: .get, path: "/login", query: "token=\(app.sessions.loginToken)", headers: ["Host": "127.0.0.1:0"]))
        #expect(response.status == 421)
    }

    @Test("a change without this server's Origin, from another site, or without the page's token is refused and does nothing")
    func forgedChanges() async throws {
        let (_, web) = try Self.harness()
        try await web.signIn()
        let lock: [(String, String)] = []
        // Another site's form: its own Origin.
        #expect(await web.post("/lock", lock, origin: "http://evil.example").status == 403)
        // No Origin at all, or the "null" of a sandboxed frame or a file.
        #expect(await web.post("/lock", lock, origin: .none).status == 403)
        #expect(await web.post("/lock", lock, origin: "null").status == 403)
        // The right Origin but a fetch the browser marks cross-site.
        #expect(await web.post("/lock", lock, extra: ["Sec-Fetch-Site": "cross-site"]).status == 403)
        // No token, a wrong one, and another session's.
        let noToken = await web.app.respond(
            to: WebRequest(method: .post, path: "/lock", headers: web.headers(extra: ["Origin": web.origin]), body: Array("x=1".utf8)))
        #expect(noToken.status == 403)
        #expect(await web.post("/lock", lock, csrf: String(repeating: "a", count: 64)).status == 403)
        let other = try web.app.sessions.csrfToken(forSession: String(repeating: "1", count: 64))
        #expect(await web.post("/lock", lock, csrf: other).status == 403)
        #expect(web.agent.lockRequests == 0)
        #expect(await web.get("/find").status == 200)
        // The page's own form works.
        let locked = await web.post("/lock", lock)
        #expect(locked.status == 200 && web.agent.lockRequests == 1)
    }

    @Test("every response carries the strict headers: no script, no other origin, no framing, nothing stored", arguments: ["/find", "/status", "/nowhere", "/kith.css", "/login"])
    func headers(path: String) async throws {
        let (_, web) = try Self.harness()
        if path != "/login" { try await web.signIn() }
        let response = await web.get(path)
        let policy = try #require(response.header("Content-Security-Policy"))
        #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'") && policy.contains("form-action 'self'"))
        #expect(!policy.contains("script-src") && !policy.contains("unsafe-inline"))
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("X-Frame-Options") == "DENY")
        // Not no-referrer: then browsers send "Origin: null" on the page's own form posts.
        #expect(response.header("Referrer-Policy") == "same-origin")
        #expect(!response.text.contains("content=\"no-referrer\""))
        // The markup itself has no script and no inline style for the policy to miss.
        #expect(!response.text.contains("<script") && !response.text.contains("style="))
    }

    @Test("a bogus cookie of the same name sent first (set by a page elsewhere under .localhost) does not sign the browser out")
    func cookieTossing() async throws {
        let (_, web) = try Self.harness()
        try await web.signIn()
        let cookie = try #require(web.cookie)
        web.cookie = String(repeating: "f", count: 64) + "; kith_session=" + cookie
        #expect(await web.get("/find").status == 200)
    }

    @Test("the host name is random per server, under .localhost; back at the sign-in address while signed in goes on to the search")
    func hostNameAndReturn() async throws {
        let (_, web) = try Self.harness()
        let (_, other) = try Self.harness()
        let name = web.app.hostName
        #expect(name.hasPrefix("k") && name.hasSuffix(".localhost") && name.count == 1 + 32 + ".localhost".count && name != other.app.hostName)
        #expect(web.app.loginURL.hasPrefix("http://\(name):\(WebHarness.port)/login?token="))
        try await web.signIn()
        let back = await web.get("/login", query: "token=\(web.app.sessions.loginToken)")
        #expect(back.status == 303 && back.header("Location") == "/find")
    }

    @Test("the lock button locks the agent, ends every session and tells the browser to forget the site")
    func lockButton() async throws {
        let (_, web) = try Self.harness()
        try await web.signIn()
        let response = await web.post("/lock", [])
        #expect(response.text.contains("Kith is locked"))
        #expect(response.header("Clear-Site-Data")?.contains("cookies") == true)
        #expect(web.agent.lockRequests == 1 && web.agent.serverToldLocked == 1)
        // The old cookie opens nothing, and nothing signs in again.
        let after = await web.get("/find")
        #expect(after.text.contains("Kith is locked") && !after.text.contains("Trans Support"))
        #expect(await web.get("/login", query: "token=\(web.app.sessions.loginToken)").header("Set-Cookie")?.contains("Max-Age=0") == true)
    }

    @Test("when the agent locks by itself (idle, kith lock), the next request shows the locked page and no content")
    func agentLocked() async throws {
        let (_, web) = try Self.harness()
        try await web.signIn()
        #expect(await web.get("/status").text.contains("lead-tra"))
        web.agent.stop()
        let response = await web.get("/status")
        #expect(response.text.contains("Kith is locked") && !response.text.contains("lead-tra"))
        #expect(web.agent.serverToldLocked == 1 && web.agent.lockRequests == 0)
        web.agent.signal()  // (the harness's count only)
        #expect(web.app.sessions.isEnded)
    }

    @Test("the language switch goes back only to a page of this server")
    func languageSwitchStaysHere() async throws {
        let (_, web) = try Self.harness()
        try await web.signIn()
        for back in ["//evil.example/", "http://evil.example/", "/\\evil.example", "/records/../../x"] {
            let response = await web.post("/language", [("to", "ar"), ("back", back)])
            #expect(response.status == 303)
            #expect(response.header("Location") == "/find", "back=\(back)")
        }
        let response = await web.post("/language", [("to", "ar"), ("back", "/status")])
        #expect(response.header("Location") == "/status")
        #expect(response.header("Set-Cookie")?.hasPrefix("kith_lang=ar") == true)
    }
}

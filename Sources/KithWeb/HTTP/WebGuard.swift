import KithCrypto

/// The checks every request passes before any page, and the headers every
/// response carries. A page elsewhere on the web cannot drive this server:
/// its requests carry another Host (DNS rebinding) or another Origin, and
/// never the CSRF token; another local account lacks the session cookie.
struct WebGuard: Sendable {
    /// The port this server listens on.
    let port: Int
    /// This server's own name: a random name under `.localhost`, which
    /// browsers send to loopback. Cookies are kept per host, not per port, so
    /// on 127.0.0.1 a session cookie would also go to every other local
    /// account's server; under a name no one else knows, it goes only here.
    let hostName: String

    /// The one Host value a browser sends to this server.
    var allowedHosts: Set<String> { ["\(hostName):\(port)"] }

    /// The origins of this server's own pages.
    var allowedOrigins: Set<String> { Set(allowedHosts.map { "http://\($0)" }) }

    /// Whether the Host header names this server (a rebinding page's Host is its own name).
    func hostIsOurs(_ request: WebRequest) -> Bool {
        guard let host = request.header("host")?.lowercased() else { return false }
        return allowedHosts.contains(host)
    }

    /// Whether a change comes from this server's own page: browsers send
    /// Origin with every form POST; Sec-Fetch-Site, where sent, must agree.
    func originIsOurs(_ request: WebRequest) -> Bool {
        guard let origin = request.header("origin")?.lowercased(), allowedOrigins.contains(origin) else { return false }
        if let site = request.header("sec-fetch-site"), site != "same-origin" { return false }
        return true
    }

    /// The session cookie's name (host-only: the random host name keeps it here).
    var sessionCookie: String { "kith_session" }

    /// The language cookie's name.
    var languageCookie: String { "kith_lang" }

    /// A new random host name: "k" and 32 hex digits, under `.localhost`.
    static func randomHostName() throws -> String {
        "k" + Hex.encode(try Random.bytes(16)) + ".localhost"
    }

    /// The Content-Security-Policy of every response: nothing from another
    /// origin, no script at all, no inline style, no framing, forms only to here.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// `response` with the headers every response carries.
    static func secured(_ response: WebResponse) -> WebResponse {
        var secured = response
        secured.headers += [
            ("Content-Security-Policy", contentSecurityPolicy),
            // Pages hold records: never kept by the browser or anything between.
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            // same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with every
            // form POST (the Fetch standard), and the Origin check above would refuse the page's own forms.
            // A link elsewhere still carries nothing.
            ("Referrer-Policy", "same-origin"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "same-origin"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), clipboard-read=()"),
        ]
        return secured
    }
}

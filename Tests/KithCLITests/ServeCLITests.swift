import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kith serve` through the built binary and a real socket: it needs the
/// agent, prints a one-time address, serves pages over loopback only to
/// the browser that opened it, logs nothing, and stops when the identity
/// locks.
@Suite("kith serve")
struct ServeCLITests {
    /// One HTTP/1.1 exchange on 127.0.0.1, written by hand so the test
    /// controls every header (Host among them), as a hostile page could not.
    static func exchange(port: Int, _ request: String) throws -> (status: Int, head: String, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            reply += buffer[0..<count]
        }
        let text = String(decoding: reply, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func get(_ server: Server, _ path: String, host: String? = nil, cookie: String? = nil) throws -> (status: Int, head: String, body: String) {
        var lines = ["GET \(path) HTTP/1.1", "Host: \(host ?? server.host)", "Connection: close"]
        if let cookie { lines.append("Cookie: \(cookie)") }
        return try exchange(port: server.port, lines.joined(separator: "\r\n") + "\r\n\r\n")
    }

    static func post(_ server: Server, _ path: String, form: String, cookie: String) throws -> (status: Int, head: String, body: String) {
        let lines = [
            "POST \(path) HTTP/1.1", "Host: \(server.host)", "Origin: http://\(server.host)", "Cookie: \(cookie)",
            "Content-Type: application/x-www-form-urlencoded", "Content-Length: \(form.utf8.count)", "Connection: close",
        ]
        return try exchange(port: server.port, lines.joined(separator: "\r\n") + "\r\n\r\n" + form)
    }

    /// "kith_session=..." from a response's Set-Cookie header.
    static func sessionCookie(_ head: String) -> String? {
        head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }
            .map { String($0.dropFirst("set-cookie: ".count).split(separator: ";")[0]) }
    }

    /// The CSRF token a page's forms carry.
    static func csrfToken(_ page: String) -> Substring? {
        page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix(64)
    }

    /// A running `kith serve` and the address it printed.
    final class Server {
        let process = Process()
        let out = Pipe(), err = Pipe()
        let url: String
        let port: Int
        /// The server's own name and port, as a browser sends it in Host.
        let host: String
        /// The login path with its token.
        let path: String

        init(_ cli: CLIHarness, identity: [String]) throws {
            process.executableURL = cli.binary
            process.arguments = ["serve"] + identity
            process.environment = cli.environment()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // The address, from the first lines it prints.
            var printed = ""
            let deadline = Date().addingTimeInterval(60)
            while !printed.contains("/login?token=") && Date() < deadline && process.isRunning {
                printed += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            }
            guard let url = printed.split(whereSeparator: \.isWhitespace).map(String.init).first(where: { $0.contains("/login?token=") }),
                let port = Int(url.split(separator: ":")[2].split(separator: "/")[0])
            else { throw POSIXError(.EPROTO) }
            self.url = url
            self.port = port
            host = String(url.dropFirst("http://".count).prefix { $0 != "/" })
            path = String(url.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        }

        func stop() { if process.isRunning { process.terminate() } }
    }

    /// Chromium, if this machine has it.
    static var chromium: String? {
        for folder in ["/usr/bin", "/usr/local/bin", "/snap/bin"] {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    @Test("a real browser (headless Chromium) opens the one-time address and, signed in by its cookie, is shown the search page in Arabic")
    func realBrowser() throws {
        guard let chromium = Self.chromium else {
            // make test installs it (scripts/ensure-browser.sh) and requires it.
            #expect(ProcessInfo.processInfo.environment["KITH_REQUIRE_BROWSER"] != "1", "Chromium is missing: run scripts/ensure-browser.sh")
            return
        }
        let cli = try CLIHarness.transSupport()
        let identity = ["--identity", cli.path("alex.kithid")]
        #expect(try cli.run(["unlock", "--for", "10m"], as: "alex").code == 0)
        let server = try Server(cli, identity: identity)
        defer { server.stop() }
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: chromium)
        // Its own profile in the scratch folder; --no-sandbox because test machines run as root.
        browser.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(cli.path("chromium"))", "--accept-lang=ar",
            "--virtual-time-budget=8000", "--dump-dom", server.url,
        ]
        let dom = Pipe()
        browser.standardOutput = dom
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let page = String(decoding: dom.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()
        // The sign-in page moved on to the search, and the Strict cookie rode along: a page only a session sees.
        #expect(page.contains("dir=\"rtl\"") && page.contains("<h1>البحث عن شخص</h1>") && page.contains("action=\"/lock\""), "\(page.prefix(600))")
        // The address is spent: a second browser is not signed in.
        #expect(try Self.get(server, server.path).status == 403)
    }

    @Test("in a real browser a person types a search and presses the button, then presses Lock: the forms work and Kith locks")
    func realBrowserForms() throws {
        guard let chromium = Self.chromium else {
            #expect(ProcessInfo.processInfo.environment["KITH_REQUIRE_BROWSER"] != "1", "Chromium is missing: run scripts/ensure-browser.sh")
            return
        }
        let cli = try CLIHarness.transSupport()
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam Rivera"], as: "alex").code == 0)
        let identity = ["--identity", cli.path("alex.kithid")]
        #expect(try cli.run(["unlock", "--for", "10m"], as: "alex").code == 0)
        let server = try Server(cli, identity: identity)
        defer { server.stop() }
        // The DevTools protocol, from a small script of the standard library only (Browser/drive.py).
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/drive.py").path
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        driver.arguments = ["python3", script, chromium, cli.path("chromium-forms"), server.url, "sam"]
        let out = Pipe()
        driver.standardOutput = out
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        driver.waitUntilExit()
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        #expect(seen["search_page"] as? Bool == true)
        #expect((seen["results"] as? String)?.contains("Sam Rivera") == true, "\(text)")
        #expect(seen["refused"] as? Bool == false)
        #expect(seen["locked_page"] as? Bool == true)
        let stopBy = Date().addingTimeInterval(20)
        while server.process.isRunning && Date() < stopBy { usleep(100_000) }
        #expect(!server.process.isRunning)
        #expect(try cli.run(["status", "--json"] + identity).out.contains("\"unlocked\" : false"))
    }

    @Test("the page's Lock button gets its answer (the locked page, telling the browser to forget) before the server stops, and locks the agent")
    func lockButton() throws {
        let cli = try CLIHarness.transSupport()
        let identity = ["--identity", cli.path("alex.kithid")]
        #expect(try cli.run(["unlock", "--for", "10m"], as: "alex").code == 0)
        let server = try Server(cli, identity: identity)
        defer { server.stop() }
        let login = try Self.get(server, server.path)
        let cookie = try #require(Self.sessionCookie(login.head))
        let page = try Self.get(server, "/find", cookie: cookie)
        let csrf = try #require(Self.csrfToken(page.body))
        let locked = try Self.post(server, "/lock", form: "csrf=\(csrf)", cookie: cookie)
        #expect(locked.status == 200 && locked.head.contains("Clear-Site-Data") && locked.body.contains("Kith is locked"))
        let stopBy = Date().addingTimeInterval(20)
        while server.process.isRunning && Date() < stopBy { usleep(100_000) }
        #expect(!server.process.isRunning && server.process.terminationStatus == 0)
        #expect(try cli.run(["status", "--json"] + identity).out.contains("\"unlocked\" : false"))
    }

    @Test("serve needs the agent, gives one browser a session over loopback, refuses another Host, logs nothing, and stops on kith lock")
    func serveThenLock() throws {
        let cli = try CLIHarness.transSupport()
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Sam Rivera"], as: "alex").code == 0)
        let identity = ["--identity", cli.path("alex.kithid")]
        let locked = try cli.run(["serve"] + identity)
        #expect(locked.code == 77 && locked.err.contains("kith unlock"), "\(locked.err)")
        #expect(try cli.run(["unlock", "--for", "10m"], as: "alex").code == 0)
        #expect(try cli.run(["serve", "--port", "80"] + identity).code == 64)

        let server = try Server(cli, identity: identity)
        defer { server.stop() }
        let (process, out, err, port, path) = (server.process, server.out, server.err, server.port, server.path)
        #expect(server.host.hasSuffix(".localhost:\(port)"))
        // Loopback by address is not this server's name: refused like a rebinding page.
        #expect(try Self.get(server, "/find", host: "127.0.0.1:\(port)").status == 421)

        // Without the address's session: nothing.
        #expect(try Self.get(server, "/find").status == 403)
        let login = try Self.get(server, path)
        #expect(login.status == 200)
        let cookie = try #require(Self.sessionCookie(login.head))
        #expect(try Self.get(server, path).status == 403)
        let page = try Self.get(server, "/find", cookie: cookie)
        #expect(page.status == 200 && page.body.contains("Find a person"))
        #expect(page.head.contains("Content-Security-Policy: default-src 'none'") && page.head.contains("Cache-Control: no-store"))
        // A rebinding page's Host.
        #expect(try Self.get(server, "/find", host: "evil.example:\(port)", cookie: cookie).status == 421)
        let csrf = try #require(Self.csrfToken(page.body))
        let found = try Self.post(server, "/find", form: "csrf=\(csrf)&q=sam", cookie: cookie)
        #expect(found.status == 200 && found.body.contains("Sam Rivera"))

        // kith lock ends it: the server stops by itself.
        #expect(try cli.run(["lock"] + identity).code == 0)
        let stopBy = Date().addingTimeInterval(20)
        while process.isRunning && Date() < stopBy { usleep(100_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("stopped"))
        // Nothing logged: no request line, no name, no token.
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!errors.contains("Sam") && !errors.contains("/find") && !errors.contains("token"), "\(errors)")
        // Only the notice that the address was used, where it was printed.
        #expect(errors.contains("a browser signed in with the address"))
        #expect(throws: (any Error).self) { try Self.get(server, "/find", cookie: cookie) }
    }
}

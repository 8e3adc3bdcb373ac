import Foundation
import KithVault

/// The web interface as a function from a request to a response: the
/// checks (`WebGuard`, `WebSessions`), the routes and the pages, with no
/// socket in sight, so tests drive it directly. `WebServer` puts it on
/// loopback.
public final class WebApp: Sendable {
    /// Who may use it.
    public let sessions: WebSessions
    private let port = PortBox()
    /// This server's own host name (random, under `.localhost`).
    public let hostName: String
    var guardian: WebGuard { WebGuard(port: port.value ?? 0, hostName: hostName) }
    let environment: WebEnvironment
    let host: WebVaultHost
    /// Downloads and uploads in progress (Lock stops them).
    let transfers = Transfers()
    private let onLocked: @Sendable () -> Void
    private let onSignIn: @Sendable () -> Void

    /// The largest form body accepted (a search, a reason).
    public static let maximumFormBytes = 64 << 10

    /// An app; `onLocked` runs once the sessions end (the lock button,
    /// `kith lock`, the agent's idle lock), so the server can stop. It
    /// answers nothing but a refusal until `listening(on:)` names its port.
    public init(
        environment: WebEnvironment, sessions: WebSessions, onLocked: @escaping @Sendable () -> Void = {}, onSignIn: @escaping @Sendable () -> Void = {}
    ) throws {
        self.sessions = sessions
        self.hostName = try WebGuard.randomHostName()
        self.onSignIn = onSignIn
        self.environment = environment
        self.host = WebVaultHost(open: environment.open)
        self.onLocked = onLocked
    }

    /// Names the port the server is bound to: the Host and Origin every request must carry.
    public func listening(on port: Int) { self.port.set(port) }

    /// The address to open once: it carries the one-time login token.
    public var loginURL: String { "http://\(hostName):\(guardian.port)/login?token=\(sessions.loginToken)" }

    /// Answers `request`, with the headers every response carries.
    public func respond(to request: WebRequest) async -> WebResponse {
        WebGuard.secured(await route(request))
    }

    /// Ends every session and drops the vault; the agent is left as it is.
    public func endSessions() {
        guard !sessions.isEnded else { return }
        sessions.endAll()
        // First the transfers, which may hold the vault's queue; then the vault, without waiting for the queue.
        transfers.cancelAll()
        host.drop()
        onLocked()
    }

    private func route(_ request: WebRequest) async -> WebResponse {
        // A page on another site that rebinds its name to 127.0.0.1 still sends its own name.
        let guardian = guardian
        // Before the port is known, nothing is ours.
        guard port.value != nil, guardian.hostIsOurs(request) else {
            return .text("This is Kith's local web interface; open it at the address 'kith serve' printed.\n", status: 421)
        }
        if request.path == "/kith.css", request.method == .get {
            return WebResponse(status: 200, headers: [("Content-Type", "text/css; charset=utf-8")], body: Array(WebStyle.css.utf8))
        }
        let language = language(for: request)
        if sessions.isEnded || !environment.isUnlocked() {
            endSessions()
            return lockedResponse(language)
        }
        // Any cookie of that name that is a live session (a page elsewhere under .localhost could add a bogus one first).
        let cookie = request.cookies(guardian.sessionCookie).first { sessions.isSession($0) }
        if request.path == "/login" {
            // Back to the sign-in address while signed in: on to the search, not "not signed in".
            if cookie != nil { return .redirect(to: "/find") }
            return login(request, language: language)
        }
        guard let cookie, let csrf = try? sessions.csrfToken(forSession: cookie) else {
            return .page(MessagePage.notSignedIn(PageContext(language: language, csrf: nil, path: "/")), status: 403)
        }
        let context = PageContext(language: language, csrf: csrf, path: request.path)
        let form = request.form()
        if request.method == .post {
            // Both: Origin stops another site's form, the token a request forged any other way.
            // A file's form carries its token in the address (the body is the file, streamed).
            let token = request.upload != nil ? request.queryItems()["csrf"] : form["csrf"]
            guard guardian.originIsOurs(request), sessions.isCSRFToken(token, forSession: cookie) else {
                return .page(MessagePage.refused(context), status: 403)
            }
        }
        switch (request.method, request.path) {
        case (.get, "/"): return .redirect(to: "/find")
        case (.get, "/find"): return await findPage(context, form: FindPage.Form(), outcome: nil)
        case (.post, "/find"): return await find(context, form: form)
        case (.get, "/status"): return await status(context)
        case (.post, "/language"): return switchLanguage(form)
        case (.post, "/lock"): return lock(language)
        case (.get, let path) where path.hasPrefix("/attachments/"): return await download(String(path.dropFirst("/attachments/".count)), reason: nil, context)
        case (.post, let path) where path.hasPrefix("/attachments/"):
            return await download(String(path.dropFirst("/attachments/".count)), reason: form["reason"] ?? "", context)
        case (.get, "/log"): return .page(LogPage.render(context, filters: LogPage.Filters(), lines: nil))
        case (.post, "/log"): return await log(context, form: form)
        case (.get, "/verify"): return .page(VerifyPage.render(context, report: nil))
        case (.post, "/verify"): return await verify(context)
        case (.get, let path) where path.hasPrefix("/groups/"):
            guard let id = Self.groupID(path) else { return .page(MessagePage.notFound(context), status: 404) }
            return await groupPage(id, context)
        case (.post, let path) where path.hasPrefix("/groups/") && (path.hasSuffix("/share") || path.hasSuffix("/revoke")):
            let action = path.hasSuffix("/share") ? "/share" : "/revoke"
            guard let id = Self.groupID(path, suffix: action) else { return .page(MessagePage.notFound(context), status: 404) }
            return action == "/share" ? await share(id, context, form: form) : await revoke(id, context, form: form)
        case (.get, "/new"): return await newRecordPage(context, draft: Self.draft(request.queryItems()))
        case (.post, "/new"): return await newRecord(context, form: form)
        case (let method, let path) where (method == .get || method == .post) && path.hasPrefix("/records/") && path.hasSuffix("/edit"):
            let id = String(path.dropFirst("/records/".count).dropLast("/edit".count))
            return method == .post ? await update(id, context, form: form) : await editPage(id, context)
        case (.post, let path) where WebRequest.isUpload(method: .post, path: path) && request.upload != nil:
            return await upload(String(path.dropFirst("/records/".count).dropLast("/attachments".count)), context, request: request)
        case (.post, let path) where path.hasPrefix("/records/") && path.hasSuffix("/notes"):
            return await addNote(String(path.dropFirst("/records/".count).dropLast("/notes".count)), context, form: form)
        case (.get, let path) where path.hasPrefix("/records/"): return await record(String(path.dropFirst("/records/".count)), reason: nil, context)
        case (.post, let path) where path.hasPrefix("/records/"):
            return await record(String(path.dropFirst("/records/".count)), reason: form["reason"] ?? "", context)
        case (.get, _), (.post, _): return .page(MessagePage.notFound(context), status: 404)
        default: return WebResponse(status: 405, headers: [("Allow", "GET, POST")])
        }
    }

    // MARK: Sessions and language

    private func login(_ request: WebRequest, language: WebLanguage) -> WebResponse {
        let notSignedIn = WebResponse.page(MessagePage.notSignedIn(PageContext(language: language, csrf: nil, path: "/")), status: 403)
        guard request.method == .get, let token = request.queryItems()["token"], let session = try? sessions.redeem(token: token) else {
            return notSignedIn
        }
        // A page of our own moves on to the search, rather than a redirect: a
        // SameSite=Strict cookie rides only on a navigation this site starts
        // (the address may have been opened from a file or another program).
        let body: HTML = """
            <!doctype html><html lang="\(language.rawValue)" dir="\(language.direction)"><head><meta charset="utf-8">\
            <meta http-equiv="refresh" content="0; url=/find"><title>Kith</title><link rel="stylesheet" href="/kith.css"></head>\
            <body><main><p><a href="/find">\(Phrase.navFind.html(language))</a></p></main></body></html>
            """
        var response = WebResponse.page(body)
        response.headers.append(("Set-Cookie", "\(guardian.sessionCookie)=\(session); Path=/; HttpOnly; SameSite=Strict"))
        onSignIn()
        return response
    }

    private func language(for request: WebRequest) -> WebLanguage {
        if let chosen = request.cookie(guardian.languageCookie).flatMap(WebLanguage.init(rawValue:)) { return chosen }
        return WebLanguage.preferred(acceptLanguage: request.header("accept-language"))
    }

    private func switchLanguage(_ form: [String: String]) -> WebResponse {
        let language = form["to"].flatMap(WebLanguage.init(rawValue:)) ?? .english
        var response = WebResponse.redirect(to: Self.pageToReturnTo(form["back"]))
        response.headers.append(("Set-Cookie", "\(guardian.languageCookie)=\(language.rawValue); Path=/; SameSite=Strict; Max-Age=31536000"))
        return response
    }

    /// Back to one of this server's pages only, never another origin or
    /// a path someone made up: the status page, a record by its id, else the search.
    static func pageToReturnTo(_ back: String?) -> String {
        guard let back else { return "/find" }
        if back == "/status" { return back }
        if back.hasPrefix("/records/"), (try? Vault.checkRecordIDText(String(back.dropFirst("/records/".count)))) != nil { return back }
        return "/find"
    }

    private func lock(_ language: WebLanguage) -> WebResponse {
        environment.lock()
        endSessions()
        return lockedResponse(language)
    }

    /// The locked page, telling the browser to forget this site's cookies and anything it cached.
    private func lockedResponse(_ language: WebLanguage) -> WebResponse {
        var response = WebResponse.page(MessagePage.locked(PageContext(language: language, csrf: nil, path: "/")))
        response.headers.append(("Clear-Site-Data", "\"cache\", \"cookies\", \"storage\""))
        response.headers.append(("Set-Cookie", "\(guardian.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"))
        return response
    }

    // MARK: Pages

    /// Runs `body` on the vault; a failure becomes its page (a stopped agent, the locked page).
    func withVault<T: Sendable>(
        _ context: PageContext, _ body: @escaping @Sendable (Vault) throws -> T, page: (T) -> WebResponse
    ) async -> WebResponse {
        do {
            return page(try await host.run(body))
        } catch {
            return failure(error, context)
        }
    }

    func failure(_ error: Error, _ context: PageContext) -> WebResponse {
        let vaultError = (error as? KithVaultError) ?? KithVaultError.storage(String(describing: error))
        if vaultError.remedy == .unlockAgain || vaultError.remedy == .checkAgent || !environment.isUnlocked() {
            // The agent went away mid-request: locked.
            endSessions()
            return lockedResponse(context.language)
        }
        return .page(MessagePage.failure(vaultError, context), status: Self.status(of: vaultError))
    }

    static func status(of error: KithVaultError) -> Int {
        switch error.code {
        case .notFound: return 404
        case .accessDenied, .wrongPassphrase: return 403
        case .invalidInput: return 400
        case .busy: return 503
        // 507 Insufficient Storage (RFC 4918): the request was fine, the disk is not.
        case .noSpace: return 507
        case .integrity, .invalidEntry, .storage, .crypto: return 500
        }
    }

    private func findPage(_ context: PageContext, form: FindPage.Form, outcome: SearchOutcome?, error: HTML? = nil) async -> WebResponse {
        await withVault(context, { try $0.groups() }) { groups in
            .page(FindPage.render(context, groups: groups, form: form, outcome: outcome, error: error), status: error == nil ? 200 : 400)
        }
    }

    private func find(_ context: PageContext, form fields: [String: String]) async -> WebResponse {
        let form = FindPage.Form(text: fields["q"] ?? "", group: fields["group"] ?? "", kind: fields["kind"] ?? "")
        let query: SearchQuery
        let kind: RecordKind?
        do {
            query = try SearchQuery.parse(line: form.text)
            kind = try form.kind.isEmpty ? nil : RecordKind(name: form.kind).orThrow(KithVaultError.invalidInput("no such kind of record: \(form.kind)"))
        } catch {
            let vaultError = (error as? KithVaultError) ?? .invalidInput(String(describing: error))
            return await findPage(context, form: form, outcome: nil, error: MessagePage.failureBox(vaultError, context))
        }
        let group = form.group.isEmpty ? nil : form.group
        do {
            let (groups, outcome) = try await host.run { vault in
                (try vault.groups(), try vault.search(query, groupName: group, kind: kind, limit: 50))
            }
            return .page(FindPage.render(context, groups: groups, form: form, outcome: outcome))
        } catch let error as KithVaultError where error.code == .invalidInput || error.code == .notFound {
            return await findPage(context, form: form, outcome: nil, error: MessagePage.failureBox(error, context))
        } catch {
            return failure(error, context)
        }
    }

    private func status(_ context: PageContext) async -> WebResponse {
        let environment = environment
        return await withVault(context) { vault in
            StatusPage.Shown(
                me: try vault.whoami(), vault: environment.vaultDescription, fingerprint: vault.readableFingerprint, logSize: vault.state.count,
                groups: try vault.groups(), idleLimitSeconds: environment.idleLimitSeconds())
        } page: {
            .page(StatusPage.render(context, $0))
        }
    }

    /// A record; `reason` is what the person typed when the group asked why (nil: not asked yet).
    private func record(_ text: String, reason: String?, _ context: PageContext) async -> WebResponse {
        guard (try? Vault.checkRecordIDText(text)) != nil else { return .page(MessagePage.notFound(context), status: 404) }
        let checkedReason: String?
        do {
            checkedReason = try reason.map(Vault.checkedReason)
        } catch {
            let vaultError = (error as? KithVaultError) ?? .invalidInput(String(describing: error))
            return await recordReasonPage(text, context, error: MessagePage.failureBox(vaultError, context))
        }
        do {
            let shown = try await host.run { vault in
                let id = try vault.recordID(matching: text)
                try vault.setAccessReason(checkedReason)
                // The reason covers this read only.
                defer { try? vault.setAccessReason(nil) }
                let view = try vault.readRecord(id)
                let changeable = try vault.changeableCompartments(of: id)
                return RecordPage.Shown(
                    view: view, history: try vault.history(id), cases: view.kind == .member ? try vault.cases(ofMember: id) : [],
                    notes: view.kind == .case ? try vault.notes(caseID: id) : [], changeable: changeable,
                    mayAddNote: view.kind == .case && changeable.contains(.notes), groupID: (try? vault.group(named: view.group).id.description) ?? "",
                    attachments: view.kind == .case ? try vault.attachments(caseID: id) : [])
            }
            return .page(RecordPage.render(context, shown))
        } catch let error as KithVaultError where error.remedy == .giveReason {
            return await recordReasonPage(text, context, error: nil)
        } catch {
            return failure(error, context)
        }
    }

    private func recordReasonPage(_ text: String, _ context: PageContext, error: HTML?) async -> WebResponse {
        await withVault(context, { try $0.recordID(matching: text) }) { id in
            .page(RecordPage.askReason(context, id: id, error: error), status: error == nil ? 200 : 400)
        }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// The bound port, set once the server listens.
final class PortBox: @unchecked Sendable {
    // @unchecked: read and written under `lock`.
    private let lock = NSLock()
    private var port: Int?

    var value: Int? { lock.withLock { port } }
    func set(_ value: Int) { lock.withLock { port = value } }
}

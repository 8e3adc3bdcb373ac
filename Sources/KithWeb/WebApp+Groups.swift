import KithVault

/// A group's page (members and roles; for leads, giving and removing
/// roles), and checking the log.
extension WebApp {
    /// The group a path names by id, checked to be an id before the vault is asked.
    static func groupID(_ path: String, suffix: String = "") -> String? {
        let rest = path.dropFirst("/groups/".count).dropLast(suffix.count)
        guard rest.count == 32, rest.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        return String(rest)
    }

    func groupPage(_ id: String, _ context: PageContext, notice: HTML? = nil, error: HTML? = nil) async -> WebResponse {
        await withVault(context) { vault in
            let group = try vault.group(named: id)
            return GroupPage.Shown(group: group, members: try vault.members(groupName: id), policy: try vault.policy(groupName: id))
        } page: { shown in
            .page(GroupPage.render(context, shown, notice: notice, error: error), status: error == nil ? 200 : 400)
        }
    }

    func share(_ id: String, _ context: PageContext, form: [String: String]) async -> WebResponse {
        let handle = (form["handle"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let role = form["role"].flatMap(GroupRole.init(name:)) else {
            return await groupPage(id, context, error: MessagePage.failureBox(.invalidInput("choose a role: lead, caseworker or viewer"), context))
        }
        do {
            try await host.run { vault in try vault.share(groupName: id, with: handle, role: role) }
            return await groupPage(id, context, notice: "<p class=\"notice\" role=\"status\">\(context(.shared(handle: handle, role: role)))</p>")
        } catch let error as KithVaultError where [.invalidInput, .accessDenied, .notFound].contains(error.code) {
            return await groupPage(id, context, error: MessagePage.failureBox(error, context))
        } catch {
            return failure(error, context)
        }
    }

    /// Without a mode: the confirmation, with the modes explained. With one: the removal.
    func revoke(_ id: String, _ context: PageContext, form: [String: String]) async -> WebResponse {
        let handle = form["handle"] ?? ""
        guard let chosen = form["mode"] else {
            return await withVault(context, { try $0.group(named: id) }) { group in
                .page(GroupPage.confirmRevoke(context, group: group, handle: handle))
            }
        }
        let mode: RekeyMode?
        switch chosen {
        case "keep": mode = nil
        case let name: mode = RekeyMode(name: name)
        }
        guard chosen == "keep" || mode != nil else {
            return await groupPage(id, context, error: MessagePage.failureBox(.invalidInput("choose what happens to records written before"), context))
        }
        do {
            let result = try await host.run { vault in try vault.revoke(groupName: id, from: handle, mode: mode) }
            var notice: [HTML] = []
            if result.removedRole != nil { notice.append("<p class=\"notice\" role=\"status\">\(context(.revoked(handle: handle)))</p>") }
            if let rekey = result.rekey { notice.append("<p class=\"notice\">\(context(.rekeyed(changed: rekey.changed, mode: rekey.mode)))</p>") }
            return await groupPage(id, context, notice: HTML.join(notice))
        } catch let error as KithVaultError where [.invalidInput, .accessDenied, .notFound, .busy].contains(error.code) {
            return await groupPage(id, context, error: MessagePage.failureBox(error, context))
        } catch {
            return failure(error, context)
        }
    }

    func verify(_ context: PageContext) async -> WebResponse {
        await withVault(context) { vault in
            // As `kith audit verify`: incremental from what this computer verified before, records included.
            try AuditVerifier.verify(store: vault.store, memory: vault.memory)
        } page: { report in
            .page(VerifyPage.render(context, report: report), status: report.valid ? 200 : 500)
        }
    }
}

/// The log, for auditors (and anyone: the public part is every member's to see).
extension WebApp {
    func log(_ context: PageContext, form: [String: String]) async -> WebResponse {
        let filters = LogPage.Filters(actor: form["actor"] ?? "", type: form["type"] ?? "", record: form["record"] ?? "", since: form["since"] ?? "")
        do {
            let lines = try await host.run { vault in
                var filter = AuditLogFilter()
                let actor = filters.actor.trimmingCharacters(in: .whitespaces)
                if !actor.isEmpty { filter.actor = try vault.user(handle: actor, includingRemoved: true).id }
                if !filters.type.isEmpty {
                    guard let type = EntryType(name: filters.type) else {
                        throw KithVaultError.invalidInput("no such kind of entry: \(filters.type)")
                    }
                    filter.type = type
                }
                let record = filters.record.trimmingCharacters(in: .whitespaces)
                if !record.isEmpty { filter.record = try vault.recordID(matching: record) }
                let since = filters.since.trimmingCharacters(in: .whitespaces)
                if !since.isEmpty {
                    guard let millis = Timestamp.millis(since: since) else {
                        throw KithVaultError.invalidInput("'\(since)' is not a date: write it as YYYY-MM-DD (2026-12-01), or an age such as 7d or 24h")
                    }
                    filter.sinceMillis = millis
                }
                return try vault.auditLog(filter, summarised: true)
            }
            return .page(LogPage.render(context, filters: filters, lines: lines))
        } catch let error as KithVaultError where [.invalidInput, .notFound, .accessDenied].contains(error.code) {
            return .page(LogPage.render(context, filters: filters, lines: nil, error: MessagePage.failureBox(error, context)), status: 400)
        } catch {
            return failure(error, context)
        }
    }
}

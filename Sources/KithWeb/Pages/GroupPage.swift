import KithVault

/// A group's members and roles; for its leads, giving and removing roles
/// with what removing does to records written before.
enum GroupPage {
    struct Shown: Sendable {
        let group: GroupInfo
        let members: [GroupMember]
        let policy: GroupPolicy
    }

    static func policy(_ context: PageContext, _ policy: GroupPolicy) -> HTML {
        func parts(_ set: Set<Compartment>?) -> HTML {
            let sorted = (set ?? []).sorted()
            return sorted.isEmpty ? context(.policyNothing) : HTML.join(sorted.map { context(.compartment($0)) }, separator: context.comma)
        }
        let rows = GroupRole.allCases.map { role -> HTML in
            "<tr><td>\(context(.groupRole(role)))</td><td>\(parts(policy.readable[role]))</td><td>\(parts(policy.writable[role]))</td></tr>"
        }
        return """
            <h2>\(context(.policyTitle))</h2>
            <table><thead><tr><th scope="col">\(context(.columnRole))</th><th scope="col">\(context(.policyReads))</th><th scope="col">\(context(.policyWrites))</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <p>\(context(policy.reasons.contains(.sensitiveReads) ? .policyReasons : .policyNoReasons))</p>
            <p class="hint">\(context(.policyHint))</p>
            """
    }

    static func render(_ context: PageContext, _ shown: Shown, notice: HTML? = nil, error: HTML? = nil) -> HTML {
        let isLead = shown.group.myRole == .lead
        let path = "/groups/\(shown.group.id.description)"
        let rows = shown.members.map { member -> HTML in
            let remove: HTML =
                isLead
                // A form, not a link: the handle stays out of the address. It only asks; the next page confirms.
                ? """
                <td><form method="post" action="\(path)/revoke"><input type="hidden" name="csrf" value="\(context.csrf ?? "")">\
                <input type="hidden" name="handle" value="\(plain: member.handle)"><button class="quiet" type="submit">\(context(.revokeButton))</button></form></td>
                """
                : .empty
            return "<tr><td>\(content: member.handle)</td><td>\(context(.groupRole(member.role)))</td>\(remove)</tr>"
        }
        let roles = GroupRole.allCases.map { "<option value=\"\($0.description)\"\($0 == .caseworker ? " selected" : "")>\(context(.groupRole($0)))</option>" as HTML }
        let share: HTML =
            isLead
            ? """
            <h2>\(context(.shareTitle))</h2>
            <form method="post" action="\(path)/share">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <div class="row">
            <div><label for="handle">\(context(.handleLabel))</label><input type="text" id="handle" name="handle" required dir="auto" autocomplete="off" maxlength="64"></div>
            <div><label for="role">\(context(.roleLabel))</label><select id="role" name="role">\(roles)</select></div>
            <div><button type="submit">\(context(.shareButton))</button></div>
            </div>
            <p class="hint">\(context(.shareHint))</p>
            </form>
            """
            : "<p class=\"hint\">\(context(.membersOnlyLeads))</p>"
        let body: HTML = """
            \(notice ?? .empty)
            \(error ?? .empty)
            <h2>\(context(.groupMembers))</h2>
            <table><thead><tr><th scope="col">\(context(.columnHandle))</th><th scope="col">\(context(.columnRole))</th>\(isLead ? "<th></th>" as HTML : .empty)</tr></thead>
            <tbody>\(rows)</tbody></table>
            \(share)
            \(policy(context, shown.policy))
            """
        return WebLayout.page(.groupTitle(shown.group.name), context, body: body)
    }

    /// Removing someone: the three modes, explained, before anything happens.
    static func confirmRevoke(_ context: PageContext, group: GroupInfo, handle: String) -> HTML {
        let modes: [(String, Phrase)] = [("keep", .revokeKeep), ("rewrap", .revokeRewrap), ("reencrypt", .revokeReencrypt)]
        let choices = modes.map { value, phrase -> HTML in
            "<div><label class=\"choice\"><input type=\"radio\" name=\"mode\" value=\"\(value)\"\(value == "rewrap" ? " checked" : "")> \(context(phrase))</label></div>"
        }
        let body: HTML = """
            <form method="post" action="/groups/\(group.id.description)/revoke">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <input type="hidden" name="handle" value="\(plain: handle)">
            <fieldset><legend>\(context(.revokeModeLabel))</legend>\(choices)</fieldset>
            <p class="hint">\(context(.revokeHint))</p>
            <p><button type="submit">\(context(.revokeButton))</button> <a href="/groups/\(group.id.description)">\(context(.back))</a></p>
            </form>
            """
        return WebLayout.page(.revokeTitle(handle), context, body: body)
    }
}

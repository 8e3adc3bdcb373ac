import KithVault

/// Who you are, which vault, its fingerprint, your groups, and when it locks.
enum StatusPage {
    struct Shown: Sendable {
        let me: UserInfo
        let vault: String
        let fingerprint: String
        let logSize: UInt64
        let groups: [GroupInfo]
        let idleLimitSeconds: UInt64?
    }

    static func render(_ context: PageContext, _ shown: Shown) -> HTML {
        let groups = shown.groups.filter { $0.myRole != nil }.map { group -> HTML in
            let role = group.myRole.map { context(.groupRole($0)) } ?? .empty
            return "<li><a href=\"/groups/\(group.id.description)\">\(content: group.name)</a> · \(role)</li>"
        }
        let locks: HTML = shown.idleLimitSeconds.map { "<p>\(context(.statusLocksAfter(minutes: Int(max(1, $0 / 60)))))</p>" } ?? .empty
        let body: HTML = """
            <dl>
            <dt>\(context(.statusYou))</dt><dd>\(content: shown.me.handle)</dd>
            <dt>\(context(.statusRole))</dt><dd>\(context(.orgRole(shown.me.role)))</dd>
            <dt>\(context(.statusVault))</dt><dd>\(ltr: shown.vault)</dd>
            <dt>\(context(.statusFingerprint))</dt><dd><code dir="ltr">\(shown.fingerprint)</code></dd>
            <dt>\(context(.statusLogSize))</dt><dd>\(shown.logSize)</dd>
            </dl>
            <p class="hint">\(context(.statusFingerprintHint))</p>
            <h2>\(context(.statusGroups))</h2>
            \(groups.isEmpty ? "<p>\(context(.statusNoGroups))</p>" as HTML : "<ul>\(groups)</ul>" as HTML)
            \(locks)
            <p class="hint">\(context(.lockHint))</p>
            """
        return WebLayout.page(.statusTitle, context, body: body)
    }
}

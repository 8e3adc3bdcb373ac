import KithVault

/// The first page: a search box, and what it found.
enum FindPage {
    /// What the form shows again after a search (the typed text stays in the
    /// page, never in the address).
    struct Form: Sendable {
        var text = ""
        var group = ""
        var kind = ""
    }

    static func render(_ context: PageContext, groups: [GroupInfo], form: Form, outcome: SearchOutcome?, error: HTML? = nil) -> HTML {
        let readable = groups.filter { $0.myRole != nil }
        let groupOptions = readable.map { group -> HTML in
            let selected: HTML = group.id.description == form.group ? " selected" : ""
            return "<option value=\"\(group.id.description)\"\(selected)>\(plain: group.name)</option>"
        }
        let kinds: [RecordKind] = [.member, .case]
        let kindOptions = kinds.map { kind -> HTML in
            let selected: HTML = kind.description == form.kind ? " selected" : ""
            return "<option value=\"\(kind.description)\"\(selected)>\(context(.kind(kind)))</option>"
        }
        let csrf = context.csrf ?? ""
        let body: HTML = """
            <form method="post" action="/find" role="search">
            <input type="hidden" name="csrf" value="\(csrf)">
            <label for="q">\(context(.findLabel))</label>
            <div class="row">
            <input type="search" id="q" name="q" value="\(form.text)" autocomplete="off" autofocus spellcheck="false" dir="auto" required maxlength="1000">
            <button type="submit">\(context(.findButton))</button>
            </div>
            <p class="hint">\(context(.findHint))</p>
            <div class="row">
            <div><label for="group">\(context(.findGroup))</label>
            <select id="group" name="group"><option value="">\(context(.findAllGroups))</option>\(groupOptions)</select></div>
            <div><label for="kind">\(context(.findKind))</label>
            <select id="kind" name="kind"><option value="">\(context(.findAnyKind))</option>\(kindOptions)</select></div>
            </div>
            </form>
            \(error ?? .empty)
            \(outcome.map { results($0, context, showGroup: form.group.isEmpty) } ?? .empty)
            <p class="hint">\(context(.findLogged))</p>
            """
        return WebLayout.page(.findTitle, context, body: body)
    }

    static func results(_ outcome: SearchOutcome, _ context: PageContext, showGroup: Bool) -> HTML {
        let indexed = outcome.indexed.map { "<p class=\"notice\">\(context(.findIndexed(records: $0.records, group: $0.group)))</p>" as HTML }
        guard !outcome.results.isEmpty else {
            let more: HTML = outcome.tooMany ? "<p>\(context(.findTooMany))</p>" : "<p class=\"hint\">\(context(.findNoMatchHint))</p>"
            return "\(indexed)<h2>\(context(.findNoMatch))</h2>\(more)"
        }
        let rows = outcome.results.map { result -> HTML in
            let fields = result.fields.map { "<span>\(content: $0.name): \(content: $0.value)</span>" as HTML }
            let group: HTML = showGroup ? "<td>\(content: result.group)</td>" : .empty
            return """
                <tr><td><a class="id" href="/records/\(result.id.description)">\(ltr: String(result.id.description.prefix(12)))</a></td>\
                \(group)<td>\(context(.kind(result.kind)))</td><td class="nowrap">\(context(.rank(result.rank)))</td>\
                <td class="fields">\(fields)</td></tr>
                """
        }
        let groupHeader: HTML = showGroup ? "<th scope=\"col\">\(context(.columnGroup))</th>" : .empty
        var notes: [HTML] = []
        if outcome.unchecked > 0 {
            notes.append("<p class=\"hint\">\(context(.findMore(unchecked: outcome.unchecked))) \(context(.findTypeMore))</p>")
        } else if outcome.total > outcome.results.count {
            notes.append("<p class=\"hint\">\(context(.findCount(shown: outcome.results.count, total: outcome.total))) \(context(.findTypeMore))</p>")
        }
        if outcome.tooMany { notes.append("<p class=\"warning\">\(context(.findTooMany))</p>") }
        return """
            \(indexed)
            <table>
            <thead><tr><th scope="col">\(context(.columnRecord))</th>\(groupHeader)<th scope="col">\(context(.columnKind))</th>\
            <th scope="col">\(context(.columnMatch))</th><th scope="col">\(context(.columnFields))</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            \(notes)
            """
    }
}

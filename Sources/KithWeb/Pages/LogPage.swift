import KithVault

/// The log in plain words, with filters, as `kith audit log` shows it.
enum LogPage {
    /// The filters the form shows again.
    struct Filters: Sendable {
        var actor = ""
        var type = ""
        var record = ""
        var since = ""
    }

    /// At most this many lines on one page (the newest).
    static let maximumLines = 500

    static func render(_ context: PageContext, filters: Filters, lines: [AuditLogLine]?, error: HTML? = nil) -> HTML {
        let types = EntryType.allCases.map { type -> HTML in
            let selected: HTML = type.name == filters.type ? " selected" : ""
            return "<option value=\"\(type.name)\"\(selected)>\(type.name)</option>"
        }
        let form: HTML = """
            <p class="hint">\(context(.logHint))</p>
            <form method="post" action="/log">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <div class="row">
            <div><label for="actor">\(context(.logFilterActor))</label><input type="text" id="actor" name="actor" value="\(plain: filters.actor)" dir="auto" autocomplete="off"></div>
            <div><label for="type">\(context(.logFilterType))</label><select id="type" name="type"><option value="">\(context(.logAnyType))</option>\(types)</select></div>
            <div><label for="record">\(context(.logFilterRecord))</label><input type="text" id="record" name="record" value="\(plain: filters.record)" dir="ltr" autocomplete="off"></div>
            <div><label for="since">\(context(.logFilterSince))</label><input type="text" id="since" name="since" value="\(plain: filters.since)" dir="ltr" autocomplete="off" placeholder="2026-12-01"></div>
            <div><button type="submit">\(context(.logShow))</button></div>
            </div>
            </form>
            \(error ?? .empty)
            """
        guard let lines else { return WebLayout.page(.logTitle, context, body: form) }
        guard !lines.isEmpty else { return WebLayout.page(.logTitle, context, body: "\(form)<p>\(context(.logNone))</p>") }
        let shown = lines.suffix(maximumLines)
        let rows = shown.map { line -> HTML in
            let number: HTML = line.count > 1 ? "\(line.seq)–\(line.lastSeq)" : "\(line.seq)"
            let details: HTML
            if let opened = line.details {
                details = HTML.join(opened.map { "<div><span class=\"muted\">\(content: $0.key):</span> \(content: $0.value)</div>" as HTML })
            } else {
                details = "<span class=\"muted\">\(context(.logSealed))</span>"
            }
            let missing: HTML = line.reasonMissing ? "<div class=\"warning\">\(context(.logReasonMissing))</div>" : .empty
            let count: HTML = line.count > 1 ? " <span class=\"muted\">(\(context(.logCount(line.count))))</span>" : .empty
            return """
                <tr><td class="nowrap"><bdi dir="ltr">\(number)</bdi></td><td class="nowrap">\(ltr: WebTime.text(line.timeMillis))</td>\
                <td>\(content: line.actorHandle)</td><td>\(content: line.summary)\(count)</td><td>\(details)\(missing)</td></tr>
                """
        }
        let more: HTML = lines.count > shown.count ? "<p class=\"hint\">\(context(.logShown(shown: shown.count, total: lines.count)))</p>" : .empty
        let body: HTML = """
            \(form)
            \(more)
            <table><thead><tr><th scope="col">\(context(.columnEntry))</th><th scope="col">\(context(.columnWhen))</th><th scope="col">\(context(.columnBy))</th>\
            <th scope="col">\(context(.columnWhat))</th><th scope="col">\(context(.columnDetails))</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
        return WebLayout.page(.logTitle, context, body: body)
    }
}

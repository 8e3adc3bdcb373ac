import KithVault

/// A record: its fields by compartment, what is withheld, its history, and
/// for a member the cases about them.
enum RecordPage {
    struct Shown: Sendable {
        let view: RecordView
        let history: [VersionInfo]
        let cases: [RecordSummary]
    }

    static func render(_ context: PageContext, _ shown: Shown) -> HTML {
        let view = shown.view
        let byCompartment = Compartment.allCases.compactMap { compartment -> HTML? in
            let fields = view.fields.filter { $0.compartment == compartment }
            guard !fields.isEmpty else { return nil }
            let rows = fields.map { "<tr><th scope=\"row\">\(content: $0.name)</th><td>\(content: $0.value)</td></tr>" as HTML }
            return "<h2>\(context(.compartment(compartment)))</h2><table><tbody>\(rows)</tbody></table>"
        }
        let withheld: HTML =
            view.withheld.isEmpty
            ? .empty
            : """
            <h2>\(context(.recordWithheld))</h2>
            <p class="withheld">\(HTML.join(view.withheld.map { context(.compartment($0)) }, separator: context.comma)) · \(context(.recordWithheldHint))</p>
            """
        let parent: HTML = view.parent.map { "<p>\(context(.recordAboutMember)): <a class=\"id\" href=\"/records/\($0.description)\">\(ltr: String($0.description.prefix(12)))</a></p>" } ?? .empty
        let cases: HTML =
            shown.cases.isEmpty
            ? .empty
            : """
            <h2>\(context(.recordCases))</h2>
            <table><thead><tr><th scope="col">\(context(.columnRecord))</th><th scope="col">\(context(.columnVersion))</th>\
            <th scope="col">\(context(.columnWhen))</th><th scope="col">\(context(.columnBy))</th></tr></thead><tbody>\
            \(shown.cases.map { summary in
                "<tr><td><a class=\"id\" href=\"/records/\(summary.id.description)\">\(ltr: String(summary.id.description.prefix(12)))</a></td><td>\(summary.version)</td><td>\(ltr: WebTime.text(summary.timeMillis))</td><td>\(content: summary.author)</td></tr>" as HTML
            })</tbody></table>
            """
        let history = shown.history.map { version -> HTML in
            let parts = HTML.join(version.compartments.map { context(.compartment($0)) }, separator: context.comma)
            return "<tr><td>\(version.version)</td><td>\(ltr: WebTime.text(version.timeMillis))</td><td>\(content: version.author)</td><td>\(parts)</td></tr>"
        }
        let fields: HTML = byCompartment.isEmpty ? "<p class=\"withheld\">\(context(.recordNoFields))</p>" : HTML.join(byCompartment)
        let body: HTML = """
            <p><span class="id">\(ltr: view.id.description)</span></p>
            <p>\(context(.recordGroup(view.group))) · \(context(.recordVersion(Int(view.version)))) · \(context(.recordWrittenBy(author: view.author, time: WebTime.text(view.timeMillis))))</p>
            \(parent)
            \(fields)
            \(withheld)
            \(cases)
            <h2>\(context(.recordHistory))</h2>
            <table><thead><tr><th scope="col">\(context(.columnVersion))</th><th scope="col">\(context(.columnWhen))</th>\
            <th scope="col">\(context(.columnBy))</th><th scope="col">\(context(.columnCompartments))</th></tr></thead>
            <tbody>\(history)</tbody></table>
            <p class="hint">\(context(.recordOpenLogged))</p>
            """
        return WebLayout.page(.recordTitle(view.kind), context, body: body)
    }

    /// The group asks why before sensitive fields are opened.
    static func askReason(_ context: PageContext, id: RecordID, error: HTML? = nil) -> HTML {
        let body: HTML = """
            <p>\(context(.reasonHint))</p>
            \(error ?? .empty)
            <form method="post" action="/records/\(id.description)">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <label for="reason">\(context(.reasonLabel))</label>
            <div class="row"><input type="text" id="reason" name="reason" required maxlength="500" dir="auto" autocomplete="off" autofocus>
            <button type="submit">\(context(.reasonButton))</button></div>
            </form>
            """
        return WebLayout.page(.reasonTitle, context, body: body)
    }
}

/// Times as a person reads them on any page: "2026-12-04 14:05 UTC".
enum WebTime {
    static func text(_ millis: UInt64) -> String {
        let iso = Timestamp.iso8601(millis: millis)
        // 2026-12-04T14:05:09Z (or with milliseconds): the date and the minute.
        let date = iso.prefix(10)
        let time = iso.dropFirst(11).prefix(5)
        return "\(date) \(time) UTC"
    }
}

import KithVault

/// A record: its fields by compartment, what is withheld, its history, and
/// for a member the cases about them.
enum RecordPage {
    struct Shown: Sendable {
        let view: RecordView
        let history: [VersionInfo]
        let cases: [RecordSummary]
        /// The case's notes, oldest first (each read is logged).
        let notes: [RecordView]
        /// What this user may change in it.
        let changeable: [Compartment]
        /// Whether this user may add a note (a case, and the notes compartment writable).
        let mayAddNote: Bool
        /// The group's id, for a new case about this member.
        let groupID: String
        /// A case's attachments (their names' reads are logged).
        var attachments: [AttachmentInfo] = []
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
        let edit: HTML = shown.changeable.isEmpty ? .empty : "<p><a href=\"/records/\(view.id.description)/edit\">\(context(.edit))</a></p>"
        let newCase: HTML =
            view.kind == .member && !shown.changeable.isEmpty
            ? "<p><a href=\"/new?group=\(shown.groupID)&amp;kind=case&amp;member=\(view.id.description)\">\(context(.newCaseAboutMember))</a></p>" : .empty
        let notes: HTML = view.kind == .case ? notesSection(context, shown) : .empty
        let fields: HTML = byCompartment.isEmpty ? "<p class=\"withheld\">\(context(.recordNoFields))</p>" : HTML.join(byCompartment)
        let body: HTML = """
            <p><span class="id">\(ltr: view.id.description)</span></p>
            <p>\(context(.recordGroup(view.group))) · \(context(.recordVersion(Int(view.version)))) · \(context(.recordWrittenBy(author: view.author, time: WebTime.text(view.timeMillis))))</p>
            \(parent)
            \(fields)
            \(edit)
            \(withheld)
            \(notes)
            \(cases)
            \(newCase)
            <h2>\(context(.recordHistory))</h2>
            <table><thead><tr><th scope="col">\(context(.columnVersion))</th><th scope="col">\(context(.columnWhen))</th>\
            <th scope="col">\(context(.columnBy))</th><th scope="col">\(context(.columnCompartments))</th></tr></thead>
            <tbody>\(history)</tbody></table>
            <p class="hint">\(context(.recordOpenLogged))</p>
            """
        return WebLayout.page(.recordTitle(view.kind), context, body: body)
    }

    static func notesSection(_ context: PageContext, _ shown: Shown) -> HTML {
        let notes = shown.notes.map { note -> HTML in
            let text = HTML.join(note.fields.map { "<div class=\"note\">\(content: $0.value)</div>" as HTML })
            return "<li><p class=\"muted\">\(context(.noteBy(author: note.author, time: WebTime.text(note.timeMillis))))</p>\(text)</li>"
        }
        let form: HTML =
            shown.mayAddNote
            ? """
            <form method="post" action="/records/\(shown.view.id.description)/notes">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <label for="note">\(context(.addNoteLabel))</label>
            <textarea id="note" name="text" rows="5" dir="auto" required></textarea>
            <p class="hint">\(context(.addNoteHint))</p>
            <p><button type="submit">\(context(.saveNote))</button></p>
            </form>
            """ : .empty
        let files = shown.attachments.map { file -> HTML in
            // A link that downloads it (the read is logged, as kith attach get logs it).
            let name: HTML =
                // No `download` attribute: a reason page must show as a page, not be saved as a file.
                file.name.map { "<a href=\"/attachments/\(file.id.description)\">\(content: $0)</a>" }
                ?? "<span class=\"withheld\">\(context(.attachmentWithheld))</span>"
            let size: HTML = file.size.map { "<bdi dir=\"ltr\">\(WebSize.text($0))</bdi>" } ?? .empty
            return "<tr><td>\(name)</td><td>\(size)</td><td>\(ltr: WebTime.text(file.timeMillis))</td><td>\(content: file.author)</td><td><span class=\"id\">\(ltr: file.id.description)</span></td></tr>"
        }
        let attachments: HTML = """
            <h2>\(context(.attachmentsTitle))</h2>
            \(files.isEmpty ? "<p class=\"muted\">\(context(.noAttachments))</p>" as HTML : """
            <table><thead><tr><th scope="col">\(context(.columnName))</th><th scope="col">\(context(.columnSize))</th><th scope="col">\(context(.columnWhen))</th>\
            <th scope="col">\(context(.columnBy))</th><th scope="col">\(context(.columnRecord))</th></tr></thead><tbody>\(files)</tbody></table>
            """ as HTML)
            <p class="hint">\(context(.attachmentsHint))</p>
            \(shown.mayAddNote ? uploadForm(context, shown.view.id, parts: shown.changeable.filter { $0 != .profile }) : .empty)
            """
        return """
            \(attachments)
            <h2 id="notes">\(context(.notesTitle))</h2>
            \(notes.isEmpty ? "<p class=\"muted\">\(context(.noNotes))</p>" as HTML : "<ol class=\"notes\">\(notes)</ol>" as HTML)
            \(form)
            """
    }

    /// Attaching a file: a multipart form whose token rides in its address (the body is the file).
    static func uploadForm(_ context: PageContext, _ caseID: RecordID, parts: [Compartment]) -> HTML {
        // Before the file, so the reader knows where to seal it when the file arrives.
        let choices = parts.map { "<option value=\"\($0.description)\"\($0 == .notes ? " selected" : "")>\(context(.compartment($0)))</option>" as HTML }
        let part: HTML =
            parts.count > 1
            ? "<div><label for=\"part\">\(context(.fieldCompartment))</label><select id=\"part\" name=\"compartment\">\(choices)</select></div>" : .empty
        return """
            <form method="post" action="/records/\(caseID.description)/attachments?csrf=\(context.csrf ?? "")" enctype="multipart/form-data">
            <label for="file">\(context(.uploadLabel))</label>
            <div class="row">\(part)<div><input type="file" id="file" name="file" required></div><button type="submit">\(context(.uploadButton))</button></div>
            <p class="hint">\(context(.uploadHint))</p>
            </form>
            """
    }

    /// The group asks why before sensitive fields are opened; `action` is
    /// where the reason goes (the record, or the attachment to download).
    static func askReason(_ context: PageContext, id: RecordID, action: String? = nil, error: HTML? = nil) -> HTML {
        let body: HTML = """
            <p>\(context(.reasonHint))</p>
            \(error ?? .empty)
            <form method="post" action="\(action ?? "/records/\(id.description)")">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <label for="reason">\(context(.reasonLabel))</label>
            <div class="row"><input type="text" id="reason" name="reason" required maxlength="500" dir="auto" autocomplete="off" autofocus>
            <button type="submit">\(context(.reasonButton))</button></div>
            </form>
            """
        return WebLayout.page(.reasonTitle, context, body: body)
    }
}

/// Sizes as a person reads them: "812 B", "4.2 KB", "3.1 MB" (powers of 1,000, as file managers show).
enum WebSize {
    static func text(_ bytes: UInt64) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        return (rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) + " " + units[unit]
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

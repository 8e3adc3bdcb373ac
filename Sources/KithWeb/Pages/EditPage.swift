import KithVault

/// The forms that write: a record's new version, a new record, a note.
/// Field names and compartments travel in the form as the page showed
/// them; the library decides what this user may write, whatever a
/// modified page sends.
enum EditPage {
    /// Empty rows for new fields on each form.
    static let newRows = 3
    /// Rows on the new-record form.
    static let newRecordRows = 6

    static func render(_ context: PageContext, view: RecordView, changeable: [Compartment], error: HTML? = nil) -> HTML {
        // A field holding a character the page shows as <U+XXXX> (a control, a bidi mark) is shown, not
        // offered: the box would hold the marker, and saving would write it in place of the character.
        let editable = view.fields.enumerated().filter { changeable.contains($0.element.compartment) && Self.showsExactly($0.element) }
        let rows = editable.enumerated().map { row, pair -> HTML in
            let field = pair.element
            return """
                <tr><th scope="row"><label for="v_\(row)">\(content: field.name)</label>\
                <input type="hidden" name="n_\(row)" value="\(plain: field.name)">\
                <input type="hidden" name="c_\(row)" value="\(field.compartment.description)">\
                <input type="hidden" name="o_\(row)" value="\(plain: field.value)"></th>\
                <td>\(valueInput("v_\(row)", field.value))</td><td>\(context(.compartment(field.compartment)))</td></tr>
                """
        }
        let body: HTML = """
            <p><a class="id" href="/records/\(view.id.description)">\(ltr: view.id.description)</a> · \(context(.recordVersion(Int(view.version))))</p>
            \(error ?? .empty)
            <form method="post" action="/records/\(view.id.description)/edit">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            <input type="hidden" name="count" value="\(editable.count)">
            <table><thead><tr><th scope="col">\(context(.fieldName))</th><th scope="col">\(context(.fieldValue))</th><th scope="col">\(context(.fieldCompartment))</th></tr></thead>
            <tbody>\(rows)\(newFieldRows(context, count: newRows, changeable: changeable, kind: view.kind))</tbody></table>
            <p class="hint">\(context(.addFieldsHint))</p>
            <p><button type="submit">\(context(.saveChanges))</button> <a href="/records/\(view.id.description)">\(context(.back))</a></p>
            </form>
            <p class="hint">\(context(.editHint))</p>
            """
        return WebLayout.page(.editTitle, context, body: body)
    }

    /// What the new-record form shows again when it is refused.
    struct Draft: Sendable {
        var group = ""
        var kind: RecordKind = .member
        var member = ""
    }

    static func renderNew(_ context: PageContext, groups: [GroupInfo], draft: Draft, changeable: [Compartment], error: HTML? = nil) -> HTML {
        let options = groups.filter { $0.myRole != nil }.map { group -> HTML in
            let selected: HTML = group.id.description == draft.group ? " selected" : ""
            return "<option value=\"\(group.id.description)\"\(selected)>\(plain: group.name)</option>"
        }
        let kinds = [RecordKind.member, .case].map { kind -> HTML in
            let selected: HTML = kind == draft.kind ? " selected" : ""
            return "<option value=\"\(kind.description)\"\(selected)>\(context(.kind(kind)))</option>"
        }
        let member: HTML =
            draft.member.isEmpty
            ? .empty
            : "<p>\(context(.recordAboutMember)): <span class=\"id\">\(ltr: draft.member)</span></p><input type=\"hidden\" name=\"member\" value=\"\(draft.member)\">"
        let fields: HTML =
            draft.group.isEmpty
            ? "<p class=\"hint\">\(context(.chooseGroup))</p>"
            : changeable.isEmpty
                ? "<p class=\"warning\">\(context(.nothingToWrite))</p>"
                : """
                <table><thead><tr><th scope="col">\(context(.fieldName))</th><th scope="col">\(context(.fieldValue))</th><th scope="col">\(context(.fieldCompartment))</th></tr></thead>
                <tbody>\(newFieldRows(context, count: newRecordRows, changeable: changeable, kind: draft.kind))</tbody></table>
                <p class="hint">\(context(.newRecordHint))</p>
                <p><button type="submit" name="save" value="1">\(context(.createRecord))</button></p>
                """
        let body: HTML = """
            \(error ?? .empty)
            <form method="post" action="/new">
            <input type="hidden" name="csrf" value="\(context.csrf ?? "")">
            \(member)
            <div class="row">
            <div><label for="group">\(context(.findGroup))</label><select id="group" name="group"><option value=""></option>\(options)</select></div>
            <div><label for="kind">\(context(.findKind))</label><select id="kind" name="kind">\(kinds)</select></div>
            <div><button class="quiet" type="submit" name="choose" value="1">\(context(.continueButton))</button></div>
            </div>
            \(fields)
            </form>
            """
        return WebLayout.page(.newRecordTitle(draft.kind), context, body: body)
    }

    static func newFieldRows(_ context: PageContext, count: Int, changeable: [Compartment], kind: RecordKind) -> HTML {
        HTML.join(
            (0..<count).map { row -> HTML in
                let choices = changeable.map { compartment -> HTML in
                    let selected: HTML = compartment == kind.defaultCompartment ? " selected" : ""
                    return "<option value=\"\(compartment.description)\"\(selected)>\(context(.compartment(compartment)))</option>"
                }
                return """
                    <tr><td><input type="text" name="nn_\(row)" aria-label="\(Phrase.fieldName.text(context.language))" dir="auto" autocomplete="off" maxlength="128"></td>\
                    <td><input type="text" name="nv_\(row)" aria-label="\(Phrase.fieldValue.text(context.language))" dir="auto" autocomplete="off"></td>\
                    <td><select name="nc_\(row)" aria-label="\(Phrase.fieldCompartment.text(context.language))">\(choices)</select></td></tr>
                    """
            })
    }

    /// Whether the page shows `field` exactly as stored (so a form can carry it back unchanged).
    static func showsExactly(_ field: RecordField) -> Bool {
        VisibleText.safe(field.name) == field.name && VisibleText.safe(field.value, keepNewlines: true) == field.value && !field.value.contains("\r")
    }

    /// A text box, or a larger one for a long or multi-line value.
    static func valueInput(_ name: String, _ value: String) -> HTML {
        if value.contains("\n") || value.count > 80 {
            // The line break after the tag: HTML drops one there, so a value that starts with one keeps it.
            return "<textarea id=\"\(name)\" name=\"\(name)\" rows=\"4\" dir=\"auto\">\n\(plain: value)</textarea>"
        }
        return "<input type=\"text\" id=\"\(name)\" name=\"\(name)\" value=\"\(plain: value)\" dir=\"auto\" autocomplete=\"off\">"
    }

    /// The fields a submitted edit changes: those whose value differs from
    /// what the page showed (so a change someone else made meanwhile to a
    /// field left alone here is kept), and the new rows with a name.
    static func changes(_ form: [String: String], kind: RecordKind) throws -> [RecordField] {
        var changes: [RecordField] = []
        // From the page, but a modified one can send anything: 0 to 10,000 rows.
        let count = max(0, min(Int(form["count"] ?? "") ?? 0, 10_000))
        for row in 0..<count {
            guard let name = form["n_\(row)"], let value = form["v_\(row)"].map(normalised), let original = form["o_\(row)"].map(normalised),
                let compartment = form["c_\(row)"].flatMap(Compartment.init(name:))
            else { continue }
            if value != original { changes.append(try RecordField(compartment: compartment, name: name, value: value)) }
        }
        return changes + (try newFields(form, rows: newRows, kind: kind))
    }

    /// The new rows that have a name; a value without a name is refused.
    static func newFields(_ form: [String: String], rows: Int, kind: RecordKind) throws -> [RecordField] {
        var fields: [RecordField] = []
        for row in 0..<rows {
            let name = (form["nn_\(row)"] ?? "").trimmingCharacters(in: .whitespaces)
            let value = normalised(form["nv_\(row)"] ?? "")
            if name.isEmpty {
                guard value.isEmpty else { throw KithVaultError.invalidInput("a value was given without a field name: give the field a name, such as phone") }
                continue
            }
            let compartment = form["nc_\(row)"].flatMap(Compartment.init(name:)) ?? kind.defaultCompartment
            fields.append(try RecordField(compartment: compartment, name: name, value: value))
        }
        return fields
    }

    /// Browsers send a text area's line breaks as CRLF; the vault keeps LF.
    static func normalised(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n")
    }
}

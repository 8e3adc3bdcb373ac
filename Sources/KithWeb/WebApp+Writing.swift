import KithVault

/// The routes that write: a new version of a record, a new record, a note.
/// Each answers a successful form with a redirect to the record (so a
/// reload never writes twice), and a refused one with the form again and
/// the reason.
extension WebApp {
    func editPage(_ text: String, _ context: PageContext, error: HTML? = nil) async -> WebResponse {
        guard (try? Vault.checkRecordIDText(text)) != nil else { return .page(MessagePage.notFound(context), status: 404) }
        return await withVault(context) { vault in
            let id = try vault.recordID(matching: text)
            // No reason is asked here: the form shows only what this role may change, and a
            // group that asks reasons asks them of reads of sensitive fields through the record page.
            return (try vault.readRecord(id), try vault.changeableCompartments(of: id))
        } page: { view, changeable in
            guard !changeable.isEmpty else {
                return .page(MessagePage.failure(.accessDenied("your role in \(view.group) may not change this record"), context), status: 403)
            }
            return .page(EditPage.render(context, view: view, changeable: changeable, error: error), status: error == nil ? 200 : 400)
        }
    }

    func update(_ text: String, _ context: PageContext, form: [String: String]) async -> WebResponse {
        guard (try? Vault.checkRecordIDText(text)) != nil else { return .page(MessagePage.notFound(context), status: 404) }
        do {
            let outcome = try await host.run { vault -> RecordID? in
                let id = try vault.recordID(matching: text)
                let changes = try EditPage.changes(form, kind: try vault.kind(of: id))
                guard !changes.isEmpty else { return nil }
                try vault.updateRecord(id, fields: changes)
                return id
            }
            guard let id = outcome else { return await editPage(text, context, error: "<p class=\"notice\">\(context(.noChanges))</p>") }
            return .redirect(to: "/records/\(id.description)")
        } catch let error as KithVaultError where error.code == .invalidInput || error.code == .accessDenied || error.code == .busy {
            return await editPage(text, context, error: MessagePage.failureBox(error, context))
        } catch {
            return failure(error, context)
        }
    }

    static func draft(_ items: [String: String]) -> EditPage.Draft {
        EditPage.Draft(
            group: items["group"] ?? "", kind: items["kind"].flatMap(RecordKind.init(name:)).flatMap { $0 == .member || $0 == .case ? $0 : nil } ?? .member,
            member: items["member"].flatMap { (try? Vault.checkRecordIDText($0)) != nil ? $0 : nil } ?? "")
    }

    func newRecordPage(_ context: PageContext, draft: EditPage.Draft, error: HTML? = nil) async -> WebResponse {
        await withVault(context) { vault in
            let groups = try vault.groups()
            let changeable = draft.group.isEmpty ? [] : try vault.changeableCompartments(groupName: draft.group)
            return (groups, changeable)
        } page: { groups, changeable in
            .page(EditPage.renderNew(context, groups: groups, draft: draft, changeable: changeable, error: error), status: error == nil ? 200 : 400)
        }
    }

    func newRecord(_ context: PageContext, form: [String: String]) async -> WebResponse {
        let draft = Self.draft(form)
        // "Choose" only reloads the form for the group picked; nothing is written.
        guard form["save"] == "1", !draft.group.isEmpty else { return await newRecordPage(context, draft: draft) }
        do {
            let fields = try EditPage.newFields(form, rows: EditPage.newRecordRows, kind: draft.kind)
            guard !fields.isEmpty else { throw KithVaultError.invalidInput("a record needs at least one field: give a field name and its value") }
            let id = try await host.run { vault in
                let parent = try draft.member.isEmpty ? nil : vault.recordID(matching: draft.member)
                return try vault.addRecord(groupName: draft.group, kind: draft.kind, fields: fields, parent: parent)
            }
            return .redirect(to: "/records/\(id.description)")
        } catch let error as KithVaultError where error.code == .invalidInput || error.code == .accessDenied || error.code == .notFound {
            return await newRecordPage(context, draft: draft, error: MessagePage.failureBox(error, context))
        } catch {
            return failure(error, context)
        }
    }

    func addNote(_ text: String, _ context: PageContext, form: [String: String]) async -> WebResponse {
        guard (try? Vault.checkRecordIDText(text)) != nil else { return .page(MessagePage.notFound(context), status: 404) }
        let note = EditPage.normalised(form["text"] ?? "")
        do {
            let id = try await host.run { vault in
                let id = try vault.recordID(matching: text)
                try vault.addNote(caseID: id, text: note)
                return id
            }
            return .redirect(to: "/records/\(id.description)#notes")
        } catch let error as KithVaultError where error.code == .invalidInput || error.code == .accessDenied {
            return .page(MessagePage.failure(error, context), status: Self.status(of: error))
        } catch {
            return failure(error, context)
        }
    }
}

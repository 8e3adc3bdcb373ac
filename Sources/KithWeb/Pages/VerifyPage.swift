import KithVault

/// Checking the whole log and every stored record, as `kith audit verify` does.
enum VerifyPage {
    static func render(_ context: PageContext, report: AuditReport?) -> HTML {
        let form: HTML = """
            <p>\(context(.verifyHint))</p>
            <form method="post" action="/verify"><input type="hidden" name="csrf" value="\(context.csrf ?? "")">\
            <button type="submit">\(context(.verifyButton))</button></form>
            """
        guard let report else { return WebLayout.page(.verifyTitle, context, body: form) }
        let verdict: HTML
        if report.valid {
            var lines: [HTML] = ["<p class=\"notice\" role=\"status\"><strong>\(context(.verifyValid(entries: Int(report.entries))))</strong></p>"]
            if report.resumedFrom > 0 { lines.append("<p class=\"hint\">\(context(.verifyResumed(from: Int(report.resumedFrom))))</p>") }
            if let newest = report.newest {
                lines.append("<p>\(context(.verifyNewest(size: Int(newest.checkpoint.size), witnesses: newest.witnesses.count)))</p>")
            } else {
                lines.append("<p>\(context(.verifyNoCheckpoint))</p>")
            }
            if let records = report.records { lines.append("<p>\(context(.verifyRecords(versions: records.versions)))</p>") }
            lines.append("<p>\(context(.verifyRoot)): <code dir=\"ltr\">\(report.root)</code></p>")
            verdict = HTML.join(lines)
        } else {
            let problems = report.problems.map { "<li>\(ltr: $0)</li>" as HTML }
            verdict = """
                <div class="error" role="alert"><p><strong>\(context(.verifyInvalid))</strong></p><ul>\(problems)</ul>\
                <p>\(context(.errorIntegrityAdvice))</p></div>
                """
        }
        return WebLayout.page(.verifyTitle, context, body: "\(verdict)\(form)")
    }
}

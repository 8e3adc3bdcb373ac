import KithVault

/// The pages that say one thing: locked, not signed in, refused, not found, an error.
enum MessagePage {
    static func locked(_ context: PageContext) -> HTML {
        WebLayout.page(.lockedTitle, context, body: "<p>\(context(.lockedBody))</p><p>\(context(.lockedAgain))</p>")
    }

    static func notSignedIn(_ context: PageContext) -> HTML {
        WebLayout.page(.notSignedInTitle, context, body: "<p>\(context(.notSignedInBody))</p>")
    }

    static func refused(_ context: PageContext) -> HTML {
        WebLayout.page(.refusedTitle, context, body: "<p>\(context(.refusedBody))</p>")
    }

    static func notFound(_ context: PageContext) -> HTML {
        WebLayout.page(.errorTitle(.notFound), context, body: "<p>\(context(.notFoundPage))</p><p><a href=\"/find\">\(context(.navFind))</a></p>")
    }

    /// A library failure: the heading in the page's language by its code, and
    /// the library's own sentence (English) beneath, isolated left to right.
    static func failure(_ error: KithVaultError, _ context: PageContext) -> HTML {
        WebLayout.page(.errorTitle(error.code), context, body: failureBox(error, context))
    }

    /// The same, to put inside another page (a search that failed keeps its form).
    static func failureBox(_ error: KithVaultError, _ context: PageContext) -> HTML {
        let advice: HTML = error.code == .integrity || error.code == .invalidEntry ? "<p>\(context(.errorIntegrityAdvice))</p>" : .empty
        return """
            <div class="error" role="alert"><p><strong>\(context(.errorTitle(error.code)))</strong></p>\
            <p>\(context(.errorDetail)) \(ltr: error.reason)</p>\(advice)</div>
            """
    }
}

/// What every page needs to know about the request it answers.
struct PageContext: Sendable {
    /// The language of the page.
    let language: WebLanguage
    /// The session's CSRF token, for the forms on the page; nil when not signed in.
    let csrf: String?
    /// The page's own path, where a language switch comes back to.
    let path: String

    func callAsFunction(_ phrase: Phrase) -> HTML { phrase.html(language) }

    /// Between the items of a list: the Arabic comma on an Arabic page.
    var comma: HTML { language == .arabic ? "، " : ", " }
}

/// The frame of every page: the language and direction, the one
/// stylesheet, and for a signed-in browser the menu, the language switch
/// and the lock button.
enum WebLayout {
    static func page(_ title: Phrase, _ context: PageContext, body: HTML) -> HTML {
        let language = context.language
        let chrome: HTML
        if let csrf = context.csrf {
            chrome = """
                <nav aria-label="Kith">\
                <a href="/find">\(context(.navFind))</a>\
                <a href="/new">\(context(.navNew))</a>\
                <a href="/log">\(context(.navLog))</a>\
                <a href="/verify">\(context(.navVerify))</a>\
                <a href="/status">\(context(.navStatus))</a>\
                </nav>\
                <form method="post" action="/language">\
                <input type="hidden" name="csrf" value="\(csrf)">\
                <input type="hidden" name="to" value="\(Phrase.otherLanguageCode.text(language))">\
                <input type="hidden" name="back" value="\(context.path)">\
                <button class="quiet" type="submit" lang="\(Phrase.otherLanguageCode.text(language))">\(context(.otherLanguage))</button>\
                </form>\
                <form method="post" action="/lock">\
                <input type="hidden" name="csrf" value="\(csrf)">\
                <button type="submit" title="\(Phrase.lockHint.text(language))">\(context(.lock))</button>\
                </form>
                """
        } else {
            chrome = .empty
        }
        return """
            <!doctype html>
            <html lang="\(language.rawValue)" dir="\(language.direction)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="same-origin">
            <title>\(title.text(language)) · Kith</title>
            <link rel="stylesheet" href="/kith.css">
            </head>
            <body>
            <a class="skip" href="#main">\(context(.skipToContent))</a>
            <header><span class="name">\(context(.appName))</span>\(chrome)</header>
            <main id="main">
            <h1>\(context(title))</h1>
            \(body)
            </main>
            </body>
            </html>

            """
    }
}

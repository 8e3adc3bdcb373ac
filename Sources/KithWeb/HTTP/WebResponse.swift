/// Writes a streamed body: calls `send` with each next piece, in order.
public typealias WebBodyStream = @Sendable (_ send: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void

/// A response: a status, headers and a body. Every response leaves through
/// `WebGuard.secured`, which adds the headers every page carries.
public struct WebResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Headers, in order; a name may repeat (Set-Cookie).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]
    /// A body written as it is made, instead of `body` (a file being
    /// opened): given a function that sends the next bytes.
    public var stream: WebBodyStream?

    /// A response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], stream: WebBodyStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    /// A page.
    public static func page(_ html: HTML, status: Int = 200) -> WebResponse {
        WebResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.raw.utf8))
    }

    /// Plain text, for the answers a browser shows before any page (a wrong Host).
    public static func text(_ text: String, status: Int) -> WebResponse {
        WebResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// "See other": where a form's answer lives, so reloading never resends the form.
    public static func redirect(to path: String) -> WebResponse {
        WebResponse(status: 303, headers: [("Location", path)])
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of a header.
    public func headers(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

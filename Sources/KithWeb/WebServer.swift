import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Puts a `WebApp` on loopback with Hummingbird: one responder that turns
/// Hummingbird's request into a `WebRequest` and the app's answer back.
/// Nothing is logged: a request line can name a record.
public enum WebServer {
    /// Why the server could not start.
    public struct StartFailure: Error, Sendable, CustomStringConvertible {
        /// What went wrong, in plain words.
        public let description: String
    }

    /// Serves `app` on 127.0.0.1:`port` (0: a free port the system picks)
    /// until `stop` yields or the task is cancelled. `ready` gets the bound
    /// port once the server listens.
    public static func run(app: WebApp, port: Int, ready: @escaping @Sendable (Int) -> Void, stop: AsyncStream<Void>) async throws {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            await respond(app, request)
        }
        let quiet = Logger(label: "kith-web", factory: { _ in SwiftLogNoOpLogHandler() })
        let application = Application(
            responder: responder,
            // Idle connections close after a minute, and at most 64 are open: a local program cannot hold the server's descriptors.
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: ApplicationConfiguration(
                address: .hostname("127.0.0.1", port: port), serverName: nil, reuseAddress: false,
                availableConnectionsDelegate: MaximumAvailableConnections(64)),
            onServerRunning: { channel in
                guard let bound = channel.localAddress?.port else { return }
                app.listening(on: bound)
                ready(bound)
            },
            logger: quiet
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            group.addTask {
                for await _ in stop {
                    // Long enough for the answer that asked to stop (the Lock page, which tells the browser to forget) to leave.
                    try? await Task.sleep(for: .milliseconds(500))
                    return
                }
            }
            // Whichever ends first (a stop, or the server failing to bind) ends both.
            try await group.next()
            group.cancelAll()
        }
    }

    static func respond(_ app: WebApp, _ request: Request) async -> Response {
        let method: WebRequest.Method
        switch request.method {
        case .get: method = .get
        case .head: method = .head
        case .post: method = .post
        default: method = .other
        }
        var body = ByteBuffer()
        var upload: AsyncThrowingStream<[UInt8], Error>?
        if WebRequest.isUpload(method: method, path: request.uri.path) {
            // A file: streamed to the sealer as it arrives, never collected.
            let incoming = request.body
            upload = AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        for try await piece in incoming { continuation.yield(Array(buffer: piece)) }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        } else {
            do {
                body = try await request.body.collect(upTo: WebApp.maximumFormBytes)
            } catch {
                return Response(status: .contentTooLarge)
            }
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        // HTTP/1.1's Host arrives as the request's authority, not among the fields.
        if let authority = request.head.authority { headers["host"] = authority }
        let answer = await app.respond(
            to: WebRequest(method: method, path: request.uri.path, query: request.uri.query ?? "", headers: headers, body: Array(buffer: body), upload: upload))
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            guard let fieldName = HTTPFields.Element.Name(name) else { continue }
            fields[values: fieldName] += [value]
        }
        if let stream = answer.stream {
            let length = answer.header("Content-Length").flatMap(Int.init)
            return Response(
                status: HTTPResponse.Status(code: answer.status), headers: fields,
                body: ResponseBody(contentLength: length) { writer in
                    let sender = WriterBox(writer)
                    // A failure part way (a damaged file) ends the connection early: the browser marks the download failed.
                    try await stream { bytes in try await sender.write(bytes) }
                    try await sender.finish()
                })
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// The response writer, handed to a `@Sendable` closure: used by one task at a time, in order.
private final class WriterBox: @unchecked Sendable {
    // @unchecked: the stream calls `write` sequentially from the one task that runs the body.
    private var writer: any ResponseBodyWriter

    init(_ writer: any ResponseBodyWriter) { self.writer = writer }

    func write(_ bytes: [UInt8]) async throws { try await writer.write(ByteBuffer(bytes: bytes)) }

    func finish() async throws { try await writer.finish(nil) }
}

/// A request as the web interface sees it: plain values, so every page and
/// every check can be tested without a socket (the server turns
/// Hummingbird's request into this).
public struct WebRequest: Sendable {
    /// The method.
    public enum Method: String, Sendable {
        case get = "GET", head = "HEAD", post = "POST", other = "OTHER"
    }

    /// GET, POST, ...
    public var method: Method
    /// The path, without the query: "/records/3f9c...".
    public var path: String
    /// The query string, undecoded (only the one-time login token travels there).
    public var query: String
    /// Headers by lower-case name; a repeated header's values joined by ", ".
    public var headers: [String: String]
    /// The body (forms only; bounded by the server).
    public var body: [UInt8]
    /// An upload's body, as it arrives (instead of `body`, for the one route that takes files).
    public var upload: AsyncThrowingStream<[UInt8], Error>?

    /// A request.
    public init(
        method: Method, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = [], upload: AsyncThrowingStream<[UInt8], Error>? = nil
    ) {
        self.upload = upload
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { "\($0), \($1)" })
        self.body = body
    }

    /// A header's value.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// A cookie's value, from the Cookie header (the first, when several share the name).
    public func cookie(_ name: String) -> String? { cookies(name).first }

    /// Every value sent for the cookie `name`, in order.
    public func cookies(_ name: String) -> [String] {
        guard let line = header("cookie") else { return [] }
        return line.split(separator: ";").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingSpaces == name else { return nil }
            return String(parts[1].trimmingSpaces)
        }
    }

    /// Whether this is the route that takes a file (its body is streamed, not read whole).
    public static func isUpload(method: Method, path: String) -> Bool {
        method == .post && path.hasPrefix("/records/") && path.hasSuffix("/attachments")
    }

    /// The body as an HTML form (application/x-www-form-urlencoded); a
    /// name given twice keeps its first value.
    public func form() -> [String: String] {
        FormEncoding.decode(body)
    }

    /// The query as name=value pairs.
    public func queryItems() -> [String: String] {
        FormEncoding.decode(Array(query.utf8))
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// application/x-www-form-urlencoded, as browsers write it.
enum FormEncoding {
    /// name=value pairs split on "&", "+" as a space, %XX decoded; a pair that
    /// is not UTF-8 after decoding is dropped.
    static func decode(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecoded(parts[0]), out[name] == nil else { continue }
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            if let value { out[name] = value }
        }
        return out
    }

    static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

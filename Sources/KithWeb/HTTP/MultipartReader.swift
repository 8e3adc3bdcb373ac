import KithCrypto
import KithVault

/// multipart/form-data (RFC 7578) read as it arrives, from a source that
/// blocks until more bytes come: the parts' headers, and each part's body
/// as a `PlaintextSource`, so a file goes straight into the sealing
/// pipeline without ever being held whole.
final class MultipartReader: PlaintextSource {
    /// Why a body is not multipart/form-data as browsers write it.
    static func refusal(_ what: String) -> KithVaultError {
        .invalidInput("the upload is not a form as browsers send one (\(what)); send it again from the page")
    }

    /// The boundary named by a Content-Type header, or nil.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingSpaces.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = String(pair[1])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    private let next: (UnsafeMutableRawBufferPointer) throws -> Int
    private let delimiter: [UInt8]
    private var buffer: [UInt8]
    private var start = 0
    private var sourceEnded = false
    private var partEnded = true
    private var finished = false

    /// A reader of the body that `next` gives (0 at its end), split on `boundary`.
    init(boundary: String, next: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.next = next
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter has no line break before it: one is put there, so every delimiter looks alike.
        buffer = Array("\r\n".utf8)
        // Room for a chunk, headers and a delimiter, so the buffer never moves (and leaves no unwiped copy behind).
        buffer.reserveCapacity(160 << 10)
    }

    deinit { SecureBytes.wipe(&buffer) }

    private var available: Int { buffer.count - start }

    /// Reads more from the source; false when it has ended.
    private func fill() throws -> Bool {
        guard !sourceEnded else { return false }
        if start > 0 {
            // Drop what was consumed (wiping it: it may be a file's bytes).
            for index in 0..<start { buffer[index] = 0 }
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        defer { SecureBytes.wipe(&chunk) }
        let count = try chunk.withUnsafeMutableBytes { try next($0) }
        if count == 0 {
            sourceEnded = true
            return false
        }
        buffer += chunk[0..<count]
        return true
    }

    /// Where the delimiter begins in the unread bytes, if it is there.
    private func delimiterIndex() -> Int? {
        var index = start
        let first = delimiter[0]
        while index + delimiter.count <= buffer.count {
            if buffer[index] == first, buffer[index..<index + delimiter.count].elementsEqual(delimiter) { return index }
            index += 1
            // Skip ahead to the next candidate byte quickly.
            while index < buffer.count, buffer[index] != first { index += 1 }
        }
        return nil
    }

    /// The current part's next bytes (fills `into` whole unless the part ends first).
    func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < target.count && !partEnded {
            let end = delimiterIndex()
            // Without the delimiter in sight, all but its length's worth may be body.
            let safe = end ?? max(start, buffer.count - delimiter.count + 1)
            let take = min(safe - start, target.count - filled)
            if take > 0 {
                buffer.withUnsafeBytes { bytes in
                    guard let from = bytes.baseAddress, let to = target.baseAddress else { return }
                    (to + filled).copyMemory(from: from + start, byteCount: take)
                }
                start += take
                filled += take
                continue
            }
            if end == start {
                partEnded = true
                break
            }
            guard try fill() else { throw Self.refusal("it ends inside a part") }
        }
        return filled
    }

    /// Skips what is left of the current part and returns the next part's
    /// headers (names lower-cased), or nil after the last part.
    func nextPart() throws -> [String: String]? {
        guard !finished else { return nil }
        var sink = [UInt8](repeating: 0, count: 64 << 10)
        defer { SecureBytes.wipe(&sink) }
        while !partEnded { _ = try sink.withUnsafeMutableBytes { try read(into: $0) } }
        // At the delimiter: step over it, then "--" (the end) or a line break (a part).
        while available < delimiter.count + 2 { guard try fill() else { throw Self.refusal("it ends at a boundary") } }
        start += delimiter.count
        if buffer[start] == UInt8(ascii: "-") && buffer[start + 1] == UInt8(ascii: "-") {
            finished = true
            return nil
        }
        // Transport padding (spaces) may follow a boundary before its line break.
        while true {
            while available < 2 { guard try fill() else { throw Self.refusal("it ends at a boundary") } }
            if buffer[start] == UInt8(ascii: " ") || buffer[start] == UInt8(ascii: "\t") {
                start += 1
                continue
            }
            guard buffer[start] == 13 && buffer[start + 1] == 10 else { throw Self.refusal("a boundary is not followed by a line break") }
            start += 2
            break
        }
        // The part's header lines, up to an empty one; at most 16 KiB of them.
        let blank: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while headerEnd == nil {
            if let found = Self.index(of: blank, in: buffer, from: start) {
                headerEnd = found
            } else {
                guard available < 16 << 10 else { throw Self.refusal("a part's headers are too long") }
                guard try fill() else { throw Self.refusal("it ends inside a part's headers") }
            }
        }
        guard let end = headerEnd else { return nil }
        let text = String(decoding: buffer[start..<end], as: UTF8.self)
        start = end + blank.count
        partEnded = false
        var headers: [String: String] = [:]
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Self.refusal("a part's header has no colon") }
            headers[line[..<colon].lowercased().trimmingCharacters(in: .whitespaces)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    static func index(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count - from else { return nil }
        var index = from
        while index + needle.count <= haystack.count {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// A Content-Disposition parameter ("name", "filename"), unquoted.
    static func parameter(_ name: String, in disposition: String?) -> String? {
        guard let disposition else { return nil }
        // Split on ';' outside quotes.
        var parts: [String] = []
        var current = ""
        var quoted = false
        for character in disposition {
            if character == "\"" { quoted.toggle() }
            if character == ";" && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        for part in parts.dropFirst() {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var value = String(pair[1])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }
}

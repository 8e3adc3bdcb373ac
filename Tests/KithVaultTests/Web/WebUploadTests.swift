import Foundation
import Testing
@testable import KithVault
@testable import KithWeb

/// Attaching a file from a case's page: multipart bodies read as they
/// arrive, however the browser cuts them; the file sealed exactly; nothing
/// left when the upload stops part way, has no file, lacks the token, or
/// comes from a role that may not write notes.
@Suite("Web interface: uploading attachments")
struct WebUploadTests {
    static let boundary = "----KithTestBoundary7MA4YWxkTrZu0gW"

    /// A form body as a browser writes it, with `file` as the file part.
    static func body(file: [UInt8], name: String = "letter.pdf", extraField: Bool = true, compartment: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        if extraField { out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8) }
        if let compartment { out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"compartment\"\r\n\r\n\(compartment)\r\n".utf8) }
        out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/pdf\r\n\r\n".utf8)
        out += file
        out += Array("\r\n--\(boundary)--\r\n".utf8)
        return out
    }

    /// File bytes that hold pieces of the delimiter, to trip a careless parser.
    static func trickyFile(_ count: Int) -> [UInt8] {
        var bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        let almost = Array("\r\n--\(boundary.dropLast())".utf8)
        for (offset, byte) in almost.enumerated() where 5000 + offset < bytes.count { bytes[5000 + offset] = byte }
        for (offset, byte) in Array("\r\n--".utf8).enumerated() where count - 4 + offset >= 0 { bytes[count - 4 + offset] = byte }
        return bytes
    }

    /// A reader of `body` as a browser's connection would give it, `piece` bytes at most at a time.
    static func reader(of body: [UInt8], inPiecesOf piece: Int) -> MultipartReader {
        var offset = 0
        return MultipartReader(boundary: boundary) { buffer in
            let take = min(piece, buffer.count, body.count - offset)
            body.withUnsafeBytes { bytes in
                if let from = bytes.baseAddress, let to = buffer.baseAddress { to.copyMemory(from: from + offset, byteCount: take) }
            }
            offset += take
            return take
        }
    }

    @Test("a multipart body read in pieces of any size gives back each part's headers and the file exactly", arguments: [1, 7, 70, 1000, 65_536, 1 << 20])
    func parser(piece: Int) throws {
        let file = Self.trickyFile(200_000)
        let body = Self.body(file: file)
        let reader = Self.reader(of: body, inPiecesOf: piece)
        let first = try #require(try reader.nextPart())
        #expect(MultipartReader.parameter("name", in: first["content-disposition"]) == "note")
        let second = try #require(try reader.nextPart())
        #expect(MultipartReader.parameter("filename", in: second["content-disposition"]) == "letter.pdf" && second["content-type"] == "application/pdf")
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
            got += chunk[0..<count]
            if count < chunk.count { break }
        }
        #expect(got == file)
        #expect(try reader.nextPart() == nil)
    }

    @Test("bodies that are not a browser's form are refused, not guessed", arguments: ["no-closing", "garbage", "headers-too-long"])
    func badBodies(kind: String) throws {
        let bytes: [UInt8]
        switch kind {
        case "no-closing": bytes = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".utf8)
        case "garbage": bytes = Array("--\(Self.boundary)XYZ".utf8)
        default: bytes = Array("--\(Self.boundary)\r\nX: \(String(repeating: "a", count: 40_000))".utf8)
        }
        let reader = Self.reader(of: bytes, inPiecesOf: 1 << 20)
        #expect(throws: KithVaultError.self) {
            while try reader.nextPart() != nil {
                var sink = [UInt8](repeating: 0, count: 1024)
                while try sink.withUnsafeMutableBytes({ try reader.read(into: $0) }) == sink.count {}
            }
        }
    }

    /// Sends `body` to a case's upload route in pieces, failing after `failAfter` pieces if given.
    static func upload(_ web: WebHarness, caseID: RecordID, body: [UInt8], csrf: String?, failAfter: Int? = nil) async -> WebResponse {
        let pieces = stride(from: 0, to: body.count, by: 50_000).map { Array(body[$0..<min($0 + 50_000, body.count)]) }
        let stream = AsyncThrowingStream<[UInt8], Error> { continuation in
            for (index, piece) in pieces.enumerated() {
                if let failAfter, index == failAfter {
                    continuation.finish(throwing: POSIXError(.ECONNRESET))
                    return
                }
                continuation.yield(piece)
            }
            continuation.finish()
        }
        var headers = web.headers(extra: ["Origin": web.origin, "Content-Type": "multipart/form-data; boundary=\(boundary)"])
        headers["Content-Length"] = String(body.count)
        return await web.app.respond(
            to: WebRequest(method: .post, path: "/records/\(caseID.description)/attachments", query: csrf.map { "csrf=\($0)" } ?? "", headers: headers, upload: stream))
    }

    @Test("a case worker attaches a file from the page: it is sealed exactly, under the name's last part")
    func attach() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let file = Self.trickyFile(1_300_000)
        let response = await Self.upload(web, caseID: caseID, body: Self.body(file: file, name: "C:\\\\Users\\\\sam\\\\tenancy \u{202E}fdp.exe"), csrf: web.currentCSRF)
        #expect(response.status == 303 && response.header("Location") == "/records/\(caseID.description)")
        try lead.refresh()
        let listed = try lead.attachments(caseID: caseID)
        #expect(listed.count == 1 && listed.first?.name == "tenancy \u{202E}fdp.exe" && listed.first?.size == UInt64(file.count))
        let out = fixture.directory.appendingPathComponent("out.bin").path
        _ = try lead.saveAttachment(try #require(listed.first?.id), to: out)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))) == file)
        // The page shows the name inert.
        #expect(await web.get("/records/\(caseID.description)").text.contains("tenancy &lt;U+202E&gt;fdp.exe"))
    }

    @Test("an upload that stops part way, has no file, lacks the token, or comes from a viewer attaches nothing", arguments: ["cut", "no file", "no token", "viewer"])
    func refused(kind: String) async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let web = try await WebHarness.signedIn(as: kind == "viewer" ? "viewer-tra" : "cw-tra", fixture)
        let file = Self.trickyFile(300_000)
        let response: WebResponse
        switch kind {
        case "cut": response = await Self.upload(web, caseID: caseID, body: Self.body(file: file), csrf: web.currentCSRF, failAfter: 3)
        case "no file":
            let body = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--\(Self.boundary)--\r\n".utf8)
            response = await Self.upload(web, caseID: caseID, body: body, csrf: web.currentCSRF)
        case "no token": response = await Self.upload(web, caseID: caseID, body: Self.body(file: file), csrf: nil)
        default: response = await Self.upload(web, caseID: caseID, body: Self.body(file: file), csrf: web.currentCSRF)
        }
        #expect(response.status != 303)
        if kind == "no token" { #expect(response.status == 403) }
        try lead.refresh()
        #expect(try lead.attachments(caseID: caseID).isEmpty)
        // Nothing left in the attachment folder either, and the server goes on.
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: fixture.path + ".files")) ?? []
        #expect(stored.filter { !$0.hasPrefix(".") }.isEmpty, "\(stored)")
        #expect(await web.get("/find").status == 200)
    }

    @Test("a lead seals an upload in the sensitive part (a case worker then sees it withheld); a case worker's forged choice of it, or of profile, attaches nothing")
    func sensitivePart() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let leadWeb = try await WebHarness.signedIn(as: "lead-tra", fixture)
        #expect(await leadWeb.get("/records/\(caseID.description)").text.contains("name=\"compartment\""))
        let file = Self.trickyFile(10_000)
        let stored = await Self.upload(leadWeb, caseID: caseID, body: Self.body(file: file, name: "diagnosis.pdf", compartment: "sensitive"), csrf: leadWeb.currentCSRF)
        #expect(stored.status == 303)
        let caseworker = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let page = await caseworker.get("/records/\(caseID.description)")
        #expect(!page.text.contains("diagnosis.pdf") && page.text.contains("withheld from your role"))
        // A case worker's page offers no choice (notes only); a forged one is refused by the library.
        #expect(!page.text.contains("name=\"compartment\""))
        for forged in ["sensitive", "profile"] {
            let response = await Self.upload(caseworker, caseID: caseID, body: Self.body(file: file, compartment: forged), csrf: caseworker.currentCSRF)
            #expect(response.status != 303, "\(forged)")
        }
        try lead.refresh()
        #expect(try lead.attachments(caseID: caseID).count == 1)
    }

    @Test(
        "file names as browsers send them become their last part",
        arguments: [
            ("C:\\fakepath\\report.pdf", "report.pdf"), ("../../etc/passwd", "passwd"), ("", "upload"), ("..", "upload"), ("  a b.txt ", "a b.txt"),
        ])
    func names(sent: String, expected: String) {
        #expect(WebApp.fileName(sent) == expected)
    }
}

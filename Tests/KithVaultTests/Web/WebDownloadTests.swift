import Foundation
import KithCrypto
import Testing
@testable import KithVault
@testable import KithWeb

/// Downloading an attachment from a case's page: the read is logged before
/// any byte leaves, the file streams whole and exact, a damaged one fails
/// part way (so the browser marks the download failed), a withheld one is
/// refused, and no name can forge the response's headers.
@Suite("Web interface: downloading attachments")
struct WebDownloadTests {

    /// Everything a streamed response sends, or the error that ended it.
    static func collect(_ response: WebResponse) async -> (bytes: [UInt8], error: Error?) {
        guard let stream = response.stream else { return (response.body, nil) }
        let box = Collected()
        do {
            try await stream { box.append($0) }
            return (box.bytes, nil)
        } catch {
            return (box.bytes, error)
        }
    }

    final class Collected: @unchecked Sendable {
        // @unchecked: appended to by one task, in order.
        var bytes: [UInt8] = []
        func append(_ more: [UInt8]) { bytes += more }
    }

    static func fileBytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    @Test("a file of several chunks downloads whole and exact, with its length, after its read was logged")
    func whole() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let contents = Self.fileBytes(2 * (1 << 20) + 777)
        let file = fixture.directory.appendingPathComponent("in.bin")
        try Data(contents).write(to: file)
        let id = try lead.addAttachment(caseID: caseID, file: file.path, name: "tenancy letter \"2026\".pdf")
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let before = try fixture.open("founder").state.count
        let response = await web.get("/attachments/\(id.description)")
        #expect(response.status == 200 && response.header("Content-Length") == String(contents.count))
        #expect(response.header("Content-Type") == "application/octet-stream" && response.header("Cache-Control") == "no-store")
        #expect(response.header("Content-Disposition") == "attachment; filename*=UTF-8''tenancy%20letter%20%222026%22.pdf")
        // Logged before a byte is sent: the entry is there while the body has not been read yet.
        #expect(try fixture.open("founder").state.count == before + 1)
        let (bytes, error) = await Self.collect(response)
        #expect(error == nil && bytes == contents)
        // The page links it.
        #expect(await web.get("/records/\(caseID.description)").text.contains("href=\"/attachments/\(id.description)\">"))
    }

    @Test(
        "a damaged stored file ends the download with an error part way, never as a complete file",
        arguments: ["middle chunk", "cut short", "last byte", "bytes appended"])
    func damaged(how: String) async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let contents = Self.fileBytes(2 * (1 << 20) + 100)
        let file = fixture.directory.appendingPathComponent("in.bin")
        try Data(contents).write(to: file)
        let id = try lead.addAttachment(caseID: caseID, file: file.path)
        let stored = fixture.path + ".files/\(id)"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        let chunk = (1 << 20) + SecretStream.chunkOverhead
        switch how {
        case "middle chunk": bytes[36 + chunk + 500] ^= 1
        case "cut short": bytes.removeLast(50)
        case "bytes appended": bytes += [UInt8](repeating: 7, count: 100)
        default: bytes[bytes.count - 1] ^= 1
        }
        try Data(bytes).write(to: URL(fileURLWithPath: stored))
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        let response = await web.get("/attachments/\(id.description)")
        let (sent, error) = await Self.collect(response)
        #expect(error != nil)
        #expect(sent.count < contents.count)
        // The server goes on serving.
        #expect(await web.get("/find").status == 200)
    }

    @Test("an attachment sealed where the role may not read is refused, and nothing is sent")
    func withheld() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let file = fixture.directory.appendingPathComponent("in.bin")
        try Data(Self.fileBytes(1000)).write(to: file)
        let id = try lead.addAttachment(caseID: caseID, file: file.path, name: "medical.pdf", compartment: .sensitive)
        let web = try await WebHarness.signedIn(as: "cw-tra", fixture)
        let response = await web.get("/attachments/\(id.description)")
        #expect(response.status == 403 && response.stream == nil && !response.text.contains("medical"))
        #expect(await web.get("/attachments/nothex").status == 404)
    }

    @Test(
        "a file name cannot end the header or fake another: everything but plain letters is percent-encoded",
        arguments: [
            ("a\r\nSet-Cookie: x=1", "attachment; filename*=UTF-8''a%3CU%2B000D%3E%3CU%2B000A%3ESet-Cookie%3A%20x%3D1"),
            ("تقرير.pdf", "attachment; filename*=UTF-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1.pdf"),
            ("", "attachment; filename*=UTF-8''attachment"),
        ])
    func disposition(name: String, expected: String) {
        #expect(WebApp.contentDisposition(name) == expected)
    }
}

extension WebDownloadTests {
    @Test("a sensitive attachment in a group that asks reasons asks one first; with it, the file comes")
    func reasonFirst() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        var policy = try lead.policy(groupName: "Trans Support")
        policy.reasons = [.sensitiveReads]
        _ = try lead.setPolicy(groupName: "Trans Support", policy)
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let contents = Self.fileBytes(5000)
        let file = fixture.directory.appendingPathComponent("in.bin")
        try Data(contents).write(to: file)
        let id = try lead.addAttachment(caseID: caseID, file: file.path, name: "medical.pdf", compartment: .sensitive)
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        let asked = await web.get("/attachments/\(id.description)")
        #expect(asked.stream == nil && asked.text.contains("action=\"/attachments/\(id.description)\"") && asked.text.contains("name=\"reason\""))
        #expect(await web.post("/attachments/\(id.description)", [("reason", " ")]).status == 400)
        let given = await web.post("/attachments/\(id.description)", [("reason", "sending it to the clinic")])
        let (bytes, error) = await Self.collect(given)
        #expect(error == nil && bytes == contents)
    }
}

extension WebDownloadTests {
    @Test("Lock during a download the browser stopped reading answers at once, and the vault's queue is let go")
    func lockDuringStalledDownload() async throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let caseID = try lead.addRecord(groupName: "Trans Support", kind: .case, fields: fields([("need", "housing")], kind: .case))
        let file = fixture.directory.appendingPathComponent("in.bin")
        try Data(Self.fileBytes(3 * (1 << 20))).write(to: file)
        let id = try lead.addAttachment(caseID: caseID, file: file.path)
        let web = try await WebHarness.signedIn(as: "lead-tra", fixture)
        let response = await web.get("/attachments/\(id.description)")
        let stream = try #require(response.stream)
        let started = Collected()
        // A browser that takes the first piece and then stops reading.
        let download = Task {
            try await stream { _ in
                started.append([1])
                try await Task.sleep(for: .seconds(600))
            }
        }
        while started.bytes.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        let locked = await web.post("/lock", [])
        #expect(locked.text.contains("Kith is locked"))
        // The queue is free again (the reader stopped at its next piece).
        let free = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await web.app.host.run { _ in true } }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(free)
        download.cancel()
    }
}

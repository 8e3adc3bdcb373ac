import Foundation
@testable import KithSQLite
import KithCrypto
import Testing
@testable import KithVault

/// An agent serving on a background thread in a private scratch folder.
private final class RunningAgent: @unchecked Sendable {
    // @unchecked: `server` is used by its serving thread only once started; `stop` is set once, then read after `done`.
    let folder: String
    let socketPath: String
    let keyfilePath: String
    let identity: UnlockedIdentity
    let server: AgentServer
    private let done = DispatchSemaphore(value: 0)
    private(set) var stop: AgentServer.Stop?

    init(idleLimit: UInt64 = 600, configure: (AgentServer) -> Void = { _ in }) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("kith-agent-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        folder = try AgentSocket.prepare(base + "/agent")
        identity = try UnlockedIdentity.generate()
        keyfilePath = base + "/me.kithid"
        try Data("a keyfile stand-in\n".utf8).write(to: URL(fileURLWithPath: keyfilePath))
        socketPath = folder + "/\(identity.identity.userID).sock"
        server = try AgentServer(holder: identity, socketPath: socketPath, keyfilePath: keyfilePath, idleLimit: idleLimit)
        configure(server)
        let agent = self
        Thread.detachNewThread {
            agent.stop = agent.server.serve()
            agent.done.signal()
        }
    }

    /// Waits for the agent to stop by itself (at most `seconds`).
    func waitForStop(seconds: Int) -> AgentServer.Stop? {
        _ = done.wait(timeout: .now() + .seconds(seconds))
        return stop
    }

    func client() -> AgentClient? { AgentClient.connect(socketPath: socketPath, identity: identity.identity) }

    deinit { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: folder).deletingLastPathComponent().path) }
}

@Suite("Unlock agent")
struct AgentTests {
    @Test("signs, opens and derives exactly as the identity does, and no secret key byte ever crosses the socket or lands on disk")
    func operations() throws {
        var sent: [UInt8] = []
        let lock = NSLock()
        let agent = try RunningAgent { server in
            server.tap = { bytes in
                lock.lock()
                sent += bytes
                lock.unlock()
            }
        }
        let client = try #require(agent.client())
        let message = Array("a log entry".utf8)
        let signature = try client.sign(message)
        #expect(agent.identity.identity.signingKey.isValidSignature(signature, for: message))
        let secret = try SecureBytes(randomCount: 32)
        let sealed = try SealedBox.seal(secret, to: agent.identity.identity.boxKey)
        #expect(try client.openSealed(sealed).isEqual(to: secret))
        #expect(try client.deriveKey(purpose: "kithdtl_", id: 7).isEqual(to: agent.identity.deriveKey(purpose: "kithdtl_", id: 7)))
        // A refused operation is an error, not a crash.
        #expect(throws: KithVaultError.self) { _ = try client.openSealed([1, 2, 3]) }

        // The identity's secret material (signing seed and box secret), as bytes.
        let material = try agent.identity.secretMaterial()
        let secretBytes = material.withUnsafeBytes { Array($0) }
        let seed = Array(secretBytes[0..<32]), boxSecret = Array(secretBytes[32...])
        lock.lock()
        let wire = sent
        lock.unlock()
        #expect(!wire.isEmpty)
        #expect(!wire.contains(subsequence: seed))
        #expect(!wire.contains(subsequence: boxSecret))
        // On disk: only the socket, mode 0600, in a 0700 folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: agent.folder) == ["\(agent.identity.identity.userID).sock"])
        #expect((try FileManager.default.attributesOfItem(atPath: agent.socketPath)[.posixPermissions] as? Int) == 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: agent.folder)[.posixPermissions] as? Int) == 0o700)
        try client.lockAgent()
        #expect(agent.waitForStop(seconds: 10) == .locked)
        #expect(!FileManager.default.fileExists(atPath: agent.socketPath))
    }

    @Test("a caller with another user id is refused")
    func otherUserRefused() throws {
        let agent = try RunningAgent { server in server.allowedUID = getuid() &+ 1 }
        #expect(agent.client() == nil)
        // The refusal does not stop the agent for its own user.
        agent.server.allowedUID = getuid()
        let client = try #require(agent.client())
        try client.lockAgent()
        #expect(agent.waitForStop(seconds: 10) == .locked)
    }

    @Test("it locks itself when idle, and when its keyfile changes")
    func locksItself() throws {
        let idle = try RunningAgent(idleLimit: 1)
        #expect(idle.waitForStop(seconds: 10) == .idle)
        #expect(idle.client() == nil)
        #expect(!FileManager.default.fileExists(atPath: idle.socketPath))

        let changed = try RunningAgent()
        #expect(changed.client() != nil)
        try Data("a rewritten keyfile\n".utf8).write(to: URL(fileURLWithPath: changed.keyfilePath))
        #expect(changed.waitForStop(seconds: 10) == .keyfileChanged)
        #expect(changed.client() == nil)
    }

    @Test("a second agent for the same identity is refused, and a folder others can enter is refused")
    func refusals() throws {
        let agent = try RunningAgent()
        #expect(throws: KithVaultError.self) {
            _ = try AgentServer(holder: agent.identity, socketPath: agent.socketPath, keyfilePath: agent.keyfilePath, idleLimit: 60)
        }
        #expect(agent.client() != nil)
        chmod(agent.folder, 0o755)
        #expect(throws: KithVaultError.self) { _ = try AgentSocket.prepare(agent.folder) }
        try agent.client()?.lockAgent()
        #expect(agent.waitForStop(seconds: 10) == .locked)
    }

    @Test("a vault opened through the agent writes and reads like one opened with the keyfile")
    func vaultThroughAgent() throws {
        let fixture = try VaultFixture()
        let (lead, _, _) = try fixture.standardGroup()
        let agent = try RunningAgent()
        // Enrol the agent's identity, then act through the agent only.
        let request = try EnrollmentRequest.make(holder: agent.identity, handle: Handle("remote"), vaultFingerprint: nil)
        try fixture.admin.approve(EnrollmentRequest.parse(request.fileBytes), role: .user)
        try lead.refresh()
        try lead.share(groupName: "Trans Support", with: "remote", role: .caseworker)
        let client = try #require(agent.client())
        let vault = try Vault(store: SQLiteVaultStore(path: fixture.path), holder: client)
        let id = try vault.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "Through the agent")]))
        #expect(try vault.readRecord(id).fields.map(\.value) == ["Through the agent"])
        try lead.refresh()
        #expect(try lead.readRecord(id).author == "remote")
        try client.lockAgent()
        #expect(throws: KithVaultError.self) { try vault.addRecord(groupName: "Trans Support", kind: .member, fields: fields([("name", "After lock")])) }
    }
}

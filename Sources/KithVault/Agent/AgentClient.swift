import Foundation
import KithCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// A running agent's answer to `hello`.
public struct AgentStatus: Sendable {
    /// Seconds before it locks itself unless used.
    public let idleSecondsLeft: UInt64
    /// Its idle limit in seconds.
    public let idleLimit: UInt64
}

/// The private-key operations of an identity unlocked in an agent: each
/// call is a request over the agent's socket. Commands use it in place of
/// the keyfile when an agent for their identity answers.
public final class AgentClient: PrivateKeyHolder, @unchecked Sendable {
    // @unchecked: immutable; every request opens its own connection.
    public let identity: PublicIdentity
    private let socketPath: String
    /// What the agent said when it was first reached.
    public let status: AgentStatus

    private init(identity: PublicIdentity, socketPath: String, status: AgentStatus) {
        self.identity = identity
        self.socketPath = socketPath
        self.status = status
    }

    /// A connection to the agent, or nil when none answers.
    private static func open(_ socketPath: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        guard var address = try? AgentServer.address(socketPath) else {
            close(fd)
            return nil
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Connects to the agent at `socketPath` and checks it holds
    /// `identity`; nil when no agent answers there (the caller then asks
    /// for the passphrase), never an error.
    public static func connect(socketPath: String, identity: PublicIdentity) -> AgentClient? {
        guard let fd = open(socketPath) else { return nil }
        defer { close(fd) }
        guard (try? AgentWire.write(fd, [AgentWire.Operation.hello.rawValue])) != nil,
            let reply = try? AgentWire.read(fd), reply.first == 0, reply.count == 1 + 16 + 16,
            Array(reply[1..<17]) == identity.userID.bytes
        else { return nil }
        let status = AgentStatus(idleSecondsLeft: AgentWire.u64(reply[17..<25]), idleLimit: AgentWire.u64(reply[25..<33]))
        return AgentClient(identity: identity, socketPath: socketPath, status: status)
    }

    /// One request and the agent's whole reply (status byte first), on a
    /// connection of its own (so a long command never holds the agent from
    /// another, and no connection sits idle); throws the agent's refusal.
    private func exchange(_ operation: AgentWire.Operation, _ argument: [UInt8]) throws -> [UInt8] {
        guard let fd = Self.open(socketPath) else {
            throw KithVaultError.storage("the unlock agent stopped (it may have locked itself)", remedy: .unlockAgain)
        }
        defer { close(fd) }
        try AgentWire.write(fd, [operation.rawValue] + argument)
        guard let reply = try AgentWire.read(fd), let status = reply.first else {
            throw KithVaultError.storage("the unlock agent closed the connection", remedy: .checkAgent)
        }
        guard status == 0 else {
            throw KithVaultError.accessDenied("the unlock agent refused: \(String(decoding: reply.dropFirst(), as: UTF8.self))")
        }
        return reply
    }

    /// A public result (a signature).
    private func request(_ operation: AgentWire.Operation, _ argument: [UInt8]) throws -> [UInt8] {
        Array(try exchange(operation, argument).dropFirst())
    }

    /// A secret result, copied straight from the wire buffer into guarded
    /// memory; the wire buffer is wiped, so no copy of the key outlives the call.
    private func secretRequest(_ operation: AgentWire.Operation, _ argument: [UInt8]) throws -> SecureBytes {
        var reply = try exchange(operation, argument)
        defer { SecureBytes.wipe(&reply) }
        var key = try SecureBytes(count: reply.count - 1)
        key.withUnsafeMutableBytes { out in reply.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.dropFirst())) } }
        return key
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try request(.sign, message)
    }

    public func openSealed(_ sealed: [UInt8]) throws -> SecureBytes {
        try secretRequest(.openSealed, sealed)
    }

    public func deriveKey(purpose: String, id: UInt64) throws -> SecureBytes {
        let purposeBytes = Array(purpose.utf8)
        guard purposeBytes.count == 8 else { throw KithVaultError.invalidInput("a key purpose is 8 bytes") }
        return try secretRequest(.derive, AgentWire.u64(id) + purposeBytes)
    }

    /// Asks the agent to wipe its keys and stop.
    public func lockAgent() throws {
        _ = try request(.lock, [])
    }

    /// Asks whatever agent listens at `socketPath` to wipe its keys and
    /// stop, whichever identity it holds (a panic wipe stops them all);
    /// true when one answered. Agents serve only their own user's
    /// processes, so this reaches only this user's agents.
    public static func lockAny(socketPath: String) -> Bool {
        guard let fd = open(socketPath) else { return false }
        defer { close(fd) }
        guard (try? AgentWire.write(fd, [AgentWire.Operation.lock.rawValue])) != nil else { return false }
        return (try? AgentWire.read(fd)) != nil
    }
}

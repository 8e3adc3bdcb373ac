import Foundation
import KithCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Peer credentials from `SO_PEERCRED` (Linux's `struct ucred`).
private struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The unlock agent: holds one unlocked identity and performs its
/// private-key operations for clients of the same user on a Unix socket
/// (0600, in a 0700 folder, and every peer's uid checked). It stops, and
/// its keys are wiped, after `idleLimit` seconds without a request, on a
/// `lock` request, or when the keyfile it was unlocked from changes.
public final class AgentServer {
    private var holder: UnlockedIdentity?
    private let socketPath: String
    private let keyfilePath: String
    private let keyfileStamp: String
    /// Seconds without a request before the agent locks itself.
    public let idleLimit: UInt64
    /// The only uid served (tests set another to check refusal).
    var allowedUID = getuid()
    /// Everything written to clients (tests: proves no secret key crosses).
    var tap: ((_ sent: [UInt8]) -> Void)?
    private var lastUse = Date()
    private var listener: Int32 = -1

    /// Why the agent stopped.
    public enum Stop: Sendable, Equatable {
        /// Idle for `idleLimit` seconds.
        case idle
        /// A client asked (`kith lock`).
        case locked
        /// The keyfile changed or disappeared.
        case keyfileChanged
    }

    /// Binds the socket (replacing a stale one left by a dead agent; an
    /// agent that still answers is never replaced).
    public init(holder: UnlockedIdentity, socketPath: String, keyfilePath: String, idleLimit: UInt64) throws {
        self.holder = holder
        self.socketPath = socketPath
        self.keyfilePath = keyfilePath
        self.idleLimit = idleLimit
        keyfileStamp = Self.stamp(keyfilePath)
        if AgentClient.connect(socketPath: socketPath, identity: holder.identity) != nil {
            throw KithVaultError.invalidInput("an agent for this identity is already running", remedy: .lockAgent)
        }
        unlink(socketPath)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw KithVaultError.storage("cannot make a socket: \(String(cString: strerror(errno)))") }
        // No umask games: umask is per process, and changing it raced with
        // other threads creating files (a test saw a 0700 folder made 0600).
        // The folder is 0700 and this user's alone (AgentSocket.prepare), so
        // nobody else can reach the socket in the moment before its chmod.
        var address = try Self.address(socketPath)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(socketPath, 0o600) == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw KithVaultError.storage("cannot listen on \(socketPath): \(String(cString: strerror(errno)))")
        }
        listener = fd
    }

    deinit { shutdown() }

    static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw KithVaultError.invalidInput("the agent socket path \(path) is too long for a Unix socket; set KITH_AGENT_DIR to a shorter folder")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return address
    }

    /// Size, inode and modification time: any rewrite of the keyfile changes it.
    private static func stamp(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "missing" }
        return "\(info.st_ino)/\(info.st_size)/\(info.st_mtim.tv_sec)/\(info.st_mtim.tv_nsec)"
    }

    /// Seconds left before the idle lock.
    var idleSecondsLeft: UInt64 {
        let used = UInt64(max(0, Date().timeIntervalSince(lastUse)))
        return used >= idleLimit ? 0 : idleLimit - used
    }

    /// Serves until a stop condition, then wipes the keys, removes the
    /// socket and says why it stopped.
    public func serve() -> Stop {
        defer { shutdown() }
        while true {
            if Self.stamp(keyfilePath) != keyfileStamp { return .keyfileChanged }
            if idleSecondsLeft == 0 { return .idle }
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            // Wake at least once a second to check the clock and the keyfile.
            let ready = poll(&poller, 1, 1000)
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let stop = handle(client)
            close(client)
            if let stop { return stop }
        }
    }

    /// Answers one client's requests until it hangs up; a stop if it asked to lock.
    func handle(_ client: Int32) -> Stop? {
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(client, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.uid == allowedUID else {
            try? send(client, refusal: "this agent serves only the user who started it")
            return nil
        }
        // A client that stalls must not hold the agent: 5 s per message.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while let request = try? AgentWire.read(client), let first = request.first {
            if Self.stamp(keyfilePath) != keyfileStamp { return .keyfileChanged }
            guard idleSecondsLeft > 0 else { return .idle }
            lastUse = Date()
            let argument = Array(request.dropFirst())
            guard let operation = AgentWire.Operation(rawValue: first), let holder else {
                try? send(client, refusal: "unknown request")
                continue
            }
            do {
                switch operation {
                case .hello:
                    try send(client, result: holder.identity.userID.bytes + AgentWire.u64(idleSecondsLeft) + AgentWire.u64(idleLimit))
                case .sign:
                    try send(client, result: try holder.sign(argument))
                case .openSealed:
                    let opened = try holder.openSealed(argument)
                    try opened.withUnsafeBytes { try send(client, secret: $0) }
                case .derive:
                    guard argument.count == 16, let purpose = String(bytes: argument[8...], encoding: .utf8) else {
                        throw KithVaultError.invalidInput("malformed derive request")
                    }
                    let key = try holder.deriveKey(purpose: purpose, id: AgentWire.u64(argument[0..<8]))
                    try key.withUnsafeBytes { try send(client, secret: $0) }
                case .lock:
                    try send(client, result: [])
                    return .locked
                }
            } catch {
                try? send(client, refusal: "\(error)")
            }
        }
        return nil
    }

    private func send(_ client: Int32, result: [UInt8]) throws {
        tap?([0] + result)
        try AgentWire.write(client, [0] + result)
    }

    private func send(_ client: Int32, secret: UnsafeRawBufferPointer) throws {
        var reply = [UInt8](repeating: 0, count: secret.count + 1)
        for index in 0..<secret.count { reply[index + 1] = secret[index] }
        tap?(reply)
        defer { SecureBytes.wipe(&reply) }
        try AgentWire.write(client, reply)
    }

    private func send(_ client: Int32, refusal: String) throws {
        try AgentWire.write(client, [1] + Array(refusal.utf8))
    }

    private func shutdown() {
        // Dropping the identity frees its guarded buffers, which wipes them.
        holder = nil
        if listener >= 0 {
            close(listener)
            listener = -1
            unlink(socketPath)
        }
    }
}

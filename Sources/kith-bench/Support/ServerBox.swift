import KithVault

/// Hands the agent to its serving thread.
final class ServerBox: @unchecked Sendable {
    // @unchecked: used by the serving thread only after init.
    let server: AgentServer
    init(_ server: AgentServer) { self.server = server }
}

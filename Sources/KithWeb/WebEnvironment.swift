import KithVault

/// What the web interface needs from whoever starts it (the CLI's `kith
/// serve`, or a test): how to open the vault as the user, whether the
/// user is still unlocked, and how to lock. The server holds no key of its
/// own: it signs and opens keys through the same agent as every command.
public struct WebEnvironment: Sendable {
    /// Opens the vault as the user (through the unlock agent).
    public var open: @Sendable () throws -> Vault
    /// Whether the user is still unlocked; checked before every request
    /// without counting as use, so an idle lock still happens.
    public var isUnlocked: @Sendable () -> Bool
    /// Locks the user (the agent), as `kith lock` does.
    public var lock: @Sendable () -> Void
    /// The agent's idle limit in seconds, for the status page.
    public var idleLimitSeconds: @Sendable () -> UInt64?
    /// The vault as the status page names it (its path or address, no password).
    public var vaultDescription: String

    /// An environment.
    public init(
        open: @escaping @Sendable () throws -> Vault, isUnlocked: @escaping @Sendable () -> Bool, lock: @escaping @Sendable () -> Void,
        idleLimitSeconds: @escaping @Sendable () -> UInt64? = { nil }, vaultDescription: String
    ) {
        self.open = open
        self.isUnlocked = isUnlocked
        self.lock = lock
        self.idleLimitSeconds = idleLimitSeconds
        self.vaultDescription = vaultDescription
    }
}

import Dispatch
import KithVault

/// The one open vault behind the pages, used by one request at a time on a
/// queue of its own (a `Vault` is not thread-safe, and the store's own
/// locking is per process). It is opened at the first request, refreshed
/// from the log before each, and dropped on lock.
final class WebVaultHost: @unchecked Sendable {
    // @unchecked: `vault` is touched only on `queue`.
    private let queue = DispatchQueue(label: "kith.web.vault")
    private let open: @Sendable () throws -> Vault
    private var vault: Vault?

    init(open: @escaping @Sendable () throws -> Vault) { self.open = open }

    /// Runs `body` with the vault, brought up to date with the log first.
    func run<T: Sendable>(_ body: @escaping @Sendable (Vault) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result {
                        let vault = try self.current()
                        return try body(vault)
                    })
            }
        }
    }

    private func current() throws -> Vault {
        if let vault {
            do {
                try vault.refresh()
                return vault
            } catch {
                // A vault that cannot follow the log is opened afresh (which reports why, if it still fails).
                self.vault = nil
            }
        }
        let opened = try open()
        vault = opened
        return opened
    }

    /// Forgets the vault (and with it every group key it had opened) once
    /// the queue is free, without waiting: Lock must answer at once.
    func drop() {
        queue.async { self.vault = nil }
    }
}

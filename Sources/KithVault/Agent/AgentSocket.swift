import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where agents listen: one socket per identity, named by its user id, in a
/// folder only this user can enter. `$KITH_AGENT_DIR`, else
/// `$XDG_RUNTIME_DIR/kith`, else `/tmp/kith-<uid>`.
public enum AgentSocket {
    /// The folder, made (0700) if missing. Refused when another user owns
    /// it or others can enter it: someone else could then listen in our name.
    public static func directory() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["KITH_AGENT_DIR"], !explicit.isEmpty { return try prepare(explicit) }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return try prepare(runtime + "/kith") }
        return try prepare("/tmp/kith-\(getuid())")
    }

    /// Makes `folder` (0700) if missing and checks it is private to this user.
    static func prepare(_ folder: String) throws -> String {
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw KithVaultError.storage("cannot create the agent folder \(folder): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw KithVaultError.storage("\(folder) is not a folder; remove it or set KITH_AGENT_DIR")
        }
        guard info.st_uid == getuid(), info.st_mode & 0o077 == 0 else {
            throw KithVaultError.accessDenied(
                "the agent folder \(folder) is not private to you (owner \(info.st_uid), mode \(String(info.st_mode & 0o777, radix: 8))); remove it, or run 'chmod 700 \(folder)' if it is yours")
        }
        return folder
    }

    /// The socket of `user`'s agent.
    public static func path(for user: UserID) throws -> String {
        try directory() + "/\(user).sock"
    }
}

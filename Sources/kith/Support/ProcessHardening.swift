import Foundation
internal import CHardening

#if canImport(Glibc)
    import Glibc
#endif

/// What the process does first: no core dumps, so a crash never writes
/// decrypted content or opened keys to disk, and no other process of the
/// same user may attach to it (PR_SET_DUMPABLE 0 also refuses ptrace).
/// The agent is this same binary (`kith agent`), so it is covered too.
enum ProcessHardening {
    static func apply() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        _ = kith_set_undumpable()
    }

    /// The core file size limit now in force (0: none is written).
    static var coreLimit: UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_CORE.rawValue), &limit) == 0 else { return .max }
        return UInt64(limit.rlim_cur)
    }

    /// Whether this process may dump core (for the test that checks it).
    static var dumpable: Bool { kith_is_dumpable() != 0 }
}

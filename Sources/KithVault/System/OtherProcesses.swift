import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The other `kith` processes of this device: the same program, run by
/// the same user, with the same state folder. A wipe stops them, since a
/// command still running (an export half done, a search) holds decrypted
/// content in memory and would write its resume cache and search index
/// back into the state folder after the wipe.
public enum OtherProcesses {
    /// The state folder `kith` uses with `environment`: `$KITH_STATE_DIR`,
    /// else `$XDG_STATE_HOME/kith`, else `~/.local/state/kith` (`home`
    /// when the environment names no `HOME`).
    public static func stateDirectory(environment: [String: String], home: String) -> URL {
        if let explicit = environment["KITH_STATE_DIR"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("kith") }
        let base = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home
        return URL(fileURLWithPath: base).appendingPathComponent(".local/state/kith")
    }

    /// Kills (SIGKILL: nothing more runs in them) every other process of
    /// this executable and user whose state folder is `stateDirectory`,
    /// except the background helpers that finish a wipe and the process
    /// that started this one. Returns how many.
    /// Linux only (it reads /proc); elsewhere it stops none.
    public static func stop(sharing stateDirectory: URL) -> Int {
        guard let mine = executable(of: "self") else { return 0 }
        let target = stateDirectory.standardizedFileURL.path
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        // Nor the command that started this one (an agent checking a passphrase for `kith unlock`): it answers and ends.
        let me = getpid(), parent = getppid()
        var stopped = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), pid != me, pid != parent, executable(of: name) == mine else { continue }
            let arguments = nulSeparated("/proc/\(name)/cmdline")
            if arguments.contains("wipe-folder") { continue }
            var environment: [String: String] = [:]
            for pair in nulSeparated("/proc/\(name)/environ") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            guard Self.stateDirectory(environment: environment, home: home).standardizedFileURL.path == target else { continue }
            if kill(pid, SIGKILL) == 0 { stopped += 1 }
        }
        return stopped
    }

    /// The program a process runs (another user's cannot be read: nil).
    private static func executable(of process: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/\(process)/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A /proc file of NUL-separated strings (cmdline, environ); empty when unreadable.
    private static func nulSeparated(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program and waits for it with posix_spawn and waitpid. Foundation's
/// `Process.waitUntilExit` polls its run loop every 50 ms on Linux, which
/// would add up to 50 ms to every timed command; this adds none.
enum Spawn {
    /// Runs `path` with `arguments` and `environment`, writing `stdin` to its
    /// standard input; standard output is discarded. Returns the exit status
    /// and what it wrote to standard error.
    static func run(_ path: String, _ arguments: [String], environment: [String: String], stdin: String?) throws -> (status: Int32, errors: String) {
        var input: [Int32] = [0, 0]
        guard pipe(&input) == 0 else { throw BenchFailure("pipe failed") }
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("kith-bench-\(UUID().uuidString).err").path
        defer { unlink(errorFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_addclose(&actions, input[1])
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(input[0])
        guard spawned == 0 else {
            close(input[1])
            throw BenchFailure("cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        if let stdin {
            let bytes = Array(stdin.utf8)
            _ = bytes.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
        }
        close(input[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let errors = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS by hand: the macros do not come through to Swift.
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), errors)
    }

    /// The peak resident memory of one run, in KiB, through `/usr/bin/time`
    /// (the child of a posix_spawn shares this process's memory until it
    /// execs, so its own rusage would count the benchmark's heap too); nil
    /// when /usr/bin/time is not installed.
    static func peakKiB(_ path: String, _ arguments: [String], environment: [String: String], stdin: String?) throws -> Int? {
        let time = "/usr/bin/time"
        guard FileManager.default.isExecutableFile(atPath: time) else { return nil }
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("kith-bench-\(UUID().uuidString).rss").path
        defer { unlink(report) }
        let (status, _) = try run(time, ["-f", "%M", "-o", report, path] + arguments, environment: environment, stdin: stdin)
        guard status == 0, let text = try? String(contentsOfFile: report, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "")
    }
}

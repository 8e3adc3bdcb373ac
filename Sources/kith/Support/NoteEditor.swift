import Foundation
import KithCrypto
import KithVault

#if canImport(Glibc)
    import Glibc
#endif

/// `note add` with no text, on a terminal, with `$VISUAL` or `$EDITOR` set:
/// the person writes the note in their own editor, on a private temporary
/// file that never outlives the command.
///
/// The file is made in a fresh folder of mode 0700 (the file 0600), in
/// `/dev/shm` when the machine has it (memory, never a disk), else in the
/// state folder; it is noted there so that a killed `kith` leaves it for
/// the next command to remove. When the editor exits, the text is read,
/// the file overwritten with zeros and removed, and the folder with it.
/// Editors may keep their own swap or backup files: docs/cli.md says how to
/// turn them off.
enum NoteEditor {
    /// The lines put in the file to explain it; left out of the note.
    static let guide = [
        "# Write the note above these lines, save, and close the editor.",
        "# These lines are left out. An empty note adds nothing.",
    ]

    /// The editor the person chose (`$VISUAL`, then `$EDITOR`), if any.
    static var chosen: String? {
        let environment = ProcessInfo.processInfo.environment
        for name in ["VISUAL", "EDITOR"] {
            if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
        }
        return nil
    }

    /// Runs `editor` on a private temporary file and returns what was written (without the guide).
    static func write(with editor: String, state: URL) throws -> String {
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : state.path
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var template = Array("\(base)/kith-note-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) } }
        guard let folder = made else { throw KithVaultError.storage("cannot make a private folder in \(base) for the note: check permissions") }
        let file = folder + "/note.txt"
        let partials = PartialFiles(stateDirectory: state)
        let note = try? partials.note(file, folder: folder)
        defer {
            // The note and whatever the editor left beside it (backup and swap files).
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] { wipe(folder + "/" + name) }
            rmdir(folder)
            if let note { partials.forget(note) }
        }
        let initial = "\n\n" + guide.joined(separator: "\n") + "\n"
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KithVaultError.storage("cannot create the note's file in \(folder)") }
        try Array(initial.utf8).withUnsafeBytes { try FileDescriptorIO.writeAll(fd, $0, what: file) }
        close(fd)

        // Through the shell, so an editor given with its options ("nano -w", "code --wait") works;
        // the file's path goes as an argument, never inside the command text. Spawned in this
        // process group (Foundation's Process would start a new one, and a terminal editor in a
        // background group is stopped the moment it touches the terminal).
        let status = try runInForeground(["/bin/sh", "-c", "\(editor) \"$1\"", "kith-editor", file], editor: editor)
        guard status == 0 else {
            throw KithVaultError.invalidInput("the editor '\(editor)' exited with status \(status); nothing was added")
        }
        var bytes = try SmallFile.read(file, what: "note", limit: (1 << 20) + 4096)
        defer { SecureBytes.wipe(&bytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw KithVaultError.invalidInput("the note is not UTF-8 text; nothing was added") }
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !guide.contains(String($0)) }
        return kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `argv` with this process's terminal, environment and process group; its exit status.
    private static func runInForeground(_ argv: [String], editor: String) throws -> Int32 {
        let arguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in arguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], nil, nil, arguments, environ)
        guard spawned == 0 else { throw KithVaultError.invalidInput("cannot start the editor '\(editor)'; check $VISUAL or $EDITOR") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally: its code; killed by a signal: not zero.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Overwrites `path` with zeros, flushes it and removes it.
    private static func wipe(_ path: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd >= 0 {
            var info = stat()
            if fstat(fd, &info) == 0, info.st_size > 0 {
                let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                _ = zeros.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                fsync(fd)
            }
            close(fd)
        }
        unlink(path)
    }
}

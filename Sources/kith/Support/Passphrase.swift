import Foundation
import KithCrypto
import KithVault

#if canImport(Glibc)
    import Glibc
#endif

/// Where passphrases come from: --passphrase-file, then KITH_PASSPHRASE,
/// then a prompt on the terminal without echo. Never a command-line value.
enum Passphrase {
    static func read(options: GlobalOptions, confirm: Bool, for handle: String) throws -> SecureBytes {
        if let file = options.passphraseFile { return try fromFile(file) }
        if let taken = fromEnvironment.take() {
            return taken
        }
        guard isatty(STDIN_FILENO) == 1 || FileManager.default.isReadableFile(atPath: "/dev/tty") else {
            throw KithVaultError.invalidInput("no passphrase: run kith in a terminal, or use --passphrase-file FILE or KITH_PASSPHRASE")
        }
        let first = try prompt("Passphrase for \(handle): ")
        if confirm {
            let second = try prompt("Repeat the passphrase: ")
            guard first.isEqual(to: second) else {
                throw KithVaultError.invalidInput("the two passphrases differ; nothing was written, try again")
            }
        }
        return first
    }

    /// A passphrase file's passphrase (one trailing newline dropped).
    static func fromFile(_ file: String) throws -> SecureBytes {
        var bytes = try readWipeable(file)
        defer { SecureBytes.wipe(&bytes) }
        // One trailing newline is how editors and `echo` end the file; it is not part of the passphrase.
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return try SecureBytes(wiping: &bytes)
    }

    /// A new passphrase: from `file`, or typed twice at the terminal.
    static func newPassphrase(file: String?) throws -> SecureBytes {
        if let file { return try fromFile(file) }
        guard FileManager.default.isReadableFile(atPath: "/dev/tty") else {
            throw KithVaultError.invalidInput("no terminal to ask for the new passphrase: use --new-passphrase-file FILE")
        }
        let hint = "no terminal to ask for the new passphrase: use --new-passphrase-file FILE"
        let first = try prompt("New passphrase: ", noTerminal: hint)
        let second = try prompt("Repeat the new passphrase: ", noTerminal: hint)
        guard first.isEqual(to: second) else { throw KithVaultError.invalidInput("the two new passphrases differ; nothing was changed, try again") }
        return first
    }

    /// The duress passphrase: from `file`, or typed twice at the terminal.
    static func duress(file: String?) throws -> SecureBytes {
        if let file { return try fromFile(file) }
        guard FileManager.default.isReadableFile(atPath: "/dev/tty") else {
            throw KithVaultError.invalidInput("no terminal to ask for the duress passphrase: use --duress-passphrase-file FILE")
        }
        let first = try prompt("Duress passphrase (typing it instead of yours wipes this device): ")
        let second = try prompt("Repeat the duress passphrase: ")
        guard first.isEqual(to: second) else { throw KithVaultError.invalidInput("the two duress passphrases differ; nothing was changed, try again") }
        return first
    }

    /// KITH_PASSPHRASE, taken out of the environment when the process starts
    /// (`takeFromEnvironment`), before anything copies the environment
    /// into Swift strings that could not be wiped.
    // nonisolated(unsafe): set once in main before anything else runs; one thread.
    nonisolated(unsafe) private static var fromEnvironment: SecureBytes? = nil

    /// Moves KITH_PASSPHRASE into guarded memory and wipes and removes the
    /// environment's copy. Called first thing in `main`.
    static func takeFromEnvironment() {
        guard let raw = getenv("KITH_PASSPHRASE") else { return }
        let length = strlen(raw)
        var bytes = [UInt8](UnsafeRawBufferPointer(start: raw, count: length))
        memset(raw, 0, length)
        unsetenv("KITH_PASSPHRASE")
        defer { SecureBytes.wipe(&bytes) }
        fromEnvironment = try? SecureBytes(wiping: &bytes)
    }

    /// Reads a small file straight into one array (no intermediate Data
    /// that could not be wiped), sized up front so it never reallocates.
    private static func readWipeable(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KithVaultError.notFound("passphrase file \(path)") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let length = try buffer.withUnsafeMutableBytes { try FileDescriptorIO.readFull(fd, $0, what: "passphrase file \(path)") }
        guard length < buffer.count else {
            SecureBytes.wipe(&buffer)
            throw KithVaultError.invalidInput("\(path) is over 4 KiB; a passphrase file holds only the passphrase")
        }
        let out = Array(buffer[0..<length])
        SecureBytes.wipe(&buffer)
        return out  // the caller wipes it
    }

    /// One field value typed at the terminal, unseen (`--field NAME=-`), so
    /// it never appears in the process list or the shell's history.
    static func hiddenValue(_ label: String) throws -> String {
        let value = try prompt(label)
        return try value.withUnsafeBytes { bytes in
            guard let text = String(validating: bytes, as: UTF8.self) else { throw KithVaultError.invalidInput("the value typed is not UTF-8 text") }
            return text
        }
    }

    /// Reads one line from the terminal with echo off.
    private static func prompt(
        _ text: String, noTerminal: String = "no terminal to ask for the passphrase: use --passphrase-file FILE or KITH_PASSPHRASE"
    ) throws -> SecureBytes {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw KithVaultError.invalidInput(noTerminal) }
        defer { close(fd) }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        var saved = termios()
        let hasTerminal = tcgetattr(fd, &saved) == 0
        if hasTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer {
            if hasTerminal { tcsetattr(fd, TCSAFLUSH, &saved) }
            _ = Glibc.write(fd, "\n", 1)
        }
        var line: [UInt8] = []
        // Room for any passphrase up front: growing the array would leave
        // unwiped copies behind, so a longer line is refused, not grown.
        line.reserveCapacity(4096)
        defer { SecureBytes.wipe(&line) }
        var byte: UInt8 = 0
        while Glibc.read(fd, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            guard line.count < line.capacity else {
                byte = 0
                throw KithVaultError.invalidInput("the passphrase is over 4 KiB; use a shorter one")
            }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        byte = 0
        return try SecureBytes(wiping: &line)
    }
}

import ArgumentParser
import Dispatch
import Foundation
import KithVault
import KithWeb

/// `kith serve`: the web interface, on this computer only.
struct Serve: KithCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open Kith in your web browser, on this computer only, in Arabic or English.",
        discussion: """
            Starts a small web server for you alone, on 127.0.0.1 under a random \
            name ending in .localhost, and prints an \
            address to open in your browser. The address works once: it signs that \
            browser in, and nobody else (another account on this computer, a web \
            page elsewhere) can use it. Pages are in the browser's language, \
            Arabic or English, with a switch at the top.

            It signs and opens keys through your unlock agent, as every command \
            does, so unlock first. It stops when you press Lock on the page, run \
            'kith lock', or the agent locks itself after its idle time; Ctrl-C \
            here stops only the web interface and leaves you unlocked. Nothing is \
            written to disk, and nothing is logged but what every command logs \
            (every search and every read, as usual).

            Pages: find a person; a record with its fields, what is withheld, its \
            history, edits, and a case's notes; new records; a group's members and \
            roles (leads give and remove them); checking the log; your status (who \
            you are, the vault's fingerprint). docs/web.md says more.

            Examples:
              kith unlock
              kith serve
              kith serve --port 8750
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Listen on this port (1024 to 65535; default: a free port chosen for you).", valueName: "port"))
    var port: Int?

    func execute() throws {
        if let port, !(1024...65535).contains(port) {
            throw KithVaultError.invalidInput("--port must be between 1024 and 65535 (or leave it out for a free port)")
        }
        let identityPath = try global.identityPath()
        let keyfile = try IdentityKeyfile.load(path: identityPath)
        guard let agent = GlobalOptions.agent(for: keyfile) else {
            throw KithVaultError.accessDenied(
                "\(keyfile.handle.value) is locked, and the web interface works only through the unlock agent: run 'kith unlock' first, then 'kith serve'")
        }
        let socket = try AgentSocket.path(for: keyfile.identity.userID)
        // Open once here, so a wrong vault fails in the terminal rather than in the browser.
        let first = try global.openVault()
        let location = try global.vaultLocation().description
        let options = global
        nonisolated(unsafe) var opened: Vault? = first
        let idleLimit = agent.status.idleLimit
        let environment = WebEnvironment(
            open: {
                // The vault opened above serves the first request; later opens (after a failure) go through the agent again.
                if let vault = opened {
                    opened = nil
                    return vault
                }
                return try options.openVault()
            },
            isUnlocked: { FileManager.default.fileExists(atPath: socket) },
            lock: { _ = AgentClient.lockAny(socketPath: socket) },
            idleLimitSeconds: { idleLimit },
            vaultDescription: location)
        let (stopped, stop) = AsyncStream<Void>.makeStream()
        let app = try WebApp(
            environment: environment, sessions: try WebSessions(),
            onLocked: {
                stop.yield()
                // A connection that will not close (a browser that stopped reading a download) must not keep
                // this process, and what it holds in memory, alive after a lock: it ends in 5 s whatever happens.
                DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                    Output.say("kith serve: stopped; Kith is locked and the browser's session has ended.")
                    Foundation.exit(0)
                }
            },
            onSignIn: {
                // Said where the address was printed: if it was not you, this is how you learn it.
                let time = Timestamp.iso8601(millis: UInt64(Date().timeIntervalSince1970 * 1000)).prefix(19).replacingOccurrences(of: "T", with: " ")
                Output.error(
                    "kith serve: a browser signed in with the address at \(time) UTC; the address is now spent. If that was not you, press Lock or run 'kith lock' now.")
            })
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        let requested = port ?? 0
        Task {
            // The agent's socket goes when it locks (kith lock, its idle time): then so does every session.
            let watcher = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if !FileManager.default.fileExists(atPath: socket) { app.endSessions() }
                }
            }
            do {
                try await WebServer.run(
                    app: app, port: requested,
                    ready: { _ in
                        Self.announce(app.loginURL)
                    }, stop: stopped)
            } catch {
                failure = error
            }
            watcher.cancel()
            done.signal()
        }
        done.wait()
        if let failure {
            if requested != 0 {
                throw KithVaultError.storage("could not listen on 127.0.0.1 port \(requested) (\(failure)); choose another --port, or leave it out for a free one")
            }
            throw KithVaultError.storage("could not start the web interface: \(failure)")
        }
        Output.say("kith serve: stopped; Kith is locked and the browser's session has ended.")
    }

    /// Says where to go: on standard output, at once (a script may read it).
    static func announce(_ url: String) {
        let text = """
            Kith's web interface is ready. Open this address in your browser; it works once:

              \(url)

            It signs that browser in; nobody else on this computer, and no other web page, can use it.
            Lock with the button on the page or 'kith lock': that stops this too. Ctrl-C here stops
            only the web interface and leaves you unlocked.

            """
        // Written at once, unbuffered: whoever reads this through a pipe needs the address now.
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

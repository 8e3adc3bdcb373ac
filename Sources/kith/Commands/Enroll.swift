import ArgumentParser
import Foundation
import KithCrypto
import KithVault

#if canImport(Glibc)
    import Glibc
#endif

/// `kith enroll`: bringing people into the vault.
struct Enroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol people: request on their machine, approve on an admin's.",
        subcommands: [Request.self, Approve.self, List.self])

    struct Request: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make your identity and a request to join a vault (run on your own machine).",
            discussion: """
                Creates your identity keyfile (your private keys never leave this machine) and a \
                request file holding only public material, signed by you. Send the request file \
                to an admin, then read your key fingerprint to them by phone or in person.

                Example:
                  kith enroll request --identity alex.kithid --handle alex --out alex.request \\
                      --vault-fingerprint K7QM-2XVA-...
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "Your handle: how others will name you.")
        var handle: String
        @Option(help: ArgumentHelp("Where to write the request file.", valueName: "file"))
        var out: String
        @Option(help: ArgumentHelp("The fingerprint of the vault you were invited to (from its admin).", valueName: "fingerprint"))
        var vaultFingerprint: String?
        @OptionGroup var kdf: KDFOption
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let identityPath = try global.identityPath()
            let handle = try Handle(self.handle)
            let vault = try vaultFingerprint.map { try Fingerprint.parse($0) }
            let profile = try kdf.profile()
            for path in [identityPath, out] where FileManager.default.fileExists(atPath: path) {
                throw KithVaultError.invalidInput("\(path) already exists and was left untouched; choose another file name")
            }
            let passphrase = try Passphrase.read(options: global, confirm: true, for: handle.value)
            let identity = try UnlockedIdentity.generate()
            let request = try EnrollmentRequest.make(holder: identity, handle: handle, vaultFingerprint: vault)
            try IdentityKeyfile.seal(identity, handle: handle, vaultFingerprint: vault, passphrase: passphrase, profile: profile).write(to: identityPath)
            DeviceGuard.remembered.remember(identityPath)
            do {
                try Data(request.fileBytes).write(to: URL(fileURLWithPath: out), options: .withoutOverwriting)
            } catch {
                throw KithVaultError.storage("could not write \(out): \(error.localizedDescription)")
            }
            if output.json {
                try Output.json(["identity": identityPath, "request": out, "fingerprint": identity.identity.fingerprint])
                return
            }
            print("Identity: \(identityPath)")
            print("Request:  \(out) (public material only; send it to an admin)")
            print("Your key fingerprint: \(identity.identity.fingerprint)")
            print("Read it to the admin out of band so they can check the request is yours.")
        }
    }

    struct Approve: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol the person who made a request (admins).",
            discussion: """
                Checks the request's signatures and shows the requester's key fingerprint. \
                Compare it with what the person reads to you before approving. On a terminal \
                you are asked to confirm; in a script pass --yes after comparing.

                Example:
                  kith enroll approve alex.request --role user
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The request file.", valueName: "request"))
        var request: String
        @Option(help: "Vault-wide role: admin, auditor or user (leads and case workers are users with a group role).")
        var role: OrgRole
        @Flag(help: "Approve without asking (you compared the fingerprint another way).")
        var yes = false
        @OptionGroup var output: OutputOptions

        func execute() throws {
            let parsed = try EnrollmentRequest.load(path: request)
            let vault = try global.openVault()
            guard vault.state.users[vault.me]?.role == .admin else {
                throw KithVaultError.accessDenied("only an admin may enrol users")
            }
            Output.error("Request from \(Terminal.safe(parsed.handle.value))")
            Output.error("  key fingerprint: \(parsed.identity.fingerprint)")
            Output.error("Compare this with what \(Terminal.safe(parsed.handle.value)) reads to you.")
            if !yes {
                guard Terminal.inputIsTerminal else {
                    throw KithVaultError.invalidInput("not on a terminal: compare the fingerprint, then run again with --yes")
                }
                guard Terminal.confirm("Approve \(Terminal.safe(parsed.handle.value)) as \(role)?") else {
                    Output.error("Not approved; nothing was written.")
                    throw ExitCode(1)
                }
            }
            let user = try vault.approve(parsed, role: role)
            if output.json {
                try Output.json(user)
            } else {
                Output.say("Enrolled \(user.handle) as \(user.role).")
            }
            if role == .auditor && vault.state.auditKey == nil {
                Output.error(
                    "Ask \(user.handle) to run 'kith audit log' once now: it makes the vault's audit key, and each person's details (who, what, why) reach the auditors from their next write on.")
            }
        }
    }

    struct List: KithCommand {
        static let configuration = CommandConfiguration(
            abstract: "List enrolled users (handles are visible to enrolled users only).",
            discussion: "Example:\n  kith enroll list --json")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func execute() throws { try Self.show(try global.openVault().users(), json: output.json) }

        /// The listing `enroll list` and `user list` print.
        static func show(_ users: [UserInfo], json: Bool) throws {
            if json {
                try Output.json(users)
            } else {
                Output.table(
                    ["HANDLE", "ROLE", "ID", "KEY FINGERPRINT"],
                    users.map { [$0.handle, $0.removed ? "\($0.role) (removed)" : $0.role.description, $0.id.description, $0.fingerprint] })
            }
        }
    }
}

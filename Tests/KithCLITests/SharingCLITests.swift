import Foundation
@testable import KithSQLite
import GRDB
import KithCrypto
import Testing
@testable import KithVault

@Suite("kith share, revoke and policy as a lead runs them")
struct SharingCLITests {
    /// robin leads Trans Support; alex and sky are case workers, val a viewer;
    /// lee leads another group. Records with profile, notes and sensitive fields.
    func setUp() throws -> (CLIHarness, [String]) {
        let cli = try CLIHarness()
        try cli.setUp(users: [("robin", "user"), ("alex", "user"), ("sky", "user"), ("val", "user"), ("lee", "user")])
        for (group, lead) in [("Trans Support", "robin"), ("Food Bank", "lee")] {
            #expect(try cli.run(["group", "create", group], as: "ana").code == 0)
            #expect(try cli.run(["share", group, "--with", lead, "--role", "lead"], as: "ana").code == 0)
        }
        for (handle, role) in [("alex", "caseworker"), ("sky", "caseworker"), ("val", "viewer")] {
            let shared = try cli.run(["share", "Trans Support", "--with", handle, "--role", role], as: "robin")
            #expect(shared.code == 0, "\(shared.err)")
        }
        var ids: [String] = []
        for n in 0..<4 {
            ids.append(
                try cli.id(
                    cli.run(
                        [
                            "record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Person \(n)", "--field", "notes:need=need \(n)",
                            "--field", "sensitive:status=s\(n)", "--json",
                        ], as: "robin")))
        }
        return (cli, ids)
    }

    func fields(_ cli: CLIHarness, _ id: String, as user: String) throws -> [String: String]? {
        let shown = try cli.run(["record", "show", id, "--json"], as: user)
        guard shown.code == 0 else { return nil }
        return (try shown.json() as? [String: Any])?["fields"] as? [String: String]
    }

    func logTypes(_ cli: CLIHarness) throws -> [EntryType] {
        try SQLiteVaultStore(path: cli.vault).entries(from: 0).map { try LogEntry.decode($0).body.type }
    }

    @Test("revoke --rewrap and --reencrypt: the remaining members read everything; the log records start and completion", arguments: ["--rewrap", "--reencrypt"])
    func revokeModes(flag: String) throws {
        let (cli, ids) = try setUp()
        let revoked = try cli.run(["revoke", "Trans Support", "--from", "alex", flag], as: "robin")
        #expect(revoked.code == 0, "\(revoked.err)")
        #expect(revoked.out.contains("alex is no longer caseworker of Trans Support"))
        #expect(revoked.out.contains("4 of 4 record versions"))
        #expect(revoked.err.isEmpty, "no progress bar off a terminal")
        for id in ids {
            #expect(try fields(cli, id, as: "robin")?.count == 3)
            #expect(try fields(cli, id, as: "sky") == ["name": "Person \(ids.firstIndex(of: id) ?? 0)", "need": "need \(ids.firstIndex(of: id) ?? 0)"])
            #expect(try fields(cli, id, as: "val")?.keys.sorted() == ["name"])
            let denied = try cli.run(["record", "show", id], as: "alex")
            #expect(denied.code == 77)
            #expect(denied.err.contains("access denied: you have no role in group Trans Support"))
        }
        let types = try logTypes(cli)
        #expect(types.filter { $0 == .rekeyStarted }.count == 1)
        #expect(types.last(where: { $0 == .rekeyStarted || $0 == .rekeyCompleted }) == .rekeyCompleted)
    }

    @Test("an interrupted revoke --reencrypt is finished by running the same command again")
    func resume() throws {
        let (cli, ids) = try setUp()
        // Interrupt it through the library: two of four record versions re-encrypted, then "killed".
        var passphrase = Array("test-only passphrase of robin".utf8)
        let robin = try IdentityKeyfile.load(path: cli.path("robin.kithid")).unlock(passphrase: SecureBytes(wiping: &passphrase))
        let vault = try Vault(store: SQLiteVaultStore(path: cli.vault), holder: robin)
        vault.rekeyBatchSize = 2
        vault.rekeyStopAfterBatches = 1
        #expect(throws: KithVaultError.self) { _ = try vault.revoke(groupName: "Trans Support", from: "alex", mode: .reencrypt) }
        #expect(try logTypes(cli).last == .rekeyStarted)
        for id in ids { #expect(try fields(cli, id, as: "sky")?.count == 2) }

        let again = try cli.run(["revoke", "Trans Support", "--from", "alex", "--reencrypt"], as: "robin")
        #expect(again.code == 0, "\(again.err)")
        #expect(again.out.contains("2 of 4 record versions"))
        #expect(again.out.contains("finished an interrupted run"))
        #expect(try logTypes(cli).last == .rekeyCompleted)
        for id in ids { #expect(try fields(cli, id, as: "sky")?.count == 2) }
        // Without --rewrap/--reencrypt there is nothing left to do, and it says so.
        let plain = try cli.run(["revoke", "Trans Support", "--from", "alex"], as: "robin")
        #expect(plain.code == 64)
        #expect(plain.err.contains("alex has no role in Trans Support"))
    }

    @Test("policy show and set: a round trip through JSON; keys follow; bad files are named")
    func policy() throws {
        let (cli, ids) = try setUp()
        let shown = try cli.run(["policy", "show", "Trans Support"], as: "val")
        #expect(shown.code == 0)
        #expect(shown.out.contains("viewer      profile"))
        let json = try #require(try cli.run(["policy", "show", "Trans Support", "--json"], as: "robin").json() as? [String: Any])
        var roles = try #require(json["roles"] as? [String: [String: [String]]])
        #expect(roles["caseworker"] == ["read": ["notes", "profile"], "write": ["notes", "profile"]])

        roles["viewer"]?["read"] = ["notes", "profile"]
        let file = cli.path("policy.json")
        try JSONSerialization.data(withJSONObject: ["roles": roles]).write(to: URL(fileURLWithPath: file))
        #expect(try cli.run(["policy", "set", "Trans Support", file], as: "alex").code == 77)
        #expect(try cli.run(["policy", "set", "Trans Support", file], as: "lee").code == 77)
        let set = try cli.run(["policy", "set", "Trans Support", file], as: "robin")
        #expect(set.code == 0, "\(set.err)")
        #expect(try fields(cli, ids[0], as: "val")?.keys.sorted() == ["name", "need"])

        for (content, complaint) in [
            ("{\"roles\": {\"viewer\": {\"read\": [\"secrets\"], \"write\": []}}}", "unknown compartment \"secrets\""),
            ("{\"roles\": {\"viewer\": {\"read\": [], \"write\": []}}}", "does not say what lead may do"),
            ("{\"rolez\": {}}", "needs a \"roles\" object"),
            ("{\"roles\": {}, \"extra\": 1}", "unknown key \"extra\""),
            ("{\"roles\": {\"boss\": {\"read\": [], \"write\": []}}}", "unknown role \"boss\""),
            ("{\"roles\": {\"viewer\": {\"read\": []}}}", "must be {\"read\""),
            ("not json", "not valid JSON"),
        ] {
            try Data(content.utf8).write(to: URL(fileURLWithPath: file))
            let refused = try cli.run(["policy", "set", "Trans Support", file], as: "robin")
            #expect(refused.code == 64)
            #expect(refused.err.contains(complaint), "\(refused.err)")
        }
        #expect(try cli.run(["policy", "set", "Trans Support", cli.path("missing.json")], as: "robin").code == 66)
    }

    @Test("who may do what: viewers do not write, case workers do not grant, a lead has no power elsewhere, an admin reads nothing")
    func rights() throws {
        let (cli, ids) = try setUp()
        let write = try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=x"], as: "val")
        #expect(write.code == 77)
        #expect(write.err.contains("as viewer of Trans Support you may not write profile fields"))
        #expect(try cli.run(["record", "update", ids[0], "--field", "name=y"], as: "val").code == 77)
        #expect(try cli.run(["share", "Trans Support", "--with", "lee", "--role", "viewer"], as: "alex").code == 77)
        #expect(try cli.run(["revoke", "Trans Support", "--from", "val"], as: "alex").code == 77)
        for command in [
            ["share", "Trans Support", "--with", "lee", "--role", "viewer"], ["revoke", "Trans Support", "--from", "val"],
            ["group", "rekey", "Trans Support", "--rewrap"], ["record", "show", ids[0]],
        ] {
            let refused = try cli.run(command, as: "lee")
            #expect(refused.code == 77, "\(command): \(refused.err)")
        }
        let admin = try cli.run(["record", "show", ids[0]], as: "ana")
        #expect(admin.code == 77)
        #expect(admin.err.contains("no role in group Trans Support"))
        // The case worker sees no sensitive field, and is told it is withheld rather than erroring.
        let shown = try cli.run(["record", "show", ids[0]], as: "alex")
        #expect(shown.code == 0)
        #expect(shown.out.contains("withheld"))
        #expect(!shown.out.contains("s0"))
    }
}

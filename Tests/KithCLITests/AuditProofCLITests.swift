import Foundation
@testable import KithSQLite
import GRDB
import KithLog
import Testing
@testable import KithVault

/// Proofs, witnessing and the audit log through the built binary.
@Suite("kith audit proofs, witness and log")
struct AuditProofCLITests {
    func vault() throws -> CLIHarness { try CLIHarness.auditedVault() }

    func write(_ text: String, _ name: String, _ cli: CLIHarness) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: cli.path(name)))
        return cli.path(name)
    }

    @Test("prove prints a tlog-proof that verify-proof accepts offline; a changed hash, entry or key is refused")
    func inclusion() throws {
        let cli = try vault()
        let proof = try cli.run(["audit", "prove", "--entry", "2"], as: "kai")
        #expect(proof.code == 0, "\(proof.err)")
        #expect(proof.out.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
        let proofFile = try write(proof.out, "entry-2.tlog-proof", cli)
        let keysFile = try write(try cli.run(["audit", "keys"], as: "kai").out, "vault.vkeys", cli)

        // Offline: no vault, no identity. Nobody witnessed this checkpoint yet: refused, unless accepted knowingly.
        let unwitnessed = try cli.run(["audit", "verify-proof", proofFile, "--keys", keysFile], environment: ["KITH_VAULT": ""])
        #expect(unwitnessed.code == 65)
        #expect(unwitnessed.err.contains("cosigned by no witness"), "\(unwitnessed.err)")
        #expect(unwitnessed.err.contains("--allow-unwitnessed"))
        let accepted = try cli.run(["audit", "verify-proof", proofFile, "--keys", keysFile, "--allow-unwitnessed"], environment: ["KITH_VAULT": ""])
        #expect(accepted.code == 0, "\(accepted.err)")
        #expect(accepted.out.contains("NO WITNESS vouches"))
        #expect(accepted.out.contains("NOT WITNESSED"))
        // Once an auditor witnessed the log, the same kind of proof holds and names who signed.
        #expect(try cli.run(["audit", "witness"], as: "kai").code == 0)
        let witnessedFile = try write(try cli.run(["audit", "prove", "--entry", "2"], as: "kai").out, "witnessed.tlog-proof", cli)
        let witnessedKeys = try write(try cli.run(["audit", "keys"], as: "kai").out, "vault2.vkeys", cli)
        let checked = try cli.run(["audit", "verify-proof", witnessedFile, "--keys", witnessedKeys], environment: ["KITH_VAULT": ""])
        #expect(checked.code == 0, "\(checked.err)")
        #expect(checked.out.hasPrefix("The proof holds."))
        #expect(checked.out.contains("Entry 2 (user enrolled"))
        #expect(checked.out.contains("cosigned by 1 witness"))
        #expect(checked.out.contains("The entry is signed by its author, user"))
        let noKeys = try cli.run(["audit", "verify-proof", proofFile], environment: ["KITH_VAULT": ""])
        #expect(noKeys.code == 64)
        let unsigned = try cli.run(["audit", "verify-proof", proofFile, "--hashes-only"], environment: ["KITH_VAULT": ""])
        #expect(unsigned.code == 0)
        #expect(unsigned.out.hasPrefix("The proof's hashes hold. Its signatures and witnesses were NOT checked"))
        // The proof given as the keys file: a mix-up (64) that says which file is wrong, not tampering (65).
        let mixedUp = try cli.run(["audit", "verify-proof", witnessedFile, "--keys", witnessedFile], environment: ["KITH_VAULT": ""])
        #expect(mixedUp.code == 64)
        #expect(mixedUp.err.contains("the keys file is not one 'kith audit keys' wrote"))

        // A changed proof hash, a changed entry, and someone else's keys.
        var lines = proof.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let hashLine = try #require(lines.firstIndex { $0.hasPrefix("index ") }) + 1
        var hash = try #require(Data(base64Encoded: lines[hashLine]))
        hash[0] ^= 1
        lines[hashLine] = hash.base64EncodedString()
        let badHash = try cli.run(["audit", "verify-proof", write(lines.joined(separator: "\n"), "bad-hash", cli), "--hashes-only"])
        #expect(badHash.code == 65)
        #expect(badHash.err.contains("does not verify"))
        let otherEntry = try cli.run(["audit", "prove", "--entry", "3"], as: "kai").out
        let swapped = proof.out.replacingOccurrences(of: String(proof.out.split(separator: "\n")[1]), with: String(otherEntry.split(separator: "\n")[1]))
        #expect(try cli.run(["audit", "verify-proof", write(swapped, "swapped", cli), "--hashes-only"]).code == 65)
        let stranger = try CLIHarness()
        try stranger.setUp(users: [])
        let strangerKeys = try write(try stranger.run(["audit", "keys"], as: "ana").out, "stranger.vkeys", cli)
        let wrongKeys = try cli.run(["audit", "verify-proof", witnessedFile, "--keys", strangerKeys])
        #expect(wrongKeys.code == 65)
        #expect(wrongKeys.err.contains("the keys given are for the vault"))

        // JSON needs the checkpoint it is about; an index past the checkpoint is a usage error.
        let json = try cli.run(["audit", "prove", "--entry", "2", "--json"], as: "kai")
        let object = try #require(try json.json() as? [String: Any])
        #expect(Set(object.keys) == ["leaf_index", "tree_size", "leaf_hash", "root", "proof"])
        let jsonFile = try write(json.out, "entry-2.json", cli)
        #expect(try cli.run(["audit", "verify-proof", jsonFile, "--hashes-only"]).code == 64)
        let checkpointFile = try write(try cli.run(["audit", "checkpoint"]).out, "now.checkpoint", cli)
        #expect(try cli.run(["audit", "verify-proof", jsonFile, "--checkpoint", checkpointFile, "--keys", keysFile]).code == 0)
        let beyond = try cli.run(["audit", "prove", "--entry", "999"], as: "kai")
        #expect(beyond.code == 64)
        #expect(beyond.err.contains("choose an entry below"))
        #expect(try cli.run(["audit", "verify-proof", write("hello\n", "junk", cli), "--hashes-only"]).code == 65)
    }

    @Test("an auditor with an unlocked identity gets the same proofs from the resumed log, with no full replay")
    func resumedProofs() throws {
        let cli = try vault()
        for number in 1...30 {
            #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=M\(number)"], as: "robin").code == 0)
        }
        let plain = try cli.run(["audit", "prove", "--entry", "3"], as: "kai")
        #expect(plain.code == 0, "\(plain.err)")
        let identity = ["--identity", cli.path("kai.kithid")]
        // The auditor's first identity command pins the keyfile; then the agent can serve it.
        #expect(try cli.run(["audit", "log"], as: "kai").code == 0)
        #expect(try cli.run(["unlock", "--for", "10m"], as: "kai").code == 0)
        defer { _ = try? cli.run(["lock"] + identity) }
        // Opened once (resume cache written), then robin writes more, then the proof.
        #expect(try cli.run(["audit", "keys"] + identity).code == 0)
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Later"], as: "robin").code == 0)
        let resumed = try cli.run(["audit", "prove", "--entry", "3", "--verbose"] + identity)
        #expect(resumed.code == 0, "\(resumed.err)")
        #expect(resumed.err.contains("resumed from this client's cache"), "\(resumed.err)")
        let again = try cli.run(["audit", "prove", "--entry", "3"], as: "kai")
        #expect(resumed.out == again.out)
        #expect(resumed.out != plain.out)  // the newest checkpoint moved with robin's write
        let consistency = try cli.run(["audit", "consistency", "--from", try write(try cli.run(["audit", "checkpoint"] + identity).out, "now.checkpoint", cli)] + identity)
        #expect(consistency.code == 0, "\(consistency.err)")
    }

    @Test("consistency proves an old checkpoint is the start of the newest; a fork's checkpoint is refused")
    func consistency() throws {
        let cli = try vault()
        let old = try write(try cli.run(["audit", "checkpoint"]).out, "old.checkpoint", cli)
        let fork = try cli.copyVault(to: "fork.kith")
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Ada"], as: "robin").code == 0)
        let proof = try cli.run(["audit", "consistency", "--from", old])
        #expect(proof.code == 0, "\(proof.err)")
        let object = try #require(try proof.json() as? [String: Any])
        #expect(Set(object.keys) == ["size1", "size2", "root1", "root2", "proof"])
        let proofFile = try write(proof.out, "consistency.json", cli)
        let new = try write(try cli.run(["audit", "checkpoint"]).out, "new.checkpoint", cli)
        let checked = try cli.run(["audit", "verify-proof", proofFile, "--checkpoint", old, "--checkpoint", new, "--hashes-only"])
        #expect(checked.code == 0, "\(checked.err)")
        #expect(checked.out.contains("nothing in it was changed or removed"))

        // The same writer, on the forked copy (another machine's memory), writes something else at the same position.
        let forked = try cli.run(
            ["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Eve", "--vault", fork], as: "robin",
            environment: ["KITH_STATE_DIR": cli.path("other-state")])
        #expect(forked.code == 0, "\(forked.err)")
        // This machine verified the real log before: the fork is refused here, and its checkpoint is read elsewhere.
        let here = try cli.run(["audit", "verify", "--vault", fork])
        #expect(here.code == 65)
        #expect(here.out.contains("(a fork)"))
        let elsewhere = ["KITH_STATE_DIR": cli.path("other-state")]
        let forkCheckpoint = try write(try cli.run(["audit", "checkpoint", "--vault", fork], environment: elsewhere).out, "fork.checkpoint", cli)
        let refused = try cli.run(["audit", "consistency", "--from", old, "--to", forkCheckpoint])
        #expect(refused.code == 65)
        #expect(refused.err.contains("fork"))
        let mixed = try cli.run(["audit", "verify-proof", proofFile, "--checkpoint", forkCheckpoint, "--hashes-only"])
        #expect(mixed.code == 65)
        #expect(mixed.err.contains("fork"))
    }

    @Test("verify resumes from what it verified; --full checks all again; --from-checkpoint resumes from a kept file")
    func resume() throws {
        let cli = try vault()
        func resumed(_ extra: [String]) throws -> Int? {
            let report = try #require(try cli.run(["audit", "verify", "--json"] + extra).json() as? [String: Any])
            #expect(report["valid"] as? Bool == true)
            return report["resumed_from"] as? Int
        }
        #expect(try resumed([]) == 0)
        let kept = try write(try cli.run(["audit", "checkpoint"]).out, "kept.checkpoint", cli)
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Ada"], as: "robin").code == 0)
        let size = try Checkpoint(text: SignedNote(parsing: String(contentsOfFile: kept, encoding: .utf8)).text).size
        #expect(try resumed([]) == Int(size))
        #expect(try resumed(["--full"]) == 0)
        #expect(try resumed(["--from-checkpoint", kept]) == Int(size))
        let both = try cli.run(["audit", "verify", "--full", "--from-checkpoint", kept])
        #expect(both.code == 64)
        #expect(both.err.contains("contradict"))
    }

    @Test("witness cosigns, counts show in verify, and a witness refuses a fork even with its open-time memory gone")
    func witness() throws {
        let cli = try vault()
        let fork = try cli.copyVault(to: "fork.kith")
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Ada"], as: "robin").code == 0)

        let first = try cli.run(["audit", "witness"], as: "kai")
        #expect(first.code == 0, "\(first.err)")
        #expect(first.out.contains("(your first)"))
        let again = try cli.run(["audit", "witness"], as: "kai")
        #expect(again.out.contains("already witnessed"))
        let report = try #require(try cli.run(["audit", "verify", "--json"]).json() as? [String: Any])
        let witnessed = try #require(report["witnessed_checkpoint"] as? [String: Any])
        #expect(witnessed["witnesses"] as? Int == 1)
        let checkpoint = try cli.run(["audit", "checkpoint"])
        #expect(checkpoint.err.contains("1 witness"))
        let keys = try VerifierKeys.parse(try cli.run(["audit", "keys"], as: "kai").out).noteKeys
        #expect(try SignedNote(parsing: checkpoint.out).verify(trusted: keys).count == 2)

        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Bo"], as: "robin").code == 0)
        let extended = try cli.run(["audit", "witness"], as: "kai")
        #expect(extended.out.contains("extends the one you cosigned"))
        #expect(try cli.run(["audit", "witness"], as: "robin").code == 77)

        // A fork of the same length on another machine; kai's open-time memory is lost, the witnessed one is not.
        for name in ["Eve", "Mo", "Jo"] {
            let forked = try cli.run(
                ["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=\(name)", "--vault", fork], as: "robin",
                environment: ["KITH_STATE_DIR": cli.path("other-state")])
            #expect(forked.code == 0, "\(forked.err)")
        }
        let state = cli.path("state")
        for file in try FileManager.default.subpathsOfDirectory(atPath: state) where file.hasSuffix(".checkpoint") {
            try FileManager.default.removeItem(atPath: state + "/" + file)
        }
        let refused = try cli.run(["audit", "witness", "--vault", fork], as: "kai")
        #expect(refused.code == 65)
        #expect(refused.err.contains("not consistent with the one you cosigned"))
        let forkNote = try SignedNote(parsing: #require(try SQLiteVaultStore(path: fork).latestCheckpoint()))
        #expect(forkNote.signatures.count == 1)
    }

    @Test("audit log: public part for everyone, details for auditors (the past too, once shared), filters")
    func log() throws {
        let cli = try vault()
        // kai's first run makes the audit key; robin's details, written before it, are still sealed to robin's own key.
        let after = try #require(try cli.run(["audit", "log", "--json"], as: "kai").json() as? [[String: Any]])
        let robinID = try #require(after.first { $0["actor"] as? String == "robin" }?["actor_id"] as? String)
        #expect(after.last?["type"] as? String == "audit-key-shared")
        let robinsWrite = try #require(after.first { $0["type"] as? String == "record-written" })
        #expect(robinsWrite["details"] is NSNull)

        // robin writes again: the client seals robin's detail key to the audit key, and the past opens.
        #expect(try cli.run(["record", "add", "--group", "Trans Support", "--kind", "member", "--field", "name=Ada"], as: "robin").code == 0)
        let opened = try #require(try cli.run(["audit", "log", "--json", "--actor", "robin"], as: "kai").json() as? [[String: Any]])
        #expect(opened.allSatisfy { $0["actor_id"] as? String == robinID })
        #expect(opened.contains { $0["type"] as? String == "detail-key-sealed" })
        let firstWrite = try #require(opened.first { $0["type"] as? String == "record-written" })
        let details = try #require(firstWrite["details"] as? [String: String])
        #expect(details["fields"] == "name")

        // Others see the public part; their own details, but not anyone else's.
        let asRobin = try #require(try cli.run(["audit", "log", "--json"], as: "robin").json() as? [[String: Any]])
        #expect(asRobin.first { $0["actor"] as? String == "ana" && $0["type"] as? String == "group-created" }?["details"] is NSNull)
        #expect(asRobin.first { $0["actor"] as? String == "robin" && $0["type"] as? String == "record-written" }?["details"] is [String: String])
        let plain = try cli.run(["audit", "log"], as: "robin")
        #expect(plain.out.contains("created group Trans Support"))
        #expect(plain.err.contains("sealed to auditors"))

        let writes = try #require(try cli.run(["audit", "log", "--json", "--type", "record-written"], as: "kai").json() as? [[String: Any]])
        #expect(writes.count == 2)
        let record = try #require(writes.first?["summary"] as? String).split(separator: " ")[2]
        let aboutRecord = try #require(try cli.run(["audit", "log", "--json", "--record", String(record)], as: "kai").json() as? [[String: Any]])
        #expect(aboutRecord.count == 1)
        #expect(try #require(try cli.run(["audit", "log", "--json", "--since", "2099-01-01"], as: "kai").json() as? [Any]).isEmpty)
        #expect(try #require(try cli.run(["audit", "log", "--json", "--since", "1h"], as: "kai").json() as? [Any]).count == after.count + 2)
        for bad in [["--type", "record-eaten"], ["--since", "last tuesday"], ["--record", "xyz"]] {
            let refused = try cli.run(["audit", "log"] + bad, as: "kai")
            #expect(refused.code == 64, "\(bad)")
        }
        #expect(try cli.run(["audit", "log", "--actor", "nobody"], as: "kai").code == 66)
    }
}

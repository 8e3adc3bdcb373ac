import Foundation
import KithCrypto
import Testing
@testable import KithLog

@Suite("C2SP signed notes, checkpoints and cosignatures")
struct NoteTests {
    static let exampleVKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    static let exampleNote = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

    @Test("the signed-note spec's example: the verifier key parses and verifies the example note")
    func specExample() throws {
        let key = try NoteVerifierKey(vkey: Self.exampleVKey)
        #expect(key.name == "example.com/foo")
        #expect(key.keyID == 0x530d903a)
        #expect(key.vkey == Self.exampleVKey)
        let note = try SignedNote(parsing: Self.exampleNote)
        #expect(note.text == "This is an example message.\n")
        #expect(note.encoded == Self.exampleNote)
        #expect(try note.verify(trusted: [key]) == [key])
        // One changed character of the text and the known key's signature fails.
        let altered = try SignedNote(parsing: Self.exampleNote.replacingOccurrences(of: "example message", with: "exampel message"))
        #expect(throws: KithLogError.self) { try altered.verify(trusted: [key]) }
        // A key nobody trusts is ignored, and then no trusted signature is left.
        let stranger = try NoteVerifierKey(name: "example.com/bar", type: NoteVerifierKey.ed25519, key: SigningKeyPair().publicKey)
        #expect(throws: KithLogError.self) { try note.verify(trusted: [stranger]) }
    }

    @Test("checkpoints are written and read per tlog-checkpoint; signatures and cosignatures verify per spec")
    func checkpoints() throws {
        let log = try SigningKeyPair(), witness = try SigningKeyPair()
        let logKey = try NoteVerifierKey(name: "kith/vault-test", type: NoteVerifierKey.ed25519, key: log.publicKey)
        let witnessKey = try NoteVerifierKey(name: "auditor.kith/kai", type: NoteVerifierKey.cosignature, key: witness.publicKey)
        let checkpoint = try Checkpoint(origin: "kith/vault-test", size: 20_852_163, root: [UInt8](repeating: 7, count: 32))
        #expect(checkpoint.text == "kith/vault-test\n20852163\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n")
        #expect(try Checkpoint(text: checkpoint.text) == checkpoint)
        var note = try SignedNote(text: checkpoint.text)
        try note.sign(as: logKey) { try log.sign($0) }
        try note.cosign(as: witnessKey, timestamp: 1_679_315_147) { try witness.sign($0) }
        let parsed = try SignedNote(parsing: note.encoded)
        #expect(parsed == note)
        #expect(try parsed.verify(trusted: [logKey, witnessKey]).count == 2)
        #expect(SignedNote.cosignatureTime(parsed.signatures[1]) == 1_679_315_147)
        // The cosigned message is exactly the spec's: header, time line, note text.
        let message = String(decoding: SignedNote.cosignedMessage(text: checkpoint.text, timestamp: 1_679_315_147), as: UTF8.self)
        #expect(message == "cosignature/v1\ntime 1679315147\nkith/vault-test\n20852163\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n")
        // A cosignature key id uses type 0x04, so the same key as a log key would have another id.
        let sameKeyAsLog = try NoteVerifierKey(name: "auditor.kith/kai", type: NoteVerifierKey.ed25519, key: witness.publicKey)
        #expect(sameKeyAsLog.keyID != witnessKey.keyID)
    }

    @Test(
        "malformed checkpoints, notes and keys are refused",
        arguments: [
            "kith/v\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "kith/v\n1\nnot base64\n", "kith/v\n1\n", "kith/v\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
            "kith/v\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", "kith/v\n1\nBwcHBwcH\n", "\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        ])
    func malformedCheckpoint(text: String) {
        #expect(throws: KithLogError.self) { _ = try Checkpoint(text: text) }
    }

    @Test("malformed notes and verifier keys are refused")
    func malformedNotes() {
        for raw in [
            "text\n", "text\n\n", "text\n\n\u{2014} name\n", "text\n\n- name AAAAAAAA\n", "text\n\n\u{2014} na me AAAAAAAA\n",
            "te\u{1}xt\n\n\u{2014} name AAAAAAAAAA==\n", "text\n\n\u{2014} name AAAA\n",
        ] {
            #expect(throws: KithLogError.self) { _ = try SignedNote(parsing: raw) }
        }
        for vkey in ["example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "example.com/foo+530d903a", "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"] {
            #expect(throws: KithLogError.self) { _ = try NoteVerifierKey(vkey: vkey) }
        }
    }
}

@Suite("Verifier keys whose base64 holds '+'")
struct VKeyPlusTests {
    @Test("a key whose encoding contains '+' round-trips")
    func plusInBase64() throws {
        var found = 0
        for _ in 0..<64 {
            let key = try NoteVerifierKey(name: "kith/test", type: NoteVerifierKey.ed25519, key: SigningKeyPair().publicKey)
            guard key.vkey.split(separator: "+").count > 3 else { continue }
            found += 1
            #expect(try NoteVerifierKey(vkey: key.vkey) == key)
        }
        #expect(found > 0)
    }
}

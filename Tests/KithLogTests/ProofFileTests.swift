import Foundation
import KithCrypto
import Testing
@testable import KithLog

@Suite("Proof files: JSON and C2SP tlog-proof")
struct ProofFileTests {
    static func tree(_ size: Int) -> MerkleTree {
        MerkleTree(leafHashes: (0..<size).map { MerkleHash.leaf(Array("entry \($0)".utf8)) })
    }

    static func signedNote(_ tree: MerkleTree, size: UInt64) throws -> (SignedNote, NoteVerifierKey) {
        let pair = try SigningKeyPair()
        let key = try NoteVerifierKey(name: "example.org/log", type: NoteVerifierKey.ed25519, key: pair.publicKey)
        var note = try SignedNote(text: Checkpoint(origin: "example.org/log", size: size, root: tree.root(size: size)).text)
        try note.sign(as: key) { try pair.sign($0) }
        return (note, key)
    }

    @Test("inclusion and consistency proofs survive their JSON form and still verify", arguments: [1, 2, 7, 64, 100])
    func jsonRoundTrip(size: Int) throws {
        let tree = Self.tree(size)
        for index in [0, size / 2, size - 1].map(UInt64.init) {
            let proof = InclusionProof(
                leafIndex: index, treeSize: UInt64(size), leafHash: try tree.leafHash(index), root: try tree.root(),
                hashes: try tree.inclusionProof(index: index, size: UInt64(size)))
            let read = try InclusionProof(json: Array(proof.json.utf8))
            #expect(read == proof)
            try read.verify()
        }
        let old = UInt64(max(1, size / 3))
        let consistency = ConsistencyProof(
            size1: old, size2: UInt64(size), root1: try tree.root(size: old), root2: try tree.root(),
            hashes: try tree.consistencyProof(from: old, to: UInt64(size)))
        let read = try ConsistencyProof(json: Array(consistency.json.utf8))
        #expect(read == consistency)
        try read.verify()
    }

    @Test(
        "JSON proofs are read strictly",
        arguments: [
            #"{"leaf_index":0,"tree_size":1,"leaf_hash":"H","root":"H","proof":[],"extra":1}"#,  // unknown key
            #"{"leaf_index":0,"tree_size":1,"leaf_hash":"H","root":"H"}"#,  // missing key
            #"{"leaf_index":true,"tree_size":1,"leaf_hash":"H","root":"H","proof":[]}"#,  // a boolean is not a number
            #"{"leaf_index":0.5,"tree_size":1,"leaf_hash":"H","root":"H","proof":[]}"#,  // nor a fraction
            #"{"leaf_index":"0","tree_size":1,"leaf_hash":"H","root":"H","proof":[]}"#,  // nor a string
            #"{"leaf_index":-1,"tree_size":1,"leaf_hash":"H","root":"H","proof":[]}"#,  // nor a negative
            #"{"leaf_index":0,"tree_size":1,"leaf_hash":"AAAA","root":"H","proof":[]}"#,  // a hash of 3 bytes
            #"{"leaf_index":0,"tree_size":1,"leaf_hash":"H","root":"H","proof":["not base64!"]}"#,
            #"[1,2,3]"#, "not json",
        ])
    func strictJSON(text: String) throws {
        let hash = Data(repeating: 7, count: 32).base64EncodedString()
        let json = text.replacingOccurrences(of: "\"H\"", with: "\"\(hash)\"")
        #expect(throws: KithLogError.self) { try InclusionProof(json: Array(json.utf8)) }
    }

    @Test("a well-formed JSON proof with valid numbers parses")
    func validJSON() throws {
        let hash = Data(repeating: 7, count: 32).base64EncodedString()
        let proof = try InclusionProof(json: Array(#"{"leaf_index":0,"tree_size":1,"leaf_hash":"\#(hash)","root":"\#(hash)","proof":[]}"#.utf8))
        #expect(proof.leafIndex == 0 && proof.treeSize == 1)
        try proof.verify()
    }

    @Test("a tlog-proof prints in the C2SP form and parses back; extra data is optional")
    func tlogRoundTrip() throws {
        let tree = Self.tree(13)
        let (note, key) = try Self.signedNote(tree, size: 13)
        for extra in [nil, Array("entry 5".utf8)] {
            let proof = TlogProof(extra: extra, index: 5, hashes: try tree.inclusionProof(index: 5, size: 13), note: note)
            let lines = proof.text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[0] == "c2sp.org/tlog-proof@v1")
            #expect(lines[extra == nil ? 1 : 2] == "index 5")
            let read = try TlogProof(parsing: proof.text)
            #expect(read == proof)
            try read.inclusionProof(leafHash: tree.leafHash(5)).verify()
            #expect(try read.note.verify(trusted: [key]) == [key])
        }
    }

    @Test("malformed tlog-proofs are refused", arguments: ["header", "index07", "noblank", "badhash", "badextra", "noindex"])
    func tlogMalformed(damage: String) throws {
        let tree = Self.tree(4)
        let (note, _) = try Self.signedNote(tree, size: 4)
        var text = TlogProof(extra: [1, 2], index: 1, hashes: try tree.inclusionProof(index: 1, size: 4), note: note).text
        switch damage {
        case "header": text = text.replacingOccurrences(of: "tlog-proof@v1", with: "tlog-proof@v2")
        case "index07": text = text.replacingOccurrences(of: "index 1", with: "index 01")
        case "noblank": text = text.replacingOccurrences(of: "\n\n", with: "\n")
        case "badhash": text = text.replacingOccurrences(of: "index 1\n", with: "index 1\nAAAA\n")
        case "badextra": text = text.replacingOccurrences(of: "extra AQI=", with: "extra AQI")
        default: text = text.replacingOccurrences(of: "index 1\n", with: "")
        }
        #expect(throws: KithLogError.self) { try TlogProof(parsing: text) }
    }
}

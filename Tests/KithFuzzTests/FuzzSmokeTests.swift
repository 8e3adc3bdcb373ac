import Foundation
import KithFuzzTargets
import Testing

/// The fuzz targets in every `make test`: each replays the committed corpus
/// (seeds from a built vault and from the frozen known-answer vaults) and
/// every saved regression, then a fixed, seeded run of mutations. Nothing
/// may trap or break a property; libFuzzer's long runs are `make fuzz`.
@Suite("Fuzz smoke run")
struct FuzzSmokeTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        let place = fuzzFolder.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: place.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
            FileManager.default.contents(atPath: place.appendingPathComponent(name).path).map { (name, Array($0)) }
        }
    }

    @Test("every seed and saved regression is refused or accepted, never a finding, and some seeds decode", arguments: FuzzTarget.allCases)
    func corpus(target: FuzzTarget) {
        let seeds = Self.inputs("corpus", target)
        #expect(!seeds.isEmpty, "Fuzz/corpus/\(target.rawValue) has no seeds: run scripts/fuzz-seeds.py and the seed writer")
        var accepted = 0
        for (name, bytes) in seeds + Self.inputs("regressions", target) {
            let outcome = target.check(bytes)
            #expect(outcome == .refused || outcome == .accepted, "\(target.rawValue)/\(name): \(outcome)")
            if outcome == .accepted { accepted += 1 }
        }
        // Seeds that all fail to decode would let the fuzzer wander in the first few bytes.
        #expect(accepted > 0, "no seed of \(target.rawValue) decodes")
    }

    @Test("a seeded run of mutations finds nothing", arguments: FuzzTarget.allCases)
    func mutations(target: FuzzTarget) {
        let seeds = Self.inputs("corpus", target).map(\.bytes)
        guard !seeds.isEmpty else { return }
        var mutator = Mutator(seed: UInt64(target.rawValue.utf8.reduce(5381) { $0 &* 33 &+ Int($1) } & 0x7FFF_FFFF))
        var outcomes: [FuzzOutcome: Int] = [:]
        for _ in 0..<1500 {
            let input = mutator.mutate(seeds, limit: target.maximumLength)
            let outcome = target.check(input)
            if case .finding = outcome {
                Issue.record("\(outcome) for input \(input.map { String(format: "%02x", $0) }.joined())")
                return
            }
            outcomes[outcome, default: 0] += 1
        }
        // A mutator that only ever made garbage would test nothing past the first check.
        #expect(outcomes[.refused, default: 0] > 0)
    }

    @Test("the mutator is deterministic and changes its input")
    func mutatorChanges() {
        var first = Mutator(seed: 7)
        var second = Mutator(seed: 7)
        let seeds: [[UInt8]] = [Array("name=Sam".utf8)]
        let a = (0..<20).map { _ in first.mutate(seeds, limit: 64) }
        let b = (0..<20).map { _ in second.mutate(seeds, limit: 64) }
        #expect(a == b)
        #expect(a.contains { $0 != seeds[0] })
    }
}

extension FuzzOutcome: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .refused: hasher.combine(0)
        case .accepted: hasher.combine(1)
        case .finding(let finding): hasher.combine(finding.description)
        }
    }
}

/// libFuzzer's simpler mutations, from a fixed seed so a failure repeats:
/// bit flips, byte changes, interesting values, inserts, deletes, cuts,
/// repeated pieces, and splices of two seeds.
struct Mutator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }

    mutating func mutate(_ seeds: [[UInt8]], limit: Int) -> [UInt8] {
        var bytes = seeds[below(seeds.count)]
        for _ in 0...below(4) {
            let at = below(bytes.count)
            switch below(8) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << below(8))
            case 1 where !bytes.isEmpty: bytes[at] = UInt8(truncatingIfNeeded: next())
            case 2 where !bytes.isEmpty: bytes[at] = [0, 1, 0x7F, 0x80, 0xFF, 0x0A, 0x22, 0x2C][below(8)]
            case 3: bytes.insert(contentsOf: (0..<1 + below(8)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
            case 4 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(16)))
            case 5: bytes = Array(bytes.prefix(at))
            case 6 where !bytes.isEmpty:
                let piece = bytes[at..<min(bytes.count, at + 1 + below(32))]
                bytes.insert(contentsOf: piece, at: below(bytes.count))
            case 7:
                let other = seeds[below(seeds.count)]
                bytes = Array(bytes.prefix(at)) + other.suffix(from: min(other.count, below(other.count)))
            default:
                // Four bytes of a length field set large (or to zero).
                if bytes.count >= 4 { bytes.replaceSubrange(at..<min(bytes.count, at + 4), with: [0xFF, 0xFF, 0xFF, UInt8(below(2))].prefix(min(4, bytes.count - at))) }
            }
        }
        return Array(bytes.prefix(limit))
    }
}

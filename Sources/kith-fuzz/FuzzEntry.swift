import Foundation
import KithFuzzTargets

// Built two ways. `make fuzz` builds with -sanitize=fuzzer,address and
// KITH_LIBFUZZER: libFuzzer supplies main and calls the entry point below
// with each input, for the target named by KITH_FUZZ_TARGET. An ordinary
// build has the @main replayer instead, for saved inputs and crash files.

/// The target this process fuzzes, read once from the environment.
let fuzzedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["KITH_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("kith-fuzz: set KITH_FUZZ_TARGET to one of: \(known)\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point: a finding aborts, so libFuzzer saves the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    if case .finding(let finding) = fuzzedTarget.check(bytes) {
        FileHandle.standardError.write(Data("kith-fuzz finding: \(finding)\n".utf8))
        abort()
    }
    return 0
}

#if !KITH_LIBFUZZER
    /// Replays saved inputs: `kith-fuzz list`, or `kith-fuzz TARGET PATH...`
    /// where each path is a file or a folder of files.
    @main
    struct Replayer {
        static func main() {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments == ["list"] {
                for target in FuzzTarget.allCases { print(target.rawValue, target.maximumLength) }
                return
            }
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(Data("usage: kith-fuzz list | kith-fuzz TARGET FILE-OR-FOLDER...\ntargets: \(known)\n".utf8))
                exit(64)
            }
            var replayed = 0
            for path in arguments.dropFirst() {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        FileHandle.standardError.write(Data("kith-fuzz: cannot read \(file)\n".utf8))
                        exit(66)
                    }
                    if case .finding(let finding) = target.check(Array(data)) {
                        print("\(file): \(finding)")
                        exit(1)
                    }
                    replayed += 1
                }
            }
            print("\(target.rawValue): \(replayed) inputs, no finding")
        }

        static func files(at path: String) -> [String] {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
        }
    }
#endif

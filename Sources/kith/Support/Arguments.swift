import ArgumentParser
import KithCrypto
import KithVault

// Fixed sets of values are parsed by swift-argument-parser itself, so a
// wrong value gets its usual error (exit 64) listing the right ones, and
// --help and shell completion show them. Each name is spelled once, by the
// library's `description` (NamedCase).

extension OrgRole: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

extension GroupRole: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

extension RecordKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

extension CSVDelimiter: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension Argon2idProfile: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// The group a command is about: `kith retention show GROUP`, or
/// `--group GROUP` as the record commands take it.
struct GroupArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The group (or give it with --group).", valueName: "group"))
    var positional: String?
    @Option(name: .customLong("group"), help: "The group.")
    var option: String?

    func group() throws -> String {
        switch (positional, option) {
        case (let name?, nil), (nil, let name?): return name
        case (let first?, let second?) where first == second: return first
        case (.some, .some): throw KithVaultError.invalidInput("two groups were named; give the group once, as GROUP or --group GROUP")
        case (nil, nil): throw KithVaultError.invalidInput("name the group, as GROUP or --group GROUP (see kith group list)")
        }
    }
}

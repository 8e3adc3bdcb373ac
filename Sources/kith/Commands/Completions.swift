import ArgumentParser

/// `kith completions`: tab completion for the shell.
struct Completions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the tab-completion script for bash, zsh or fish.",
        discussion: """
            Examples:
              kith completions bash > ~/.local/share/bash-completion/completions/kith
              kith completions zsh > "${fpath[1]}/_kith"
              kith completions fish > ~/.config/fish/completions/kith.fish
            """)

    @Argument(help: ArgumentHelp("bash, zsh or fish.", valueName: "shell"))
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else {
            throw ValidationError("'\(shell)' is not a shell kith has completions for: use bash, zsh or fish")
        }
    }

    func run() throws {
        guard let shell = CompletionShell(rawValue: shell) else { throw ExitCode(64) }
        print(Kith.completionScript(for: shell))
    }
}

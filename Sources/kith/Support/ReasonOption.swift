import ArgumentParser
import KithVault

/// `--reason`: why the person reads, sealed to auditors with every read the
/// command makes; a group's policy may ask for one.
struct ReasonOption: ParsableArguments {
    @Option(help: ArgumentHelp("Why you are reading this (sealed to auditors with the read); some groups ask for one.", valueName: "text"))
    var reason: String?

    /// The vault, opened, with the reason set (checked before any passphrase is asked).
    func openVault(_ global: GlobalOptions) throws -> Vault {
        let checked = try reason.map(Vault.checkedReason)
        let vault = try global.openVault()
        try vault.setAccessReason(checked)
        return vault
    }
}

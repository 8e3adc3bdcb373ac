import KithCrypto

/// The directory: handles and group names, sealed under the directory key
/// that every enrolled user holds and nobody else does.
///
/// The key has epochs. Removing a user from the vault starts the next one,
/// sealed to everyone who remains, with the previous key sealed under it
/// (`directoryChain`): the newest key opens every older one, so a user
/// enrolled later reads every name, and a removed user, who never receives
/// the new key, reads no name sealed after their removal. Each sealed name
/// is read under the epoch that was current when its entry was written.
extension Vault {
    /// Bytes of a key sealed under the next epoch's key (nonce, key, tag).
    static let chainedKeyLength = 24 + 32 + 16

    /// The directory key of `epoch` (default: the current one), opened from
    /// this identity's envelope, then down the chain for older epochs.
    func directoryKey(epoch wanted: UInt32? = nil) throws -> KeyBox {
        let epoch = wanted ?? state.directoryEpoch
        if let cached = keys.directory[epoch] { return cached }
        guard let user = state.users[me], user.isActive else { throw KithVaultError.accessDenied("this identity is not enrolled") }
        let box: KeyBox
        if epoch == user.directoryEpoch {
            do { box = KeyBox(try holder.openSealed(user.directoryEnvelope)) } catch {
                throw KithVaultError.integrity("the directory key sealed to you does not open")
            }
        } else if epoch < user.directoryEpoch, let chained = state.directoryChain[epoch + 1] {
            let newer = try directoryKey(epoch: epoch + 1)
            do {
                box = KeyBox(try AEAD.xChaCha20Poly1305.open(chained, key: newer.key, aad: Self.chainAAD(vaultID: state.vaultID, epoch: epoch + 1)))
            } catch {
                throw KithVaultError.integrity("the directory key of epoch \(epoch) does not open from the one after it")
            }
        } else {
            throw KithVaultError.integrity("the log holds no directory key of epoch \(epoch) for you")
        }
        keys.directory[epoch] = box
        return box
    }

    /// The current directory key sealed under `next`, the key of the epoch after it.
    func chainedDirectoryKey(under next: KeyBox, nextEpoch: UInt32) throws -> [UInt8] {
        try AEAD.xChaCha20Poly1305.seal(directoryKey().key, key: next.key, aad: Self.chainAAD(vaultID: state.vaultID, epoch: nextEpoch))
    }

    private static func chainAAD(vaultID: [UInt8], epoch: UInt32) -> [UInt8] {
        var w = ByteWriter()
        w.string(AEADContext.directoryChain)
        w.fixed(vaultID)
        w.u32(epoch)
        return w.bytes
    }

    /// A handle or group name sealed, padded to its bucket so its length stays hidden.
    static func sealName(_ name: String, key: borrowing SecureBytes, vaultID: [UInt8], id: Identifier) throws -> [UInt8] {
        var bytes = Array(name.utf8)
        let padded = try SealedLength.pad(SecureBytes(wiping: &bytes))
        return try AEAD.xChaCha20Poly1305.seal(padded, key: key, aad: nameAAD(vaultID: vaultID, id: id, padded: true))
    }

    /// Associated data of a sealed name; the context says whether it is padded
    /// (format 2) or not (format 1, written before names were padded).
    private static func nameAAD(vaultID: [UInt8], id: Identifier, padded: Bool) -> [UInt8] {
        var w = ByteWriter()
        w.string(padded ? AEADContext.paddedDirectory : AEADContext.directory)
        w.fixed(vaultID)
        w.fixed(id.bytes)
        return w.bytes
    }

    /// A group's name.
    func openName(of group: GroupState) throws -> String { try openName(group.sealedName, id: group.id, epoch: group.nameEpoch) }

    /// A user's handle.
    func openHandle(of user: UserState) throws -> String { try openName(user.sealedHandle, id: user.identity.userID, epoch: user.handleEpoch) }

    func openName(_ sealed: [UInt8], id: Identifier, epoch: UInt32) throws -> String {
        if let cached = keys.names[id], cached.sealed == sealed { return cached.name }
        let key = try directoryKey(epoch: epoch)
        let plain: SecureBytes
        if let padded = try? AEAD.xChaCha20Poly1305.open(sealed, key: key.key, aad: Self.nameAAD(vaultID: state.vaultID, id: id, padded: true)) {
            do { plain = try SealedLength.unpad(padded) } catch {
                throw KithVaultError.integrity("a sealed name in the directory is not padded to its bucket")
            }
        } else {
            // A name sealed before names were padded opens only under the first context.
            do { plain = try AEAD.xChaCha20Poly1305.open(sealed, key: key.key, aad: Self.nameAAD(vaultID: state.vaultID, id: id, padded: false)) } catch {
                throw KithVaultError.integrity("a sealed name in the directory does not open")
            }
        }
        // The name becomes a String to be shown; the array it passes through is wiped.
        var bytes = plain.withUnsafeBytes { Array($0) }
        defer { SecureBytes.wipe(&bytes) }
        guard let name = String(validating: bytes, as: UTF8.self) else {
            throw KithVaultError.integrity("a sealed name is not UTF-8")
        }
        keys.names[id] = (sealed, name)
        return name
    }
}

import KithCrypto

// A group's recovery in the resume cache's snapshot (version 6 on): what
// the log says in the open, nothing opened. Decoded strictly, like the rest.

extension GroupState {
    func encodeRecovery(into w: inout ByteWriter) {
        w.u32(recoveryEpochs)
        w.u8(recoveryRotationDue ? 1 : 0)
        VaultState.write(optional: lastRecoveredAt, to: &w)
        w.u32(UInt32(retiredRecoveryKeys.count))
        for key in retiredRecoveryKeys { w.fixed(key.bytes) }
        guard let recovery else { return w.u8(0) }
        w.u8(1)
        w.u32(recovery.epoch)
        w.fixed(recovery.publicKey.bytes)
        w.u8(recovery.threshold)
        w.u64(recovery.setUpAt)
        w.fixed(recovery.setUpBy.bytes)
        w.u64(recovery.setUpMillis)
        w.u32(UInt32(recovery.trustees.count))
        for trustee in recovery.trustees.values.sorted(by: { $0.user < $1.user }) {
            w.fixed(trustee.user.bytes)
            w.fixed(trustee.commitment)
            w.fixed(trustee.sealed)
        }
        w.u32(UInt32(recovery.sealedKeys.count))
        for (ref, sealed) in recovery.sealedKeys.sorted(by: { $0.key < $1.key }) {
            EntryBody.write([ref], to: &w)
            w.fixed(sealed)
        }
        w.u32(UInt32(recovery.released.count))
        for user in recovery.released.sorted() { w.fixed(user.bytes) }
        w.u8(recovery.frozen?.rawValue ?? 0)
        w.u32(UInt32(recovery.requests.count))
        for request in recovery.requests.values.sorted(by: { $0.seq < $1.seq }) {
            w.u64(request.seq)
            w.fixed(request.requester.bytes)
            w.u64(request.timeMillis)
            w.u32(UInt32(request.approvals.count))
            for (trustee, sealed) in request.approvals.sorted(by: { $0.key < $1.key }) {
                w.fixed(trustee.bytes)
                w.fixed(sealed)
            }
        }
    }

    mutating func decodeRecovery(_ r: inout ByteReader) throws {
        func id() throws -> Identifier { try Identifier(bytes: r.fixed(Identifier.length)) }
        recoveryEpochs = try r.u32()
        recoveryRotationDue = try VaultState.readFlag(&r)
        lastRecoveredAt = try VaultState.readOptional(&r)
        retiredRecoveryKeys = try (0..<(try r.count(each: X25519.publicKeyLength))).map { _ in try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength)) }
        guard try VaultState.readFlag(&r) else { return }
        let epoch = try r.u32()
        let publicKey = try BoxPublicKey(bytes: r.fixed(X25519.publicKeyLength))
        let threshold = try r.u8()
        let setUpAt = try r.u64()
        let setUpBy = try id()
        let setUpMillis = try r.u64()
        var trustees: [UserID: TrusteeShare] = [:]
        for _ in 0..<(try r.u32()) {
            let share = TrusteeShare(user: try id(), commitment: try r.fixed(32), sealed: try r.fixed(GroupRecovery.sealedShareLength))
            trustees[share.user] = share
        }
        var sealedKeys: [KeyRef: [UInt8]] = [:]
        for _ in 0..<(try r.u32()) {
            guard let ref = try EntryBody.readRefs(&r).first else { throw KithVaultError.integrity("resume cache has an empty key name") }
            sealedKeys[ref] = try r.fixed(GroupRecovery.sealedKeyLength)
        }
        var recovery = GroupRecovery(
            epoch: epoch, publicKey: publicKey, threshold: threshold, setUpAt: setUpAt, setUpBy: setUpBy, setUpMillis: setUpMillis, trustees: trustees, sealedKeys: sealedKeys)
        for _ in 0..<(try r.u32()) { recovery.released.insert(try id()) }
        switch try r.u8() {
        case 0: recovery.frozen = nil
        case let code:
            guard let freeze = RecoveryFreeze(rawValue: code) else { throw KithVaultError.integrity("resume cache names an unknown recovery state") }
            recovery.frozen = freeze
        }
        for _ in 0..<(try r.u32()) {
            var request = RecoveryRequest(seq: try r.u64(), requester: try id(), timeMillis: try r.u64())
            for _ in 0..<(try r.u32()) { request.approvals[try id()] = try r.fixed(GroupRecovery.sealedShareLength) }
            recovery.requests[request.seq] = request
        }
        self.recovery = recovery
    }
}

extension VaultState {
    /// A flag byte, strictly: 0 or 1.
    static func readFlag(_ r: inout ByteReader) throws -> Bool {
        switch try r.u8() {
        case 0: return false
        case 1: return true
        default: throw KithVaultError.integrity("resume cache has a malformed flag")
        }
    }
}

import Foundation
import KithVault
import PostgresNIO

/// Attachments in the database, as sealed 1 MiB chunks. Each attachment is
/// written in one transaction on a connection of its own: the chunks and
/// the row naming them appear together at `finish()`, and a client killed
/// part way leaves nothing, because the server rolls back a transaction
/// whose connection dies.
final class PostgresAttachmentStore: AttachmentStore, @unchecked Sendable {
    // @unchecked: immutable.
    let address: PostgresAddress
    let environment: [String: String]
    /// Bytes per stored chunk: large enough for few rows, small enough that
    /// neither side holds much of a big file at once.
    static let chunkSize = 1 << 20

    init(address: PostgresAddress, environment: [String: String]) {
        self.address = address
        self.environment = environment
    }

    func newAttachment(_ id: Identifier) throws -> AttachmentSink {
        let connection = try BlockingConnection(address: address, environment: environment)
        let existing = try connection.query("SELECT 1 FROM attachments WHERE attachment_id = $1", try binds(ByteBuffer(bytes: id.bytes)))
        guard existing.isEmpty else {
            throw KithVaultError.integrity("attachment \(id) already exists in \(address); refusing to overwrite it")
        }
        try connection.execute("BEGIN")
        return ChunkSink(connection: connection, id: id)
    }

    func openAttachment(_ id: Identifier) throws -> AttachmentSource? {
        let connection = try BlockingConnection(address: address, environment: environment)
        let rows = try connection.query("SELECT chunk_count FROM attachments WHERE attachment_id = $1", try binds(ByteBuffer(bytes: id.bytes)))
        guard let row = rows.first else { return nil }
        guard let chunks = try? row.decode(Int32.self) else {
            throw KithVaultError.integrity("attachment \(id) in \(address) is malformed")
        }
        return ChunkSource(connection: connection, id: id, chunks: Int(chunks))
    }

    /// Erased attachments normally left with their log entry's transaction
    /// (`PostgresVaultStore.append`); this removes any still there.
    func erase(_ ids: [Identifier]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let connection = try BlockingConnection(address: address, environment: environment)
        let buffers = ids.map { ByteBuffer(bytes: $0.bytes) }
        return try connection.transaction {
            try connection.execute("DELETE FROM attachment_chunks WHERE attachment_id = ANY($1::bytea[])", try binds(buffers))
            return try connection.execute("DELETE FROM attachments WHERE attachment_id = ANY($1::bytea[])", try binds(buffers))
        }
    }

    private final class ChunkSink: AttachmentSink, @unchecked Sendable {
        // @unchecked: written by one thread at a time (the attachment pipeline hands it over).
        private let connection: BlockingConnection
        private let id: Identifier
        private var pending: [UInt8] = []
        private var chunks: Int32 = 0
        private var total: Int64 = 0
        private var state = State.open

        enum State { case open, finished, gone }

        init(connection: BlockingConnection, id: Identifier) {
            self.connection = connection
            self.id = id
            pending.reserveCapacity(PostgresAttachmentStore.chunkSize)
        }

        deinit {
            // Dropped without finish: the transaction goes with the connection.
            if state == .open { _ = try? connection.execute("ROLLBACK") }
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard state == .open else { return }
            var rest = bytes[...]
            while !rest.isEmpty {
                let take = min(rest.count, PostgresAttachmentStore.chunkSize - pending.count)
                pending.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
                if pending.count == PostgresAttachmentStore.chunkSize { try flush() }
            }
        }

        private func flush() throws {
            guard !pending.isEmpty else { return }
            try connection.execute(
                "INSERT INTO attachment_chunks (attachment_id, chunk, bytes) VALUES ($1, $2, $3)",
                try binds(ByteBuffer(bytes: id.bytes), chunks, ByteBuffer(bytes: pending)))
            chunks += 1
            total += Int64(pending.count)
            pending.removeAll(keepingCapacity: true)
        }

        func finish() throws {
            try flush()
            try connection.execute(
                "INSERT INTO attachments (attachment_id, chunk_count, byte_count) VALUES ($1, $2, $3)",
                try binds(ByteBuffer(bytes: id.bytes), chunks, total))
            do {
                try connection.execute("COMMIT")
            } catch {
                // Cut off while committing: the chunks may be stored. As
                // finished, a discard deletes them by id (nothing names them
                // yet, the entry comes after); the error says it cannot tell.
                if connection.isLost {
                    state = .finished
                    throw PostgresFailure.lost(address: connection.address, inTransaction: true)
                }
                throw error
            }
            state = .finished
        }

        func discard() {
            switch state {
            case .open:
                _ = try? connection.execute("ROLLBACK")
            case .finished:
                // The log entry naming it failed to commit: nothing refers to these bytes.
                _ = try? connection.transaction {
                    try connection.execute("DELETE FROM attachment_chunks WHERE attachment_id = $1", try binds(ByteBuffer(bytes: id.bytes)))
                    try connection.execute("DELETE FROM attachments WHERE attachment_id = $1", try binds(ByteBuffer(bytes: id.bytes)))
                }
            case .gone:
                break
            }
            state = .gone
        }
    }

    private final class ChunkSource: AttachmentSource {
        private let connection: BlockingConnection
        private let id: Identifier
        private let chunks: Int
        private var next = 0
        private var current: [UInt8] = []
        private var offset = 0

        init(connection: BlockingConnection, id: Identifier, chunks: Int) {
            self.connection = connection
            self.id = id
            self.chunks = chunks
        }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            var filled = 0
            while filled < buffer.count {
                if offset == current.count {
                    guard next < chunks else { break }
                    let rows = try connection.query(
                        "SELECT bytes FROM attachment_chunks WHERE attachment_id = $1 AND chunk = $2",
                        try binds(ByteBuffer(bytes: id.bytes), Int32(next)))
                    guard let row = rows.first, let bytes = try? row.decode(ByteBuffer.self) else {
                        throw KithVaultError.integrity("attachment \(id) in the database is missing chunk \(next)")
                    }
                    current = Array(bytes.readableBytesView)
                    offset = 0
                    next += 1
                    continue
                }
                let take = min(buffer.count - filled, current.count - offset)
                current.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<filled + take])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + take]))
                }
                offset += take
                filled += take
            }
            return filled
        }
    }
}

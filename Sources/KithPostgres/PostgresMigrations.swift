import KithVault
import PostgresNIO

/// The schema, as named migrations applied in order, each once, like the
/// SQLite engine's. A released migration never changes; new ones are
/// appended. Applied names are kept in `kith_migrations`.
enum PostgresMigrations {
    /// A key for `pg_advisory_xact_lock`, so two clients opening a new
    /// database at once do not both create the tables ("kith" in ASCII).
    static let lockKey: Int64 = 0x6B69_7468

    static let all: [(name: String, sql: String)] = [
        (
            "v1: log, records, checkpoints, attachments",
            """
            CREATE TABLE log_entries (
                seq bigint PRIMARY KEY CHECK (seq >= 0),
                entry bytea NOT NULL CHECK (length(entry) > 0),
                hash bytea NOT NULL CHECK (length(hash) = 32)
            );
            -- One row: the log's length. Every append locks it (SELECT ... FOR UPDATE),
            -- so appends from many clients queue up and each sees the one before.
            CREATE TABLE log_head (
                only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                entry_count bigint NOT NULL CHECK (entry_count >= 0)
            );
            INSERT INTO log_head (entry_count) VALUES (0);
            -- The log is append-only and gap-free, enforced by the schema too.
            CREATE FUNCTION kith_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the log is append-only'; END $$;
            CREATE TRIGGER log_entries_no_change BEFORE UPDATE OR DELETE ON log_entries
                FOR EACH ROW EXECUTE FUNCTION kith_log_append_only();
            CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
                FOR EACH STATEMENT EXECUTE FUNCTION kith_log_append_only();
            CREATE FUNCTION kith_log_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.seq <> (SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries) THEN
                    RAISE EXCEPTION 'log entries must be appended in order';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER log_entries_contiguous BEFORE INSERT ON log_entries
                FOR EACH ROW EXECUTE FUNCTION kith_log_contiguous();

            CREATE TABLE records (
                record_id bytea NOT NULL CHECK (length(record_id) = 16),
                version bigint NOT NULL CHECK (version BETWEEN 1 AND 4294967295),
                group_id bytea NOT NULL CHECK (length(group_id) = 16),
                entry_seq bigint NOT NULL REFERENCES log_entries (seq),
                body bytea NOT NULL,
                PRIMARY KEY (record_id, version)
            );
            CREATE INDEX records_by_group ON records (group_id, record_id, version);
            CREATE INDEX records_by_entry ON records (entry_seq);

            -- The signed checkpoint note of each log size a writer reached (C2SP
            -- tlog-checkpoint), with witnesses' cosignatures appended.
            CREATE TABLE checkpoints (
                size bigint PRIMARY KEY CHECK (size > 0),
                note text NOT NULL
            );

            -- Sealed attachment bytes in 1 MiB chunks. An attachment is written in one
            -- transaction of its own, so a killed upload leaves no chunk behind.
            CREATE TABLE attachments (
                attachment_id bytea PRIMARY KEY CHECK (length(attachment_id) = 16),
                chunk_count integer NOT NULL CHECK (chunk_count >= 0),
                byte_count bigint NOT NULL CHECK (byte_count >= 0)
            );
            CREATE TABLE attachment_chunks (
                attachment_id bytea NOT NULL REFERENCES attachments (attachment_id) DEFERRABLE INITIALLY DEFERRED,
                chunk integer NOT NULL CHECK (chunk >= 0),
                bytes bytea NOT NULL,
                PRIMARY KEY (attachment_id, chunk)
            );
            """
        )
    ]

    /// Brings the schema up to date in one transaction; a database a newer
    /// Kith has migrated is refused rather than half-understood.
    static func migrate(_ connection: BlockingConnection) throws {
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
            try connection.execute("CREATE TABLE IF NOT EXISTS kith_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let applied = try Set(connection.query("SELECT name FROM kith_migrations").map { try $0.decode(String.self) })
            let known = Set(all.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw KithVaultError.invalidInput(
                    "this database was set up by a newer Kith (it has the migration '\(unknown)')", remedy: .upgradeKith)
            }
            for migration in all where !applied.contains(migration.name) {
                try connection.script(migration.sql)
                try connection.execute("INSERT INTO kith_migrations (name) VALUES ($1)", try binds(migration.name))
            }
        }
    }

    /// True when every migration has been applied (opening a vault needs
    /// no schema privilege then).
    static func isCurrent(_ connection: BlockingConnection) throws -> Bool? {
        let exists = try connection.query("SELECT to_regclass('kith_migrations') IS NOT NULL").first?.decode(Bool.self) ?? false
        guard exists else { return nil }
        let applied = try Set(connection.query("SELECT name FROM kith_migrations").map { try $0.decode(String.self) })
        return applied == Set(all.map(\.name))
    }
}

import Postgres

/// Applies migrations in order, each in its own transaction, and records each with a checksum.
///
/// Running it twice is a no-op. A migration file that changed after it was applied is refused:
/// the database would no longer match the file, so the fix is a new migration, not an edit.
/// An advisory lock keeps two deploys migrating at once from interleaving.
public struct Migrator {
    public struct Report: Sendable {
        public var applied: [String] = []
        public var alreadyApplied = 0
    }

    static let lockKey: Int64 = 0x626F_6F6B_6D69  // "bookmi"

    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    public func migrate(_ migrations: [Migration]) throws -> Report {
        // Lock first: two first-time runs creating the bookkeeping table at once would collide.
        try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        try connection.execute(script: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)

        var recorded: [Int: (name: String, checksum: String)] = [:]
        for row in try connection.query("SELECT version, name, checksum FROM schema_migrations") {
            recorded[try row.int(0)] = (try row.string(1), try row.string(2))
        }
        var report = Report()
        for migration in migrations {
            let checksum = try self.checksum(migration.sql)
            if let existing = recorded[migration.version] {
                guard existing.checksum == checksum else {
                    throw StoreError(.migration, """
                        migration \(migration.fileName) was changed after it was applied \
                        (recorded checksum \(existing.checksum.prefix(12))…, file now \(checksum.prefix(12))…); \
                        restore the file and put the change in a new migration
                        """)
                }
                report.alreadyApplied += 1
                continue
            }
            do {
                try connection.transaction { conn in
                    try conn.execute(script: migration.sql)
                    try conn.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, checksum])
                }
            } catch let error as PGError {
                throw StoreError(.migration, "migration \(migration.fileName) failed: \(error.message)", underlying: error)
            }
            report.applied.append(migration.fileName)
        }
        return report
    }

    private func checksum(_ sql: String) throws -> String {
        try connection.query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", [sql]).first!.string(0)
    }
}

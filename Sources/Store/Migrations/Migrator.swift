import BookijiCore
import Postgres

/// Applies migrations in order, each in its own transaction, and records each with a checksum.
///
/// Running it twice is a no-op. Everything is checked before anything runs: a migration file
/// that changed after it was applied is refused (the database would no longer match the file, so
/// the fix is a new migration, not an edit), and so is a database that records migrations the
/// given list does not have (it was migrated by a newer binary, or `--dir` names the wrong
/// folder; running this one would be running backwards). An advisory lock keeps two deploys
/// migrating at once from interleaving.
public struct Migrator {
    public struct Report: Sendable {
        public var applied: [String] = []
        public var alreadyApplied = 0
    }

    /// Where one migration stands in a database (``Migrator/status(_:)``).
    public struct Entry: Sendable, Equatable {
        public enum State: Sendable, Equatable {
            /// Recorded, with the time it was applied (RFC 3339, UTC, to the second).
            case applied(at: String)
            /// In the list, not yet in the database.
            case pending
            /// In the database, not in the list: applied by a newer binary.
            case unknown(at: String)
            /// Recorded with a different checksum than the list's text.
            case changed(at: String)
        }

        public var version: Int
        public var fileName: String
        public var state: State
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

        let entries = try status(migrations)
        let unknown = entries.filter { if case .unknown = $0.state { true } else { false } }
        guard unknown.isEmpty else {
            throw StoreError(.migration, """
                the database has \(unknown.count == 1 ? "a migration" : "migrations") this binary does not know: \
                \(unknown.map(\.fileName).joined(separator: ", ")); it was migrated by a newer bookiji \
                (or --dir names the wrong folder). Nothing was applied: deploy a binary built with \
                these migrations
                """)
        }
        for entry in entries {
            guard case .changed = entry.state, let migration = migrations.first(where: { $0.version == entry.version }) else { continue }
            let recorded = try connection.query("SELECT checksum FROM schema_migrations WHERE version = $1", [entry.version])
                .first?.string(0) ?? ""
            throw StoreError(.migration, """
                migration \(migration.fileName) was changed after it was applied \
                (recorded checksum \(recorded.prefix(12))…, file now \(Self.checksum(migration.sql).prefix(12))…); \
                restore the file and put the change in a new migration
                """)
        }

        var report = Report()
        for migration in migrations {
            guard let entry = entries.first(where: { $0.version == migration.version }), entry.state == .pending else {
                report.alreadyApplied += 1
                continue
            }
            do {
                try connection.transaction { conn in
                    try conn.execute(script: migration.sql)
                    try conn.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, Self.checksum(migration.sql)])
                }
            } catch let error as PGError {
                throw StoreError(.migration, "migration \(migration.fileName) failed: \(error.message)", underlying: error)
            }
            report.applied.append(migration.fileName)
        }
        return report
    }

    /// Every migration of the list and every one the database records, in version order, with
    /// where it stands. Reads only: a database never migrated has every migration pending.
    public func status(_ migrations: [Migration]) throws -> [Entry] {
        var recorded: [Int: (name: String, checksum: String, appliedAt: String)] = [:]
        if try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").first?.bool(0) == true {
            let rows = try connection.query("""
                SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM schema_migrations
                """)
            for row in rows {
                recorded[try row.int(0)] = (try row.string(1), try row.string(2), try row.string(3))
            }
        }
        var entries: [Entry] = migrations.map { migration in
            guard let existing = recorded[migration.version] else {
                return Entry(version: migration.version, fileName: migration.fileName, state: .pending)
            }
            let state: Entry.State = existing.checksum == Self.checksum(migration.sql)
                ? .applied(at: existing.appliedAt) : .changed(at: existing.appliedAt)
            return Entry(version: migration.version, fileName: migration.fileName, state: state)
        }
        let known = Set(migrations.map(\.version))
        for (version, existing) in recorded where !known.contains(version) {
            let fileName = Migration(version: version, name: existing.name, sql: "").fileName
            entries.append(Entry(version: version, fileName: fileName, state: .unknown(at: existing.appliedAt)))
        }
        return entries.sorted { $0.version < $1.version }
    }

    /// SHA-256 of the text's UTF-8 bytes, in hex: what `schema_migrations.checksum` records
    /// (the same value PostgreSQL's `encode(sha256(convert_to(sql, 'UTF8')), 'hex')` gives,
    /// which earlier versions computed).
    static func checksum(_ sql: String) -> String {
        SHA256.hash(sql.utf8).hexString
    }
}

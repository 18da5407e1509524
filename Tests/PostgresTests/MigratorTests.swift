import BookijiCore
import Postgres
import Store
import Testing

/// `bookiji migrate`: in version order, each in a transaction, recorded with a checksum, idempotent,
/// and refusing an applied file that changed.
struct MigratorTests {
    static let chain = [
        "0001_create_a.sql": "CREATE TABLE a (id int PRIMARY KEY);",
        "0002_add_b.sql": "ALTER TABLE a ADD COLUMN b text;",
        "0003_add_c.sql": "ALTER TABLE a ADD COLUMN c text;\nINSERT INTO a (id, b, c) VALUES (1, 'b', 'c');",
    ]

    private func columns(_ connection: PGConnection, _ table: String) throws -> [String] {
        try connection.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum", [table]
        ).map { try $0.string(0) }
    }

    private func recorded(_ connection: PGConnection) throws -> [(version: Int, name: String, checksum: String)] {
        try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version").map {
            (try $0.int(0), try $0.string(1), try $0.string(2))
        }
    }

    private func tableExists(_ connection: PGConnection, _ name: String) throws -> Bool {
        try connection.query("SELECT to_regclass($1) IS NOT NULL", [name]).first!.bool(0)
    }

    @Test func appliesInVersionOrderAndRecordsChecksums() throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrations = try Migration.load(directory: folder.path)
        #expect(migrations.map(\.version) == [1, 2, 3])

        let report = try Migrator(Session(connection)).migrate(migrations)
        #expect(report.applied == ["0001_create_a.sql", "0002_add_b.sql", "0003_add_c.sql"])
        #expect(report.alreadyApplied == 0)
        #expect(try columns(connection, "a") == ["id", "b", "c"])

        let rows = try recorded(connection)
        #expect(rows.map(\.version) == [1, 2, 3])
        #expect(rows.map(\.name) == ["create_a", "add_b", "add_c"])
        // The checksum is the SHA-256 of the file's bytes, computed independently here.
        let expected = ["0001_create_a.sql", "0002_add_b.sql", "0003_add_c.sql"].map {
            SHA256.hash(Array(Self.chain[$0]!.utf8)).hexString
        }
        #expect(rows.map(\.checksum) == expected)
    }

    @Test func secondRunIsANoOp() throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrator = Migrator(Session(connection))
        _ = try migrator.migrate(Migration.load(directory: folder.path))
        let before = try connection.query("SELECT version, applied_at::text FROM schema_migrations ORDER BY 1")
            .map { "\(try $0.int(0)) \(try $0.string(1))" }

        let again = try migrator.migrate(Migration.load(directory: folder.path))
        #expect(again.applied.isEmpty)
        #expect(again.alreadyApplied == 3)
        let after = try connection.query("SELECT version, applied_at::text FROM schema_migrations ORDER BY 1")
            .map { "\(try $0.int(0)) \(try $0.string(1))" }
        #expect(after == before)
        #expect(try connection.query("SELECT count(*) FROM a").first?.int(0) == 1)
    }

    @Test func onlyNewMigrationsAreAppliedLater() throws {
        let folder = try MigrationFolder(["0001_create_a.sql": Self.chain["0001_create_a.sql"]!])
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrator = Migrator(Session(connection))
        #expect(try migrator.migrate(Migration.load(directory: folder.path)).applied == ["0001_create_a.sql"])
        try folder.write("0002_add_b.sql", Self.chain["0002_add_b.sql"]!)
        let report = try migrator.migrate(Migration.load(directory: folder.path))
        #expect(report.applied == ["0002_add_b.sql"])
        #expect(report.alreadyApplied == 1)
    }

    @Test func changedAppliedFileIsRefusedNamingTheFile() throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrator = Migrator(Session(connection))
        _ = try migrator.migrate(Migration.load(directory: folder.path))

        try folder.write("0002_add_b.sql", "ALTER TABLE a ADD COLUMN b text; ALTER TABLE a ADD COLUMN sneaky int;")
        try folder.write("0004_add_d.sql", "ALTER TABLE a ADD COLUMN d text;")
        let error = #expect(throws: StoreError.self) {
            try migrator.migrate(Migration.load(directory: folder.path))
        }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("0002_add_b.sql") == true)
        #expect(error?.message.contains("changed") == true)
        // Nothing was applied: neither the edit nor the migration after it.
        #expect(try columns(connection, "a") == ["id", "b", "c"])
        #expect(try recorded(connection).map(\.version) == [1, 2, 3])
    }

    @Test func failingMigrationRollsBackEntirelyAndIsNotRecorded() throws {
        let folder = try MigrationFolder([
            "0001_create_a.sql": Self.chain["0001_create_a.sql"]!,
            "0002_half_done.sql": "CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\nSELECT 1/0;",
            "0003_add_c.sql": "ALTER TABLE a ADD COLUMN c text;",
        ])
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrator = Migrator(Session(connection))

        let error = #expect(throws: StoreError.self) {
            try migrator.migrate(Migration.load(directory: folder.path))
        }
        #expect(error?.message.contains("0002_half_done.sql") == true)
        #expect(error?.underlying?.sqlState == "22012")
        #expect(try tableExists(connection, "half") == false)
        #expect(try recorded(connection).map(\.version) == [1])
        #expect(try columns(connection, "a") == ["id"])  // 0003 was not attempted

        // Once fixed, the run continues where it stopped.
        try folder.write("0002_half_done.sql", "CREATE TABLE half (id int);")
        let report = try migrator.migrate(Migration.load(directory: folder.path))
        #expect(report.applied == ["0002_half_done.sql", "0003_add_c.sql"])
        #expect(try tableExists(connection, "half"))
    }

    @Test(arguments: ["1_a.sql", "0001.sql", "00001_a.sql", "abcd_x.sql", "0001_.sql", "01a1_x.sql", "0001-a.sql"])
    func badFileNameIsRefusedNamingTheFile(_ name: String) throws {
        let folder = try MigrationFolder(["0001_ok.sql": "SELECT 1;", name: "SELECT 1;"])
        defer { folder.delete() }
        let error = #expect(throws: StoreError.self) { try Migration.load(directory: folder.path) }
        #expect(error?.code == .migration)
        #expect(error?.message.contains(name) == true)
    }

    /// `Int("+001")` is 1: the version must be four digits, not just four characters.
    @Test(arguments: ["+001_a.sql", "-001_a.sql"])
    func signedVersionIsRefused(_ name: String) throws {
        let folder = try MigrationFolder([name: "SELECT 1;"])
        defer { folder.delete() }
        #expect(throws: StoreError.self) { try Migration.load(directory: folder.path) }
    }

    @Test func filesThatAreNotSQLAreIgnored() throws {
        let folder = try MigrationFolder([
            "0001_a.sql": "SELECT 1;", "README.md": "notes", "0002_b.sql.bak": "old", ".0003_c.sql.swp": "x",
        ])
        defer { folder.delete() }
        #expect(try Migration.load(directory: folder.path).map(\.fileName) == ["0001_a.sql"])
    }

    @Test func duplicateVersionsAreRefusedNamingBothFiles() throws {
        let folder = try MigrationFolder(["0001_first.sql": "SELECT 1;", "0001_second.sql": "SELECT 2;"])
        defer { folder.delete() }
        let error = #expect(throws: StoreError.self) { try Migration.load(directory: folder.path) }
        #expect(error?.message.contains("0001_first.sql") == true)
        #expect(error?.message.contains("0001_second.sql") == true)
    }

    /// A database migrated by a newer binary: refused before anything runs, naming what it does
    /// not know, and nothing of the older list (here a new 0004 the database lacks) is applied.
    @Test func databaseWithUnknownMigrationsIsRefusedWithNothingApplied() throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrator = Migrator(Session(connection))
        _ = try migrator.migrate(Migration.load(directory: folder.path))

        folder.remove("0003_add_c.sql")
        try folder.write("0004_add_d.sql", "ALTER TABLE a ADD COLUMN d text;")
        let error = #expect(throws: StoreError.self) {
            try migrator.migrate(Migration.load(directory: folder.path))
        }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("0003_add_c.sql") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("newer") == true)
        #expect(try columns(connection, "a") == ["id", "b", "c"])
        #expect(try recorded(connection).map(\.version) == [1, 2, 3])
    }

    @Test func statusListsAppliedPendingUnknownAndChanged() throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let connection = try TestDatabase().connect()
        let migrator = Migrator(Session(connection))
        // A database never migrated: everything pending, and nothing created by asking.
        #expect(try migrator.status(Migration.load(directory: folder.path)).map(\.state) == [.pending, .pending, .pending])
        #expect(try tableExists(connection, "schema_migrations") == false)

        _ = try migrator.migrate(Migration.load(directory: folder.path).filter { $0.version <= 2 })
        folder.remove("0001_create_a.sql")
        try folder.write("0002_add_b.sql", "SELECT 'edited';")
        let entries = try migrator.status(Migration.load(directory: folder.path))
        #expect(entries.map(\.fileName) == ["0001_create_a.sql", "0002_add_b.sql", "0003_add_c.sql"])
        let states = entries.map { entry -> String in
            switch entry.state {
            case .applied(let at), .unknown(let at), .changed(let at):
                #expect(at.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil, "\(at)")
                return "\(entry.state)".prefix(while: { $0 != "(" }).description
            case .pending:
                return "pending"
            }
        }
        #expect(states == ["unknown", "changed", "pending"])
    }

    @Test func folderWithoutMigrationsIsAnError() throws {
        let folder = try MigrationFolder(["README.md": "notes"])
        defer { folder.delete() }
        let error = #expect(throws: StoreError.self) { try Migration.load(directory: folder.path) }
        #expect(error?.message.contains(folder.path) == true)
    }

    /// What the binary carries is migrations/ byte for byte (the recorded checksums are of the
    /// files' bytes), so a database migrated from either is the same to the other.
    @Test func embeddedMigrationsAreTheFolder() throws {
        let folder = try Migration.load(directory: TestCluster.repositoryRoot + "/migrations")
        #expect(Migration.embedded.map(\.fileName) == folder.map(\.fileName))
        for (embedded, file) in zip(Migration.embedded, folder) {
            #expect(Array(embedded.sql.utf8) == Array(file.sql.utf8), "\(file.fileName) differs")
        }
    }

    @Test func missingDirectoryIsAnErrorNamingIt() {
        let error = #expect(throws: StoreError.self) {
            try Migration.load(directory: "/nonexistent/bookiji-migrations")
        }
        #expect(error?.message.contains("/nonexistent/bookiji-migrations") == true)
    }

    /// Two deploys migrating at once: the advisory lock serialises them, each file runs once.
    @Test func concurrentRunsApplyEachMigrationOnce() throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let database = try TestDatabase()
        // schema_migrations exists already (an earlier deploy); see the next test for a fresh database.
        _ = try Migrator(Session(database.connect())).migrate([])
        let reports = try migrateConcurrently(database, folder)
        #expect(reports.map(\.count).sorted() == [0, 3])
        #expect(try recorded(database.connect()).map(\.version) == [1, 2, 3])
    }

    /// On a fresh database both runs would create `schema_migrations` at once (PostgreSQL's
    /// IF NOT EXISTS is not safe against a concurrent creator: 23505 on pg_type_typname_nsp_index),
    /// so the Migrator takes its advisory lock before creating the table.
    @Test(arguments: 0..<5)
    func concurrentFirstRunsOnFreshDatabase(round: Int) throws {
        let folder = try MigrationFolder(Self.chain)
        defer { folder.delete() }
        let database = try TestDatabase()
        let reports = try migrateConcurrently(database, folder)
        #expect(reports.map(\.count).sorted() == [0, 3])
    }

    private func migrateConcurrently(_ database: TestDatabase, _ folder: MigrationFolder) throws -> [[String]] {
        let url = database.url
        let path = folder.path
        return try onThreads(2) { _ in
            let connection = try PGConnection(url: url)
            return try Migrator(Session(connection)).migrate(Migration.load(directory: path)).applied
        }
    }
}

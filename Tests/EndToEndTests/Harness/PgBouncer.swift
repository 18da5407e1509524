import Foundation
import Postgres

/// Debian's PgBouncer in transaction pooling mode in front of a test cluster, with its config in
/// the test's scratch folder: every database name is passed through to the cluster (`*`), clients
/// are trusted (the user must still be in the userlist), and it listens on 127.0.0.1 and on a
/// unix socket in its folder. `default_pool_size` server connections per database and user, so a
/// test can give it fewer than the responder has threads.
///
/// PgBouncer refuses to run as root: as root it runs as `postgres` (through `setpriv`, which
/// execs, so the daemon's pid is PgBouncer's own), which can also enter the cluster's socket folder.
final class PgBouncer: Sendable {
    static let executable = "/usr/sbin/pgbouncer"
    /// What the direct and pooled URLs call themselves (`application_name`), so tests can tell
    /// in `pg_stat_activity` which server sessions PgBouncer opened and which bypassed it.
    static let pooledName = "bookiji-pooled"
    static let directName = "bookiji-direct"

    let cluster: PostgresCluster
    let directory: String
    let port: Int
    let poolSize: Int
    let daemon: Daemon

    var socketDirectory: String { directory + "/socket" }

    init(cluster: PostgresCluster = .shared, poolSize: Int) throws {
        self.cluster = cluster
        self.poolSize = poolSize
        directory = try Paths.scratchDirectory("pgbouncer")
        port = freePort()
        try FileManager.default.createDirectory(atPath: directory + "/socket", withIntermediateDirectories: true)
        try """
            [databases]
            * = host=\(cluster.directory)/socket port=\(cluster.port)

            [pgbouncer]
            pool_mode = transaction
            default_pool_size = \(poolSize)
            max_client_conn = 1000
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir = \(directory)/socket
            auth_type = trust
            auth_file = \(directory)/userlist.txt
            admin_users = postgres
            stats_users = postgres
            pidfile = \(directory)/pgbouncer.pid
            log_connections = 0
            log_disconnections = 0

            """.write(toFile: directory + "/pgbouncer.ini", atomically: true, encoding: .utf8)
        try "\"postgres\" \"\"\n".write(toFile: directory + "/userlist.txt", atomically: true, encoding: .utf8)
        let asRoot = getuid() == 0
        if asRoot { try run("/bin/chown", ["-R", "postgres:postgres", directory]) }
        let command = asRoot
            ? ("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", Self.executable, directory + "/pgbouncer.ini"])
            : (Self.executable, [directory + "/pgbouncer.ini"])
        daemon = try Daemon(command.0, command.1, logPath: directory + "/pgbouncer.out")
        let admin = adminURL
        guard eventually(seconds: 10, { (try? PGConnection(url: admin, pooled: true).simpleQuery("SHOW VERSION")) != nil }) else {
            daemon.stop()
            throw CommandFailure(description: "pgbouncer did not start:\n\(daemon.log)")
        }
    }

    /// `database` on the cluster, through PgBouncer's unix socket.
    func url(database: String) -> String {
        "postgresql://postgres@/\(database)?host=\(socketDirectory)&port=\(port)&application_name=\(Self.pooledName)"
    }

    /// `database` on the cluster itself, named so it can be told apart from PgBouncer's sessions.
    func directURL(database: String) -> String {
        cluster.url(database: database) + "&application_name=\(Self.directName)"
    }

    /// The arguments that send `bookiji serve` or `bookiji worker` through this pooler, with
    /// LISTEN and the leader locks going straight to the cluster. Given after the process's own
    /// `--database`, they replace it (the last value of an option wins).
    func arguments(database: String) -> [String] {
        ["--database", url(database: database), "--database-pooler", "transaction", "--direct-database", directURL(database: database)]
    }

    /// PgBouncer's admin console (it speaks only the simple query protocol).
    var adminURL: String { "postgresql://postgres@/pgbouncer?host=\(socketDirectory)&port=\(port)" }

    /// A `SHOW` command on the admin console, as rows of column name to text value.
    func show(_ what: String) throws -> [[String: String]] {
        let rows = try PGConnection(url: adminURL, pooled: true).simpleQuery("SHOW \(what)")
        return try rows.map { row in
            var values: [String: String] = [:]
            for column in 0..<rows.columnCount where !row.isNull(column) {
                values[rows.columnName(column)] = try row.string(column)
            }
            return values
        }
    }

    /// `SHOW STATS`' counter `column` for `database`, 0 when PgBouncer has not seen it.
    func stat(_ column: String, database: String) throws -> Int {
        try show("STATS").first { $0["database"] == database }.flatMap { $0[column] }.flatMap { Int($0) } ?? 0
    }

    func stop() {
        daemon.stop()
        if ProcessInfo.processInfo.environment["BOOKIJI_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

extension Service {
    /// Restarts the responder with `extra` arguments after the usual ones (through a pooler, say).
    func restartResponder(extra: [String]) throws {
        responder?.stop()
        try? FileManager.default.removeItem(atPath: socketPath)
        try startResponder(extra: extra)
        guard eventually(seconds: 10, { (try? get("/v1/health").status) == 200 }) else {
            throw CommandFailure(description: "responder did not become healthy again:\n\(responder?.log ?? "")")
        }
    }
}

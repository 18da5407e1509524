import Foundation
import Postgres
import Store
#if canImport(Glibc)
import Glibc
#endif

/// One private PostgreSQL cluster for the whole test process, started through
/// `scripts/pgcluster` on first use (unix socket only) and stopped when the process exits.
final class TestCluster: Sendable {
    let directory: String
    /// Only names the socket file: the cluster listens on its own socket directory, never on TCP.
    let port = 5432

    /// The checkout, found from this file (through any symlinked dev package).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let shared: Result<TestCluster, any Error> = Result { try TestCluster() }

    /// A database with every migration of `migrations/` applied, copied for each store test.
    static let migratedTemplate: Result<String, any Error> = Result {
        let cluster = try shared.get()
        let name = "migrated_template"
        try cluster.admin { try $0.execute(script: "CREATE DATABASE \(name)") }
        let connection = try PGConnection(url: cluster.url(database: name))
        _ = try Migrator(Session(connection)).migrate(Migration.load(directory: repositoryRoot + "/migrations"))
        return name
    }

    private init() throws {
        var template = Array("/tmp/bookiji-pgunit-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CommandFailure(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        clusterDirectoryForExit = directory
        atexit {
            guard let directory = clusterDirectoryForExit else { return }
            _ = try? run(TestCluster.repositoryRoot + "/scripts/pgcluster", ["stop", directory])
            _ = try? run("/bin/rm", ["-rf", directory])
        }
        try run(Self.repositoryRoot + "/scripts/pgcluster", ["start", directory, "--port", String(port), "--ephemeral"])
    }

    func url(database: String) -> String {
        "postgresql://postgres@/\(database)?host=\(directory)/socket&port=\(port)"
    }

    /// Runs `body` on a short-lived connection to the `postgres` maintenance database.
    func admin<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try body(PGConnection(url: url(database: "postgres")))
    }
}

/// Written once, before the exit hook that reads it is installed.
nonisolated(unsafe) private var clusterDirectoryForExit: String?

/// A fresh database of the shared cluster, so tests running in parallel never see each other's
/// rows. Left behind for the cluster's removal at exit (dropping costs time and proves nothing).
struct TestDatabase {
    let cluster: TestCluster
    let name: String

    /// - Parameter migrated: copy the database that has all of `migrations/` applied.
    init(migrated: Bool = false) throws {
        cluster = try TestCluster.shared.get()
        var generator = SystemRandomNumberGenerator()
        name = "t_" + String(generator.next(), radix: 36)
        let template = migrated ? " TEMPLATE \(try TestCluster.migratedTemplate.get())" : ""
        try cluster.admin { try $0.execute(script: "CREATE DATABASE \(name)\(template)") }
    }

    var url: String { cluster.url(database: name) }

    func connect() throws(PGError) -> PGConnection { try PGConnection(url: url) }
}

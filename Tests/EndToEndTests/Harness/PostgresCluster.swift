import Foundation
import Postgres

/// A private PostgreSQL cluster started through `scripts/pgcluster`, on a unix socket only.
final class PostgresCluster: Sendable {
    let directory: String
    let port: Int

    init(label: String) throws {
        directory = try Paths.scratchDirectory("pg-\(label)")
        port = freePort()
        try start()
    }

    func start() throws {
        try run(Paths.script("pgcluster"), ["start", directory, "--port", String(port), "--ephemeral"])
    }

    func stop() {
        _ = try? run(Paths.script("pgcluster"), ["stop", directory])
    }

    func url(database: String) -> String {
        "postgresql://postgres@/\(database)?host=\(directory)/socket&port=\(port)"
    }

    /// A new empty database, so tests sharing the cluster do not see each other's rows.
    func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PGConnection(url: url(database: "postgres"))
        try admin.execute(script: "CREATE DATABASE \(name)")
        return name
    }

    func destroy() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One cluster for the whole test process; stopped when the process exits.
    static let shared: PostgresCluster = {
        do {
            let cluster = try PostgresCluster(label: "shared")
            sharedClusterDirectory = cluster.directory
            atexit {
                if let dir = sharedClusterDirectory {
                    _ = try? run(Paths.script("pgcluster"), ["stop", dir])
                    try? FileManager.default.removeItem(atPath: dir)
                }
            }
            return cluster
        } catch {
            fatalError("cannot start the test PostgreSQL cluster: \(error)")
        }
    }()
}

/// Read only by the atexit hook, written once before it is installed.
nonisolated(unsafe) private var sharedClusterDirectory: String?

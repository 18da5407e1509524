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

    /// A streaming replica of `primary` (`scripts/pgcluster replica`: pg_basebackup -R, a hot
    /// standby), started; `delaySeconds` makes it apply each commit that late.
    init(replicaOf primary: PostgresCluster, label: String, delaySeconds: Int = 0) throws {
        directory = try Paths.scratchDirectory("pg-\(label)")
        port = freePort()
        try run(Paths.script("pgcluster"), [
            "replica", directory, "--from", primary.directory, "--port", String(port), "--ephemeral", "--delay", String(delaySeconds),
        ])
    }

    func start() throws {
        try run(Paths.script("pgcluster"), ["start", directory, "--port", String(port), "--ephemeral"])
    }

    func stop() {
        _ = try? run(Paths.script("pgcluster"), ["stop", directory])
    }

    /// The server's processes: the postmaster (from `data/postmaster.pid`) and its children.
    func serverProcesses() -> [pid_t] {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
              let postmaster = text.split(separator: "\n").first.flatMap({ pid_t($0) })
        else { return [] }
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // "pid (comm) state ppid …": the parent is the second field after the command.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == postmaster ? pid : nil
        }
        return [postmaster] + children
    }

    /// Sends `signal` to every server process: SIGSTOP hangs the database (connections are
    /// accepted by the kernel and never answered), SIGCONT lets it go on.
    func signalServer(_ signal: Int32) {
        for pid in serverProcesses() { kill(pid, signal) }
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

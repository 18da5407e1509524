import Coordinator
import Foundation
import Logging
import Store

/// What `serve` finds when it first reaches the database, logged once at start: reachable and at
/// the schema this binary expects; reachable but needing `bookiji migrate` (or migrated by a newer
/// bookiji); or unreachable.
///
/// It never stops the responder from starting: an unreachable database is an outage, which the
/// responder already rides out (503 `service_unavailable` on every route, health included, then
/// service resumes by itself), and PostgreSQL coming up after the responder at boot must not need
/// a restart. What it changes is that the operator reads the cause in the first lines of the log
/// instead of finding it at the first request.
enum ServeDatabaseCheck {
    /// Runs the check on a thread of its own, so the responder starts serving (answering 503 if it
    /// must) while a database that does not answer costs the check its connect timeout.
    static func start(url: String, logger: Logger) {
        let thread = Thread { run(url: url, logger: logger) }
        thread.name = "database-check"
        thread.start()
    }

    static func run(url: String, logger: Logger) {
        let started = ContinuousClock.now
        let entries: [Migrator.Entry]
        do {
            entries = try Migrator(Session(url: url)).status(Migration.embedded)
        } catch {
            logger.error("database unreachable at start; requests answer 503 until it answers", metadata: [
                "cause": "\(DatabaseOutage.oneLine("\(error)"))",
            ])
            return
        }
        let elapsed = started.duration(to: .now)
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let pending = entries.filter { $0.state == .pending }.map(\.fileName)
        let foreign = entries.filter {
            switch $0.state {
            case .unknown, .changed: true
            default: false
            }
        }.map(\.fileName)
        let schema = entries.filter {
            if case .applied = $0.state { true } else { false }
        }.last?.fileName ?? "none"
        let metadata: Logger.Metadata = ["schema": "\(schema)", "milliseconds": "\(milliseconds)"]
        if !foreign.isEmpty {
            logger.warning("database reachable, but migrated by another bookiji: deploy the binary that matches it", metadata: metadata.merging([
                "unknownMigrations": "\(foreign.joined(separator: " "))",
            ]) { $1 })
        } else if !pending.isEmpty {
            logger.warning("database reachable, but its schema is behind this binary: run bookiji migrate", metadata: metadata.merging([
                "pendingMigrations": "\(pending.joined(separator: " "))",
            ]) { $1 })
        } else {
            logger.info("database reachable", metadata: metadata)
        }
    }
}

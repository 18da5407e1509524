import ArgumentParser
import Foundation
import Postgres

/// `--database-pooler` and `--direct-database`, for `serve` and `worker`: running through a
/// connection pooler such as PgBouncer in transaction mode, with the few connections that need a
/// server session of their own (LISTEN, leader locks) going around it.
struct DatabasePoolerOptions: ParsableArguments {
    enum Pooler: String, CaseIterable, ExpressibleByArgument {
        case none, transaction
    }

    @Option(help: ArgumentHelp(
        "What --database leads to: none (PostgreSQL itself, or a pooler in session mode) or transaction (a pooler in transaction mode, e.g. PgBouncer's pool_mode = transaction).",
        discussion: """
            With transaction, nothing is kept in a server session between transactions: statements are sent unnamed \
            with their parameters instead of prepared once per connection (each is parsed and planned on every run), \
            and --database-statement-timeout is set per transaction (SET LOCAL); statements outside a transaction get \
            the role's statement_timeout (ALTER ROLE … SET statement_timeout). LISTEN and the worker's leader locks \
            use --direct-database.
            """,
        valueName: "mode"))
    var databasePooler: Pooler = .none

    @Option(help: ArgumentHelp(
        "libpq URL that reaches PostgreSQL without the pooler, for connections that need a session of their own: LISTEN and the worker's leader locks (default: $BOOKIJI_DIRECT_DATABASE_URL, else --database).",
        discussion: "Required with --database-pooler transaction, and must differ from --database then.",
        valueName: "url"))
    var directDatabase: String?

    /// The direct URL given by option or environment, if any.
    private var givenDirectURL: String? {
        if let directDatabase, !directDatabase.isEmpty { return directDatabase }
        if let env = ProcessInfo.processInfo.environment["BOOKIJI_DIRECT_DATABASE_URL"], !env.isEmpty { return env }
        return nil
    }

    func validate() throws {
        if databasePooler == .transaction && givenDirectURL == nil {
            throw ValidationError(
                "--database-pooler transaction needs --direct-database URL (PostgreSQL without the pooler), for LISTEN and the leader locks, which a transaction pooler cannot carry")
        }
    }

    /// The URL for connections that need a session of their own.
    private func directURL(database: String) -> String {
        givenDirectURL ?? database
    }

    /// Sets the process's ``PGPooling`` for `database` (the `--database` URL) before any
    /// connection opens.
    func applyToProcess(database: String) throws {
        let direct = directURL(database: database)
        if databasePooler == .transaction && direct == database {
            throw ValidationError("--direct-database must differ from --database with --database-pooler transaction: it has to bypass the pooler")
        }
        PGPooling.processDefault = PGPooling(mode: databasePooler == .transaction ? .transaction : .none, directURL: direct)
    }
}

import ArgumentParser
import Coordinator
import Foundation
import PartnerAPI
import Store

/// `--database URL`, falling back to `BOOKIJI_DATABASE_URL`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "libpq connection URL (default: $BOOKIJI_DATABASE_URL).")
    var database: String?

    func url() throws -> String {
        if let database, !database.isEmpty { return database }
        if let env = ProcessInfo.processInfo.environment["BOOKIJI_DATABASE_URL"], !env.isEmpty { return env }
        throw CLIError("no database: pass --database URL or set BOOKIJI_DATABASE_URL", exitCode: Sysexits.config)
    }

    /// The Coordinator's way into the database for this command.
    func open() throws -> Database {
        Database(url: try url())
    }

    /// A Store session for commands that work on the tables directly.
    func session() throws -> Session {
        try Self.session(url: url())
    }

    /// A Store session on `url`; a database that cannot be reached is a one-line CLI error.
    static func session(url: String) throws -> Session {
        do {
            return try Session(url: url)
        } catch {
            throw CLIError.translating(error) ?? CLIError(error.message, exitCode: 1)
        }
    }
}


/// Prints one JSON object built with ``JSONWriter``.
func printJSON(_ build: (inout JSONWriter) -> Void) {
    var json = JSONWriter()
    json.objectStart()
    build(&json)
    json.objectEnd()
    print(String(decoding: json.bytes, as: UTF8.self))
}

import ArgumentParser
import BookijiCore
import Foundation
import Postgres
import Store

/// Exit codes from sysexits(3), as the `ics` commands use them.
enum Sysexits {
    /// The command line was wrong (swift-argument-parser's own code for a usage error).
    static let usage: Int32 = 64
    /// Input data was wrong: a malformed value, a rules file that does not parse.
    static let dataError: Int32 = 65
    /// What was named does not exist: an unknown id, an unreadable file.
    static let noInput: Int32 = 66
    /// A service is unavailable: the database cannot be reached.
    static let unavailable: Int32 = 69
    /// Configuration is missing or wrong: no database URL, a schema that needs `bookiji migrate`.
    static let config: Int32 = 78
}

/// An error the CLI prints as one line (`error: …` on standard error) and exits with its code.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = Sysexits.dataError) {
        self.description = description
        self.exitCode = exitCode
    }

    /// "no vendor with id 'x' (ids look like 3f2a9c1e-…)": exit 66.
    static func unknown(_ kind: String, id: String) -> CLIError {
        let hint = UUIDText.isValid(id) ? "" : " (ids look like 3f2a9c1e-7b4d-4e8a-9c1f-2d3e4f5a6b7c)"
        return CLIError("no \(kind) with id '\(id)'\(hint)", exitCode: Sysexits.noInput)
    }

    /// The one place where what went wrong below becomes what the user reads: our own messages
    /// as they are, database failures as what happened and what to do, never PostgreSQL's text.
    /// Nil for errors the caller translates itself (a calendar sync's, an import's).
    static func translating(_ error: any Error) -> CLIError? {
        switch error {
        case let error as CLIError:
            return error
        case let error as ValidationError:
            return CLIError(error.message, exitCode: Sysexits.usage)
        case let error as BookijiError:
            if let store = error.underlying as? StoreError { return translating(store) }
            if let pg = error.underlying as? PGError { return translating(StoreError(.database, "", underlying: pg)) }
            switch error.code {
            case .notFound, .vendorNotFound, .reservationNotFound: return CLIError(error.message, exitCode: Sysexits.noInput)
            case .serviceUnavailable: return CLIError(error.message, exitCode: Sysexits.unavailable)
            case .internalError: return CLIError(error.message, exitCode: 1)
            default: return CLIError(error.message, exitCode: Sysexits.dataError)
            }
        case let error as StoreError:
            return translating(error)
        case let error as PGError:
            let unavailable = error.code == .connectionFailed || error.sqlState.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } == true
            return translating(StoreError(unavailable ? .unavailable : .database, "", underlying: error))
        default:
            return nil
        }
    }

    private static func translating(_ error: StoreError) -> CLIError {
        let state = error.sqlState ?? ""
        switch error.code {
        case .unavailable:
            return CLIError(
                "cannot reach the database; check --database (or BOOKIJI_DATABASE_URL) and that PostgreSQL is running",
                exitCode: Sysexits.unavailable)
        case .conflict:
            return CLIError("the change collided with another one and was rolled back; run the command again", exitCode: Sysexits.unavailable)
        case .uniqueViolation:
            return CLIError("that already exists (it would duplicate an existing \(error.constraint ?? "entry"))")
        case .migration:
            return CLIError(error.message, exitCode: Sysexits.config)
        case .notBookable, .invalidData:
            return CLIError(error.message)
        default:
            break
        }
        if state == "22P02" || state.hasPrefix("22") {
            return CLIError("a value is not in the form expected (ids look like 3f2a9c1e-7b4d-4e8a-9c1f-2d3e4f5a6b7c, times like 2026-12-31T00:00:00Z)")
        }
        if state.hasPrefix("23") {
            return CLIError("the database refused the change: it breaks the rule '\(error.constraint ?? "unnamed")'")
        }
        if state == "42P01" || state == "42703" {
            return CLIError("the database schema is older than this bookiji; run `bookiji migrate`", exitCode: Sysexits.config)
        }
        return CLIError("unexpected database failure (SQLSTATE \(state.isEmpty ? "none" : state)); the PostgreSQL log has the details", exitCode: 1)
    }
}

/// Runs a command's work; errors we know become one line on standard error and a sysexits code.
func cliErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        guard let translated = CLIError.translating(error) else { throw error }
        FileHandle.standardError.write(Data("error: \(translated.description)\n".utf8))
        throw ExitCode(translated.exitCode)
    }
}

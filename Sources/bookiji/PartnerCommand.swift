import ArgumentParser
import BookijiCore
import Store

struct PartnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Manage partners and their API keys.",
        subcommands: [Create.self, Revoke.self, List.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a partner and print its API key (shown once).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Partner name.") var name: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let (partner, key) = try cliErrors { try PartnerStore(connection: db.connect()).create(name: name) }
            if json {
                printJSON { $0.field("id", partner.id); $0.field("name", partner.name); $0.field("apiKey", key) }
            } else {
                print("partner \(partner.id) (\(partner.name))")
                print("API key (shown once, store it now): \(key)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a partner's API key.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Partner id.") var id: String

        func run() throws {
            guard try cliErrors({ try PartnerStore(connection: db.connect()).revoke(id: id) }) else {
                throw CLIError("no partner with id '\(id)'")
            }
            print("revoked partner \(id)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partners.")
        @OptionGroup var db: DatabaseOptions

        func run() throws {
            for partner in try cliErrors({ try PartnerStore(connection: db.connect()).list() }) {
                print("\(partner.id)  \(partner.keyPrefix)…  \(partner.revokedAt == nil ? "active " : "revoked")  \(partner.name)")
            }
        }
    }
}

/// Runs store work and turns domain and database errors into one-line CLI errors.
func cliErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as BookijiError {
        throw CLIError(error.message)
    } catch let error as StoreError {
        throw CLIError(error.message)
    } catch let error as Postgres.PGError {
        throw CLIError("database: \(error.message)")
    }
}

import Postgres

import ArgumentParser
import Foundation
import BookijiCore
import Store

struct PartnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Manage partners and their API keys.",
        subcommands: [Create.self, Revoke.self, List.self, Limits.self, Stats.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a partner and print its API key (shown once).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Partner name.") var name: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let (partner, key) = try cliErrors { try PartnerStore(db.session()).create(name: name) }
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
            guard try cliErrors({ try PartnerStore(db.session()).revoke(id: id) }) else {
                throw CLIError("no partner with id '\(id)'")
            }
            print("revoked partner \(id)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partners.")
        @OptionGroup var db: DatabaseOptions

        func run() throws {
            for partner in try cliErrors({ try PartnerStore(db.session()).list() }) {
                print("\(partner.id)  \(partner.keyPrefix)…  \(partner.revokedAt == nil ? "active " : "revoked")  \(partner.name)")
            }
        }
    }
}

extension PartnerCommand {
    struct Limits: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show or change a partner's abuse limits.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Partner id.") var id: String
        @Option(help: "Reservations the partner may create per hour.") var perHour: Int?
        @Option(help: "Active holds the partner may have at once.") var maxHolds: Int?

        func run() throws {
            let store = try PartnerStore(db.session())
            let limits = try cliErrors { () throws -> PartnerLimits? in
                if perHour == nil && maxHolds == nil { return try store.limits(id: id) }
                return try store.setLimits(id: id, reservationsPerHour: perHour, maxActiveHolds: maxHolds)
            }
            guard let limits else { throw CLIError("no partner with id '\(id)'") }
            print("reservations per hour: \(limits.reservationsPerHour)\nmax active holds:      \(limits.maxActiveHolds)")
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a partner's 7-day hold-to-commit reputation and usage.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Partner id.") var id: String

        func run() throws {
            let store = try PartnerStore(db.session())
            let now = Int64(Date().timeIntervalSince1970)
            let (reputation, usage) = try cliErrors { (try store.reputation(id: id, now: now), try store.usage(id: id, now: now)) }
            let ratio = reputation.holdToCommitRatio.map { String(format: "%.3f", $0) } ?? "n/a (no holds)"
            print("""
                last \(reputation.days) days: \(reputation.holds) holds, \(reputation.committed) committed, \(reputation.expired) expired, \
                \(reputation.cancelled) cancelled, \(reputation.failed) failed, \(reputation.active) active
                hold-to-commit ratio: \(ratio)
                created in the last hour: \(usage.createdLastHour); active holds now: \(usage.activeHolds)
                """)
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

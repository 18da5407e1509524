import ArgumentParser
import Foundation
import BookijiCore
import Coordinator
import PartnerAPI
import Store

struct PartnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Manage partners and their API keys.",
        subcommands: [Create.self, Revoke.self, List.self, Limits.self, Stats.self, Key.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a partner and print its API key (shown once).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Partner name.") var name: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let (partner, key) = try cliErrors { try PartnerStore(db.session()).create(name: name) }
            if json {
                printJSON { $0.field("partnerId", partner.id); $0.field("name", partner.name); $0.field("apiKey", key) }
            } else {
                print("partner \(partner.id) (\(partner.name))")
                print("API key (shown once, store it now): \(key)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a partner: every key it holds is refused.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Partner id.") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            try cliErrors {
                guard try PartnerStore(db.session()).revoke(id: id) else { throw CLIError.unknown("partner", id: id) }
            }
            if json { printJSON { $0.field("partnerId", id); $0.field("revoked", true) } } else { print("revoked partner \(id)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List partners.")
        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let partners = try cliErrors { try PartnerStore(db.session()).list() }
            if json {
                printJSON { out in
                    out.key("partners")
                    out.arrayStart()
                    for partner in partners {
                        out.objectStart()
                        out.field("partnerId", partner.id)
                        out.field("name", partner.name)
                        out.field("keyPrefix", partner.keyPrefix.isEmpty ? nil : partner.keyPrefix)
                        out.field("status", partner.revokedAt == nil ? "active" : "revoked")
                        out.key("createdAt"); out.instant(text: partner.createdAt)
                        out.key("revokedAt"); if let at = partner.revokedAt { out.instant(text: at) } else { out.null() }
                        out.objectEnd()
                    }
                    out.arrayEnd()
                }
                return
            }
            for partner in partners {
                let prefix = partner.keyPrefix.isEmpty ? "(no live key)" : partner.keyPrefix + "…"
                print("\(partner.id)  \(prefix)  \(partner.revokedAt == nil ? "active " : "revoked")  \(partner.name)")
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
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let limits = try cliErrors { () throws -> PartnerLimits in
                let store = try PartnerStore(db.session())
                let found = perHour == nil && maxHolds == nil
                    ? try store.limits(id: id)
                    : try store.setLimits(id: id, reservationsPerHour: perHour, maxActiveHolds: maxHolds)
                guard let found else { throw CLIError.unknown("partner", id: id) }
                return found
            }
            if json {
                printJSON {
                    $0.field("partnerId", id)
                    $0.field("reservationsPerHour", limits.reservationsPerHour)
                    $0.field("maxActiveHolds", limits.maxActiveHolds)
                }
            } else {
                print("reservations per hour: \(limits.reservationsPerHour)\nmax active holds:      \(limits.maxActiveHolds)")
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a partner's 7-day hold-to-commit reputation and usage.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Partner id.") var id: String
        @Flag(help: "Print one JSON object (as GET /v1/partner/stats).") var json = false

        func run() throws {
            let standing = try cliErrors { () throws -> PartnerStanding in
                let database = try db.open()
                guard try PartnerStore(db.session()).find(id: id) != nil else { throw CLIError.unknown("partner", id: id) }
                return try PartnerAccount(database: database).standing(partnerID: id, now: Int64(Date().timeIntervalSince1970))
            }
            if json {
                print(String(decoding: APIRendering.partnerStats(partnerID: id, standing), as: UTF8.self))
                return
            }
            let (reputation, usage) = (standing.reputation, standing.usage)
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

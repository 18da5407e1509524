import ArgumentParser
import BookijiCore
import Coordinator
import Foundation
import PartnerAPI
import Store

struct VendorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendor", abstract: "Manage vendors.", subcommands: [Create.self, Show.self, Rules.self, Payments.self, Notify.self, Key.self, Sources.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a vendor.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Vendor name.") var name: String
        @Option(help: "IANA time zone, e.g. Europe/Berlin.") var timezone: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let vendor = try cliErrors { try VendorStore(db.session()).create(name: name, timeZone: timezone) }
            if json {
                printJSON { $0.field("id", vendor.id); $0.field("name", vendor.name); $0.field("timezone", vendor.timeZone) }
            } else {
                print("vendor \(vendor.id) (\(vendor.name), \(vendor.timeZone))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a vendor.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Vendor id.") var id: String

        func run() throws {
            guard let (vendor, payments) = try cliErrors({ try VendorDirectory(database: db.open()).vendorWithPayments(id: id) }) else {
                throw CLIError("no vendor with id '\(id)'")
            }
            print("id:       \(vendor.id)\nname:     \(vendor.name)\ntimezone: \(vendor.timeZone)\nrevision: \(vendor.revision)")
            print("payments: " + (payments.map(Payments.describe) ?? "none (set them with `bookiji vendor payments set`)"))
            let channels = try cliErrors { try VendorNotifications(database: db.open()).channels(vendorID: id) }
            print("notify:   " + Notify.describe(channels))
        }
    }

    struct Payments: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A vendor's payment settings: without them it cannot be held.", subcommands: [Set.self])

        static func describe(_ payments: VendorPayments) -> String {
            "\(payments.price) \(payments.currency) price, \(payments.deposit) deposit, \(payments.platformFee) platform fee "
                + "(minor units), Stripe account \(payments.stripeAccount)"
        }

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set the Stripe account, currency, price, deposit and platform fee (amounts in minor units: cents).",
                discussion: "Reservations already held keep the amounts they were held at.")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var id: String
            @Option(help: "The vendor's Stripe Connect account (acct_…).") var stripeAccount: String
            @Option(help: "ISO 4217 currency, lower case (eur).") var currency: String
            @Option(help: "What the requester pays, in minor units.") var price: Int64
            @Option(help: "The vendor's deposit, in minor units.") var deposit: Int64
            @Option(help: "The platform's fee out of the price, in minor units.") var platformFee: Int64 = 0
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let wanted = VendorPayments(
                    stripeAccount: stripeAccount, currency: currency, price: price, deposit: deposit, platformFee: platformFee)
                guard let stored = try cliErrors({ try VendorDirectory(database: db.open()).setPayments(id: id, wanted) }) else {
                    throw CLIError("no vendor with id '\(id)'")
                }
                if json {
                    printJSON { out in
                        out.field("vendorId", id)
                        out.key("payments")
                        VendorJSON.payments(stored, into: &out)
                    }
                } else {
                    print("vendor \(id): \(Payments.describe(stored))")
                }
            }
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the keys a vendor uses to confirm or decline reservations.",
            subcommands: [Create.self, Revoke.self, List.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a vendor key and print it (shown once).")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var vendorID: String
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                guard let (id, key) = try cliErrors({ try VendorKeyStore(db.session()).create(vendorID: vendorID) }) else {
                    throw CLIError("no vendor with id '\(vendorID)'")
                }
                if json {
                    printJSON { $0.field("id", id); $0.field("vendorId", vendorID); $0.field("apiKey", key) }
                } else {
                    print("vendor key \(id) for vendor \(vendorID)\nAPI key (shown once, store it now): \(key)")
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a vendor key: the responder refuses it (401) from the next request on.")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Key id (printed by `vendor key create`, listed by `vendor key list`).") var keyID: String

            func run() throws {
                guard let vendorID = try cliErrors({ try VendorKeyStore(db.session()).revoke(id: keyID) }) else {
                    throw CLIError("no vendor key with id '\(keyID)'")
                }
                print("revoked vendor key \(keyID) of vendor \(vendorID)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a vendor's keys (ids and prefixes, never the keys).")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var vendorID: String

            func run() throws {
                for key in try cliErrors({ try VendorKeyStore(db.session()).list(vendorID: vendorID) }) {
                    print("\(key.id)  \(key.prefix)…  \(key.revoked ? "revoked" : "active ")")
                }
            }
        }
    }

    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set a vendor's availability rules (JSON).",
            discussion: """
                The document: {"timeZone":"Europe/Berlin","weeklyHours":{"monday":[{"start":"09:00","end":"17:00"}]},
                "dateOverrides":[{"date":"2026-12-24","hours":[]}],"slotMinutes":30,"bufferBeforeMinutes":0,
                "bufferAfterMinutes":10,"minimumNoticeMinutes":120,"bookingHorizonDays":60,"granuleMinutes":5}
                timeZone, weeklyHours and slotMinutes are required. Without rules a vendor works
                Monday to Friday 09:00-17:00 in its zone with 60-minute slots.
                """,
            subcommands: [Show.self, Set.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the vendor's rules as JSON.")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var id: String

            func run() throws {
                guard let vendor = try cliErrors({ try VendorStore(db.session()).find(id: id) }) else {
                    throw CLIError("no vendor with id '\(id)'")
                }
                print(try cliErrors { VendorRulesDocument.encode(try VendorRulesDocument.rules(of: vendor)) })
            }
        }

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Replace the vendor's rules with a JSON document.")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var id: String
            @Option(help: "File holding the rules JSON ('-' for standard input).") var file: String

            func run() throws {
                let data: Data
                if file == "-" {
                    data = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    guard let contents = FileManager.default.contents(atPath: file) else {
                        throw CLIError("cannot read '\(file)'")
                    }
                    data = contents
                }
                let vendor = try cliErrors { () throws -> Vendor in
                    let rules = try VendorRulesDocument.decode(Array(data))
                    guard let updated = try VendorStore(db.session()).setRules(
                        id: id, rulesJSON: VendorRulesDocument.encode(rules), timeZone: rules.timeZone)
                    else { throw CLIError("no vendor with id '\(id)'") }
                    return updated
                }
                print("rules set for vendor \(vendor.id) (revision \(vendor.revision))")
            }
        }
    }
}

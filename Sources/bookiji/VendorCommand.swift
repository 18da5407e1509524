import ArgumentParser
import BookijiCore
import Coordinator
import Foundation
import PartnerAPI
import Store

struct VendorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendor", abstract: "Manage vendors.", subcommands: [Create.self, List.self, Show.self, Reservations.self, Rules.self, Payments.self, Notify.self, Key.self, Sources.self])

    /// A vendor in the API's field names (`GET /v1/vendors/{vendorId}`).
    static func write(_ vendor: Vendor, to json: inout JSONWriter) {
        json.field("vendorId", vendor.id)
        json.field("name", vendor.name)
        json.field("timezone", vendor.timeZone)
        json.field("revision", vendor.revision)
        json.key("createdAt"); json.instant(vendor.createdAtMillis / 1000)
        json.key("updatedAt"); json.instant(vendor.updatedAtMillis / 1000)
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a vendor.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Vendor name.") var name: String
        @Option(help: "IANA time zone, e.g. Europe/Berlin (tzdata's aliases such as CET or US/Eastern too).") var timezone: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let vendor = try cliErrors { try VendorDirectory(database: db.open()).create(name: name, timeZone: timezone) }
            if json {
                printJSON { VendorCommand.write(vendor, to: &$0) }
            } else {
                print("vendor \(vendor.id) (\(vendor.name), \(vendor.timeZone))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a vendor.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Vendor id.") var id: String
        @Flag(help: "Print one JSON object (as GET /v1/vendors/{vendorId}, with notification channels).") var json = false

        func run() throws {
            let (vendor, payments, channels) = try cliErrors { () throws -> (Vendor, VendorPayments?, VendorNotificationChannels) in
                let database = try db.open()
                guard let (vendor, payments) = try VendorDirectory(database: database).vendorWithPayments(id: id) else {
                    throw CLIError.unknown("vendor", id: id)
                }
                return (vendor, payments, try VendorNotifications(database: database).channels(vendorID: id))
            }
            if json {
                printJSON { out in
                    VendorCommand.write(vendor, to: &out)
                    out.key("rules")
                    out.raw(Array(VendorRulesDocument.json(of: vendor).utf8))
                    out.key("payments")
                    VendorJSON.payments(payments, into: &out)
                    out.key("notify")
                    out.objectStart()
                    out.field("webhookUrl", channels.webhookURL)
                    out.field("email", channels.email)
                    out.objectEnd()
                }
                return
            }
            print("id:       \(vendor.id)\nname:     \(vendor.name)\ntimezone: \(vendor.timeZone)\nrevision: \(vendor.revision)")
            print("payments: " + (payments.map(Payments.describe) ?? "none (set them with `bookiji vendor payments set`)"))
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
                let stored = try cliErrors { () throws -> VendorPayments in
                    guard let stored = try VendorDirectory(database: db.open()).setPayments(id: id, wanted) else {
                        throw CLIError.unknown("vendor", id: id)
                    }
                    return stored
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
                let (id, key) = try cliErrors { () throws -> (String, String) in
                    guard let created = try VendorKeyStore(db.session()).create(vendorID: vendorID) else {
                        throw CLIError.unknown("vendor", id: vendorID)
                    }
                    return created
                }
                if json {
                    printJSON { $0.field("keyId", id); $0.field("vendorId", vendorID); $0.field("apiKey", key) }
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
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let vendorID = try cliErrors { () throws -> String in
                    guard let vendorID = try VendorKeyStore(db.session()).revoke(id: keyID) else {
                        throw CLIError.unknown("vendor key", id: keyID)
                    }
                    return vendorID
                }
                if json {
                    printJSON { $0.field("keyId", keyID); $0.field("vendorId", vendorID); $0.field("status", "revoked") }
                } else {
                    print("revoked vendor key \(keyID) of vendor \(vendorID)")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a vendor's keys (ids and prefixes, never the keys).")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var vendorID: String
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let keys = try cliErrors { () throws -> [(id: String, prefix: String, revoked: Bool)] in
                    let session = try db.session()
                    guard try VendorStore(session).find(id: vendorID) != nil else { throw CLIError.unknown("vendor", id: vendorID) }
                    return try VendorKeyStore(session).list(vendorID: vendorID)
                }
                if json {
                    printJSON { out in
                        out.field("vendorId", vendorID)
                        out.key("keys")
                        out.arrayStart()
                        for key in keys {
                            out.objectStart()
                            out.field("keyId", key.id)
                            out.field("keyPrefix", key.prefix)
                            out.field("status", key.revoked ? "revoked" : "active")
                            out.objectEnd()
                        }
                        out.arrayEnd()
                    }
                    return
                }
                for key in keys {
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
            @Flag(help: "Print the JSON document (the rules are always shown as JSON).") var json = false

            func run() throws {
                print(try cliErrors { () throws -> String in
                    guard let vendor = try VendorStore(db.session()).find(id: id) else { throw CLIError.unknown("vendor", id: id) }
                    return VendorRulesDocument.encode(try VendorRulesDocument.rules(of: vendor))
                })
            }
        }

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replace the vendor's rules with a JSON document.",
                discussion: "A document naming another zone than the vendor's is refused unless --change-zone is given.")
            @OptionGroup var db: DatabaseOptions
            @Argument(help: "Vendor id.") var id: String
            @Option(help: "File holding the rules JSON ('-' for standard input).") var file: String
            @Flag(help: "Allow the document to change the vendor's time zone.") var changeZone = false
            @Flag(help: "Print one JSON object.") var json = false

            func run() throws {
                let vendor = try cliErrors { () throws -> Vendor in
                    let data: Data
                    if file == "-" {
                        data = FileHandle.standardInput.readDataToEndOfFile()
                    } else {
                        guard let contents = FileManager.default.contents(atPath: file) else {
                            throw CLIError("cannot read '\(file)'", exitCode: Sysexits.noInput)
                        }
                        data = contents
                    }
                    try RulesFileSyntax.check(data, file: file == "-" ? "standard input" : file)
                    let rules = try VendorRulesDocument.decode(Array(data))
                    let store = try VendorStore(db.session())
                    guard let current = try store.find(id: id) else { throw CLIError.unknown("vendor", id: id) }
                    if rules.timeZone != current.timeZone && !changeZone {
                        throw CLIError(
                            "the rules name the zone \(rules.timeZone) but vendor \(id) is in \(current.timeZone); "
                                + "pass --change-zone to move the vendor, or set timeZone to \(current.timeZone)")
                    }
                    guard let updated = try store.setRules(
                        id: id, rulesJSON: VendorRulesDocument.encode(rules), timeZone: rules.timeZone)
                    else { throw CLIError.unknown("vendor", id: id) }
                    return updated
                }
                if json {
                    printJSON { VendorCommand.write(vendor, to: &$0) }
                } else {
                    print("rules set for vendor \(vendor.id) (revision \(vendor.revision))")
                }
            }
        }
    }
}

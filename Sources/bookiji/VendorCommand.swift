import ArgumentParser
import Store

struct VendorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendor", abstract: "Manage vendors.", subcommands: [Create.self, Show.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a vendor.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Vendor name.") var name: String
        @Option(help: "IANA time zone, e.g. Europe/Berlin.") var timezone: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let vendor = try cliErrors { try VendorStore(connection: db.connect()).create(name: name, timeZone: timezone) }
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
            guard let vendor = try cliErrors({ try VendorStore(connection: db.connect()).find(id: id) }) else {
                throw CLIError("no vendor with id '\(id)'")
            }
            print("id:       \(vendor.id)\nname:     \(vendor.name)\ntimezone: \(vendor.timeZone)\nrevision: \(vendor.revision)")
        }
    }
}

import ArgumentParser
import BookijiCore
import Coordinator
import Foundation
import PartnerAPI
import Store

extension VendorCommand {
    /// `bookiji vendor list [--json]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List vendors.")
        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let vendors = try cliErrors { try VendorDirectory(database: db.open()).list() }
            if json {
                printJSON { out in
                    out.key("vendors")
                    out.arrayStart()
                    for vendor in vendors { out.objectStart(); VendorCommand.write(vendor, to: &out); out.objectEnd() }
                    out.arrayEnd()
                }
                return
            }
            for vendor in vendors { print("\(vendor.id)  \(vendor.timeZone)  \(vendor.name)") }
        }
    }

    /// `bookiji vendor reservations VENDOR_ID [--state S] [--limit N] [--json]`: what
    /// `GET /v1/vendor/reservations` answers the vendor.
    struct Reservations: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a vendor's reservations, newest first.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Vendor id.") var vendorID: String
        @Option(help: "Only reservations in this state (e.g. HELD, COMMITTED).") var state: String?
        @Option(help: "How many, newest first (1 to 200).") var limit = 50
        @Flag(help: "Print one JSON object (as GET /v1/vendor/reservations).") var json = false

        func run() throws {
            let records = try cliErrors { () throws -> [ReservationRecord] in
                var wanted: ReservationState?
                if let state, !state.isEmpty {
                    guard let parsed = ReservationState(rawValue: state.uppercased()) else {
                        throw CLIError(
                            "--state must be one of \(ReservationState.allCases.map(\.rawValue).joined(separator: ", "))",
                            exitCode: Sysexits.usage)
                    }
                    wanted = parsed
                }
                guard (1...200).contains(limit) else { throw CLIError("--limit must be 1 to 200", exitCode: Sysexits.usage) }
                let database = try db.open()
                guard try VendorStore(db.session()).find(id: vendorID) != nil else { throw CLIError.unknown("vendor", id: vendorID) }
                return try VendorReservations(database: database).list(
                    vendorID: vendorID, state: wanted, after: nil, limit: limit + 1, now: Int64(Date().timeIntervalSince1970))
            }
            if json {
                print(String(decoding: APIRendering.reservationPage(records, limit: limit, vendorView: true), as: UTF8.self))
                return
            }
            for record in records.prefix(limit) {
                print("\(record.id)  \(record.state.rawValue)  \(RFC3339.format(record.slot.start))  \(record.createdAtText)")
            }
            if records.count > limit { print("(more: raise --limit, or page with GET /v1/vendor/reservations)") }
        }
    }
}

/// Where a rules file stops being JSON, as line and column, before the document is read.
enum RulesFileSyntax {
    static func check(_ data: Data, file: String) throws {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
        } catch {
            let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            let bytes = Array(data)
            // Foundation says "… around character N." (an offset into the bytes).
            var offset = bytes.count
            if let range = text.range(of: "character "), let number = Int(text[range.upperBound...].prefix(while: \.isNumber)) {
                offset = min(number, bytes.count)
            } else if let range = text.range(of: "line "), let line = Int(text[range.upperBound...].prefix(while: \.isNumber)) {
                throw CLIError("\(file): line \(line): not valid JSON: \(text)")
            }
            var line = 1, column = 1
            for byte in bytes[..<offset] {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            let reason = text.replacingOccurrences(of: #" around (line \d+, column \d+|character \d+)\.?"#, with: "", options: .regularExpression)
            throw CLIError("\(file): line \(line), column \(column): not valid JSON (\(reason.isEmpty ? "syntax error" : reason))")
        }
    }
}

import ArgumentParser
import BookijiCore
import Foundation
import PartnerAPI
import Store

extension VendorCommand {
    /// `bookiji vendor sources VENDOR_ID [--json]`: the calendar sources availability uses.
    struct Sources: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a vendor's calendar sources: kind, status, last sync, last error, covered window.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Vendor id.") var vendorID: String
        @Flag(help: "Print one JSON object.") var json = false

        /// A source with what the listing shows beside the stored row.
        struct Row {
            var source: CalendarSource
            var url: String?
            var intervals: Int
        }

        func run() throws {
            let rows = try cliErrors { () throws -> [Row] in
                let session = try db.session()
                guard try VendorStore(session).find(id: vendorID) != nil else {
                    throw CLIError.unknown("vendor", id: vendorID)
                }
                let store = CalendarStore(session)
                let counts = try store.intervalCounts(vendorID: vendorID)
                return try store.sources(vendorID: vendorID).map { source in
                    Row(
                        source: source,
                        url: source.kind == .icsURL ? try store.feedState(sourceID: source.id).url : nil,
                        intervals: counts[source.id] ?? 0)
                }
            }
            if json {
                printJSON { json in
                    json.field("vendorId", vendorID)
                    json.key("sources")
                    json.arrayStart()
                    for row in rows { Self.write(row, to: &json) }
                    json.arrayEnd()
                }
                return
            }
            guard !rows.isEmpty else {
                print("vendor \(vendorID) has no calendar sources (add one with `bookiji import-ics`)")
                return
            }
            for row in rows { print(Self.text(row), terminator: "") }
        }

        static func covered(_ window: UTCInterval?) -> String {
            guard let window else { return "nothing yet" }
            return "[\(RFC3339.format(window.start)), \(RFC3339.format(window.end)))"
        }

        static func text(_ row: Row) -> String {
            let s = row.source
            var out = "\(s.name)  \(s.kind.rawValue)  \(s.status)  last sync \(s.lastSyncedAt ?? "never")\n"
            if let url = row.url { out += "  url:        \(url)\n" }
            out += "  covers:     \(covered(s.covered)), \(row.intervals) interval\(row.intervals == 1 ? "" : "s")\n"
            if let error = s.lastError { out += "  last error: \(error)\n" }
            return out
        }

        static func write(_ row: Row, to json: inout JSONWriter) {
            let s = row.source
            json.objectStart()
            json.field("id", s.id)
            json.field("name", s.name)
            json.field("kind", s.kind.rawValue)
            json.field("status", s.status)
            json.field("lastSyncedAt", s.lastSyncedAt)
            json.field("lastError", s.lastError)
            json.key("covered")
            if let covered = s.covered {
                json.objectStart()
                json.key("start"); json.instant(covered.start)
                json.key("end"); json.instant(covered.end)
                json.objectEnd()
            } else {
                json.null()
            }
            json.field("intervals", row.intervals)
            json.field("url", row.url)
            json.field("contentDigest", s.contentDigest)
            json.objectEnd()
        }
    }
}

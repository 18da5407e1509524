import ArgumentParser
import Coordinator
import Foundation

struct Expire: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the timeout of every reservation past its deadline (one idempotent sweep; `bookiji worker` does this continuously).")

    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let count = try cliErrors {
            try ReservationCoordinator(database: db.open()).expireAll(now: Int64(Date().timeIntervalSince1970))
        }
        if json { printJSON { $0.field("expired", count) } } else { print("expired \(count) reservation\(count == 1 ? "" : "s")") }
    }
}

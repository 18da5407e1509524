import ArgumentParser
import Coordinator
import Foundation

struct Expire: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the timeout of every reservation past its deadline (one idempotent sweep; `bookiji worker` does this continuously).")

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let count = try cliErrors {
            try ReservationCoordinator(database: db.open()).expireAll(now: Int64(Date().timeIntervalSince1970))
        }
        print("expired \(count) reservation\(count == 1 ? "" : "s")")
    }
}

import ArgumentParser
import Coordinator
import Foundation

struct Expire: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Expire every reservation past its deadline (one idempotent sweep; safe on several machines at once).")

    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let count = try cliErrors {
            try ReservationCoordinator(connection: db.connect()).expireAll(now: Int64(Date().timeIntervalSince1970))
        }
        print("expired \(count) reservation\(count == 1 ? "" : "s")")
    }
}

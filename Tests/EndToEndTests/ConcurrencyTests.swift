import Foundation
import Postgres
import Testing

/// Capacity 1 under contention, through nginx and the real responder.
@Suite(.serialized)
struct ConcurrencyTests {
    /// nginx's per-address limit would turn this load into 429s; these tests are about the database.
    static let unthrottled = ["--rate", "1000000r/s", "--burst", "1000000", "--conn-limit", "65535"]

    @Test func twoHundredConcurrentHoldsForOneSlotGiveExactlyOneWinner() throws {
        let service = try Service(responderArguments: ["--threads", "8"], nginxArguments: Self.unthrottled)
        defer { service.stop() }
        let partner = try service.createPartner()
        try service.setLimits(partner: partner.id, perHour: 1_000_000, maxHolds: 1_000_000)
        let vendor = try service.createOpenVendor()
        let start = Booking.day(7) + 10 * 3600
        let statuses = Results.raceHolds(200, port: service.port, key: partner.key, vendor: vendor, start: start).statuses
        #expect(statuses.count == 200)
        #expect(statuses.filter { $0 == 201 }.count == 1, "statuses: \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        #expect(statuses.filter { $0 == 409 }.count == 199)
        #expect(try service.sql().query("SELECT count(*) FROM reservations").first!.int(0) == 1)
    }

    @Test(arguments: [false, true])
    func twentyThousandMixedHoldsNeverOverlap(advisoryLocks: Bool) throws {
        let service = try Service(
            responderArguments: ["--threads", "8"] + (advisoryLocks ? [] : ["--unsafe-disable-advisory-locks"]),
            nginxArguments: Self.unthrottled)
        defer { service.stop() }
        let partner = try service.createPartner()
        try service.setLimits(partner: partner.id, perHour: 1_000_000, maxHolds: 1_000_000)
        var vendors: [String] = []
        for i in 0..<50 { vendors.append(try service.createOpenVendor(name: "V\(i)")) }
        let day = Booking.day(7)
        let results = Results()
        let clients = 64, total = 20_000
        let done = DispatchGroup()
        for client in 0..<clients {
            done.enter()
            let vendorsCopy = vendors
            Thread {
                var rng = SplitMix(seed: UInt64(client) &* 0x9E37_79B9_7F4A_7C15 &+ (advisoryLocks ? 1 : 2))
                let connection = KeepAliveClient(port: service.port)
                for _ in stride(from: client, to: total, by: clients) {
                    // Mixed durations, each on its own grid inside 06:00-22:00, so they overlap freely.
                    let minutes = [30, 60, 90, 120][Int(rng.next() % 4)]
                    let slots = (16 * 60) / minutes
                    let start = day + Int64(rng.next() % 2) * 86_400 + 6 * 3600 + Int64(Int(rng.next() % UInt64(slots)) * minutes * 60)
                    let vendor = vendorsCopy[Int(rng.next() % UInt64(vendorsCopy.count))]
                    let response = try? connection.send(
                        method: "POST", path: "/v1/reservations",
                        headers: ["Authorization": "Bearer \(partner.key)", "Content-Type": "application/json"],
                        body: Booking.body(vendor: vendor, start: start, minutes: minutes))
                    results.add(response)
                }
                done.leave()
            }.start()
        }
        done.wait()

        let statuses = results.statuses
        let created = results.createdIDs
        let tally = Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count)
        #expect(statuses.count == total, "every request got an answer")
        if advisoryLocks {
            #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 }, "only 201 and 409: \(tally)")
        } else {
            // Without the locks, racing inserts can deadlock inside the exclusion check; after
            // three tries the loser is told to retry (503, retryable) and nothing was written.
            #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 || $0 == 503 }, "only 201, 409 and retryable 503: \(tally)")
            #expect(results.unavailableWereRetryable)
        }
        #expect(created.count > 500, "plenty of holds succeeded (\(created.count))")

        let db = try service.sql()
        let overlaps = try db.query("""
            SELECT count(*) FROM reservations a JOIN reservations b
              ON a.vendor_id = b.vendor_id AND a.id < b.id AND a.slot && b.slot
            WHERE reservation_blocks_slot(a.state) AND reservation_blocks_slot(b.state)
            """).first!.int(0)
        #expect(overlaps == 0)
        let rows = try db.query("SELECT count(*) FROM reservations").first!.int(0)
        #expect(rows == created.count, "one row per 201 and no row without one")
        let matched = try db.query(
            "SELECT count(*) FROM reservations WHERE id = ANY($1::uuid[]) AND state = 'AWAITING_VENDOR_CONFIRMATION'",
            [PGArray(Array(created))]).first!.int(0)
        #expect(matched == created.count)
    }
}

/// Responses gathered from many threads.
final class Results: @unchecked Sendable {  // guarded by the lock
    /// `count` holds of the same 60-minute slot sent at once through nginx on `port`, each from
    /// its own thread and connection, released together; their answers.
    static func raceHolds(_ count: Int, port: Int, key: String, vendor: String, start: Int64) -> Results {
        let results = Results()
        let gate = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for i in 0..<count {
            done.enter()
            Thread {
                gate.wait()
                let response = try? HTTPClient.send(
                    port: port, method: "POST", path: "/v1/reservations",
                    headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                    body: Booking.body(vendor: vendor, start: start, minutes: 60, requester: "r\(i)"))
                results.add(response)
                done.leave()
            }.start()
        }
        for _ in 0..<count { gate.signal() }
        done.wait()
        return results
    }

    private let lock = NSLock()
    private var all: [Int] = []
    private var ids: Set<String> = []
    private var retryable = true

    func add(_ response: WireResponse?) {
        let id = response?.status == 201 ? response?.json["reservationId"] as? String : nil
        let unavailableOK = response?.status != 503 || response?.error?["retryable"] as? Bool == true
        lock.lock()
        all.append(response?.status ?? -1)
        if let id { ids.insert(id) }
        retryable = retryable && unavailableOK
        lock.unlock()
    }

    /// Every 503 said `retryable: true`.
    var unavailableWereRetryable: Bool { lock.lock(); defer { lock.unlock() }; return retryable }

    var statuses: [Int] { lock.lock(); defer { lock.unlock() }; return all }
    var createdIDs: Set<String> { lock.lock(); defer { lock.unlock() }; return ids }
}

/// A small seeded generator so a failing run can be repeated.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

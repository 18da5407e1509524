import Foundation
import Postgres
import Synchronization
import Testing

/// The read replica (issue 16, point 3): `bookiji serve --read-database` on a real streaming
/// replica made by `scripts/pgcluster replica` (pg_basebackup -R) of a private primary. Reads
/// are proved to reach the replica by its own table statistics and by the responder's routing
/// counter; a partner reads its own writes at once; a stopped replica and a lagging one are
/// bypassed, the lagging one so that no answer is older than --max-replica-lag.
@Suite(.serialized)
struct ReadReplicaTests {
    static let routed = "bookiji_replica_routed_reads_total"

    @Test func availabilityAndReservationListsAreServedByTheReplica() throws {
        let stack = try ReplicaStack(delaySeconds: 0, maxLag: 1)
        defer { stack.stop() }
        let (writer, reader, vendor) = try stack.partiesAndVendor()
        let start = Booking.day(7) + 8 * 3600
        for i in 0..<5 {
            #expect(try stack.service.hold(key: writer.key, vendor: vendor, start: start + Int64(i) * 1800, minutes: 30).status == 201)
        }
        // The writer's reads come back to the replica once it holds the writer's holds.
        #expect(eventually(seconds: 10) { stack.routedToReplica { try stack.service.get("/v1/reservations", key: writer.key) } })
        #expect(eventually(seconds: 10) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } })

        let scansBefore = try stack.replicaTableScans()
        let before = try stack.metrics()
        for _ in 0..<20 {
            let list = try stack.service.get("/v1/reservations", key: writer.key)
            #expect(list.status == 200)
            #expect((list.json["reservations"] as? [[String: Any]])?.count == 5)
            let availability = try stack.availability(vendor: vendor, key: reader.key)
            #expect(availability.status == 200)
            #expect(ReplicaStack.isAvailable(availability, at: start) == false)
        }
        let after = try stack.metrics()
        let onReplica = after.delta(from: before, Self.routed, ["target": "replica"])
        let onPrimary = after.delta(from: before, Self.routed, ["target": "primary"])
        print("replica: 40 reads, \(Int(onReplica)) statements routed to the replica, \(Int(onPrimary)) to the primary")
        #expect(onReplica >= 40)
        #expect(onPrimary == 0)
        // The replica's own statistics (flushed within seconds) count the scans of its tables:
        // the monitor reads no table, so these are the responder's reads.
        var scansAfter = scansBefore
        #expect(eventually(seconds: 20) {
            scansAfter = (try? stack.replicaTableScans()) ?? scansBefore
            return scansAfter - scansBefore >= 40
        })
        print("replica: index and sequential scans of vendors and reservations on the replica rose by \(scansAfter - scansBefore)")
        let lag = after.value("bookiji_replica_lag_seconds", [:])
        print("replica: lag gauge \(lag) s while idle and caught up")
        #expect(lag >= 0 && lag < 1)
    }

    @Test func aPartnerReadsItsOwnHoldAtOnceFiftyTimesInARow() throws {
        // A replica 2 s behind but within a 5 s bound is used, yet lacks each fresh hold: only
        // the read-your-writes rule keeps the writer's reads right.
        let stack = try ReplicaStack(delaySeconds: 2, maxLag: 5)
        defer { stack.stop() }
        let (writer, reader, vendor) = try stack.partiesAndVendor()
        #expect(eventually(seconds: 20) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } })
        let before = try stack.metrics()
        var wrong: [String] = [], readerStale = 0
        for i in 0..<50 {
            let start = Booking.day(7 + i / 32) + 6 * 3600 + Int64(i % 32) * 1800
            let held = try stack.service.hold(key: writer.key, vendor: vendor, start: start, minutes: 30)
            try #require(held.status == 201, "hold \(i): \(held.text)")
            let id = try #require(held.json["reservationId"] as? String)
            let one = try stack.service.get("/v1/reservations/\(id)", key: writer.key)
            if one.status != 200 || one.json["state"] as? String != held.json["state"] as? String { wrong.append("\(i): GET one") }
            // Newest first, but created in the same second as others: look for it on the page.
            let list = try stack.service.get("/v1/reservations?vendorId=\(vendor)&limit=100", key: writer.key)
            let listed = (list.json["reservations"] as? [[String: Any]] ?? []).compactMap { $0["reservationId"] as? String }
            if list.status != 200 || !listed.contains(id) { wrong.append("\(i): list \(list.status)") }
            let mine = try stack.availability(vendor: vendor, key: writer.key, day: 7 + i / 32)
            if ReplicaStack.isAvailable(mine, at: start) != false { wrong.append("\(i): availability") }
            // Another partner, who wrote nothing, may be answered by the replica within the bound.
            let theirs = try stack.availability(vendor: vendor, key: reader.key, day: 7 + i / 32)
            if ReplicaStack.isAvailable(theirs, at: start) == true { readerStale += 1 }
        }
        let after = try stack.metrics()
        let ownWrite = after.delta(from: before, Self.routed, ["target": "primary", "reason": "own_write"])
        print("read-your-writes: 50 holds, \(wrong.count) stale own reads; the other partner saw \(readerStale) of them still free (replica 2 s behind); \(Int(ownWrite)) reads sent to the primary for the writer's sake")
        #expect(wrong.isEmpty, "\(wrong)")
        #expect(readerStale > 0, "the replica was not in use, so the rule was not exercised")
        #expect(ownWrite >= 100)
    }

    @Test func aStoppedReplicaIsBypassedWithinTheConnectTimeoutAndUsedAgainOnceBack() throws {
        let stack = try ReplicaStack(delaySeconds: 0, maxLag: 1)
        defer { stack.stop() }
        let (_, reader, vendor) = try stack.partiesAndVendor()
        #expect(eventually(seconds: 10) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } })
        let before = try stack.metrics()
        stack.replica.stop()
        var durations: [Double] = [], statuses: [Int] = []
        for i in 0..<30 {
            let started = Date()
            let response = i % 2 == 0
                ? try stack.availability(vendor: vendor, key: reader.key)
                : try stack.service.get("/v1/reservations", key: reader.key)
            durations.append(Date().timeIntervalSince(started))
            statuses.append(response.status)
        }
        let after = try stack.metrics()
        let sorted = durations.sorted()
        print(String(
            format: "stopped replica: 30 requests, all %@, median %.1f ms, slowest %.1f ms (first %.1f ms); %d statements on the primary for an unavailable replica, %d in all",
            Set(statuses) == [200] ? "200" : "\(statuses)", sorted[15] * 1000, sorted[29] * 1000, durations[0] * 1000,
            Int(after.delta(from: before, Self.routed, ["target": "primary", "reason": "unavailable"])),
            Int(after.delta(from: before, Self.routed, ["target": "primary"]))))
        #expect(Set(statuses) == [200])
        #expect(sorted[29] < 2.0, "the connect timeout is 2 s")
        #expect(after.delta(from: before, Self.routed, ["target": "replica"]) == 0)

        try stack.replica.start()
        let restarted = Date()
        #expect(eventually(seconds: 15) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } })
        print(String(format: "stopped replica: reads reached it again %.2f s after pgcluster start returned", Date().timeIntervalSince(restarted)))
    }

    @Test func aHungReplicaIsBypassedOnceTheLagBoundPasses() throws {
        let stack = try ReplicaStack(delaySeconds: 0, maxLag: 1)
        defer {
            stack.replica.signalServer(SIGCONT)
            stack.stop()
        }
        let (_, reader, vendor) = try stack.partiesAndVendor()
        #expect(eventually(seconds: 10) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } })
        // SIGSTOP: connections are accepted and never answered, so only the client's own
        // timeouts end a read sent there (connecting: 2 s; on an open connection: 3 s + 1 s).
        stack.replica.signalServer(SIGSTOP)
        let hung = Date()
        let first = Mutex<(status: Int, seconds: Double)?>(nil)
        let firstDone = DispatchSemaphore(value: 0)
        Thread {
            let response = try? stack.availability(vendor: vendor, key: reader.key)
            first.withLock { $0 = (response?.status ?? 0, Date().timeIntervalSince(hung)) }
            firstDone.signal()
        }.start()
        usleep(1_300_000)
        var later: [Double] = [], statuses: Set<Int> = []
        for i in 0..<20 {
            let started = Date()
            let response = i % 2 == 0
                ? try stack.availability(vendor: vendor, key: reader.key)
                : try stack.service.get("/v1/reservations", key: reader.key)
            later.append(Date().timeIntervalSince(started))
            statuses.insert(response.status)
        }
        firstDone.wait()
        let firstResult = try #require(first.withLock { $0 })
        print(String(
            format: "hung replica: the read sent to it answered %d after %.2f s (from the primary); 20 reads from 1.3 s on answered %@ in at most %.1f ms",
            firstResult.status, firstResult.seconds, statuses == [200] ? "200" : "\(statuses)", (later.max() ?? 0) * 1000))
        #expect(firstResult.status == 200)
        #expect(firstResult.seconds < 5.5, "the connect timeout (2 s) or the statement timeout + 1 s (4 s), then the primary")
        #expect(statuses == [200])
        #expect((later.max() ?? 9) < 0.5, "bypassed for lag once 1 s passed without a measurement")
    }

    @Test func aLaggingReplicaIsBypassedSoNoAnswerIsOlderThanTheBound() throws {
        let maxLag = 1.0
        let stack = try ReplicaStack(delaySeconds: 3, maxLag: maxLag)
        defer { stack.stop() }
        let (writer, reader, vendor) = try stack.partiesAndVendor()
        // Idle, the 3 s replica catches up and is used: an idle primary's old replay timestamp
        // does not keep it bypassed.
        var idleWait = Date()
        #expect(eventually(seconds: 20) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } })
        print(String(format: "lagging replica: in use %.1f s after the last setup write", Date().timeIntervalSince(idleWait)))
        let before = try stack.metrics()
        var oldestStale = 0.0, visibleAfter: [Double] = []
        for i in 0..<6 {
            if i > 0 {
                // Let it catch up, so each hold meets a replica in use.
                idleWait = Date()
                _ = eventually(seconds: 10) { stack.routedToReplica { try stack.availability(vendor: vendor, key: reader.key) } }
            }
            let start = Booking.day(7) + 6 * 3600 + Int64(i) * 1800
            let held = try stack.service.hold(key: writer.key, vendor: vendor, start: start, minutes: 30)
            try #require(held.status == 201)
            let written = Date()
            var seen = false
            for _ in 0..<400 where !seen {
                let asked = Date()
                let answer = try stack.availability(vendor: vendor, key: reader.key)
                try #require(answer.status == 200)
                if ReplicaStack.isAvailable(answer, at: start) == true {
                    oldestStale = max(oldestStale, asked.timeIntervalSince(written))
                } else {
                    seen = true
                    visibleAfter.append(Date().timeIntervalSince(written))
                }
                usleep(20_000)
            }
            #expect(seen)
        }
        // The gauge follows the replica 3 s behind a write until it applies it.
        let lastStart = Booking.day(8) + 6 * 3600
        #expect(try stack.service.hold(key: writer.key, vendor: vendor, start: lastStart, minutes: 30).status == 201)
        var lagSeen = 0.0
        for _ in 0..<25 {
            lagSeen = max(lagSeen, try stack.metrics().value("bookiji_replica_lag_seconds", [:]))
            usleep(100_000)
        }
        let after = try stack.metrics()
        let bypassed = after.delta(from: before, Self.routed, ["target": "primary", "reason": "lag"])
        print(String(
            format: "lagging replica (--delay 3, --max-replica-lag %.1f): oldest stale answer asked %.3f s after the hold; the other partner saw each hold after %@ s; highest lag gauge %.2f s; %d reads bypassed for lag",
            maxLag, oldestStale, visibleAfter.map { String(format: "%.2f", $0) }.joined(separator: ", "), lagSeen, Int(bypassed)))
        #expect(oldestStale < maxLag)
        #expect(visibleAfter.count == 6 && visibleAfter.allSatisfy { $0 < maxLag + 0.5 })
        #expect(bypassed > 0)
        #expect(lagSeen > 2)
    }
}

/// A private primary (so the replica copies this test's database only), the stack on it, a
/// streaming replica of it, and the responder restarted with `--read-database` on the replica.
final class ReplicaStack: @unchecked Sendable {  // used by one test at a time
    let primary: PostgresCluster
    let replica: PostgresCluster
    let service: Service

    init(delaySeconds: Int, maxLag: Double) throws {
        primary = try PostgresCluster(label: "rr-primary")
        // Unthrottled: a test sends more than nginx's 50 requests a second per address.
        service = try Service(cluster: primary, nginxArguments: ConcurrencyTests.unthrottled)
        replica = try PostgresCluster(replicaOf: primary, label: "rr-replica", delaySeconds: delaySeconds)
        service.responder?.stop()
        try? FileManager.default.removeItem(atPath: service.socketPath)
        try service.startResponder(extra: [
            "--read-database", replica.url(database: service.database), "--max-replica-lag", String(maxLag),
        ])
        guard eventually(seconds: 10, { (try? service.get("/v1/health").status) == 200 }) else {
            throw CommandFailure(description: "responder with --read-database did not become healthy:\n\(service.responder?.log ?? "")")
        }
    }

    func stop() {
        service.stop()
        replica.destroy()
        primary.destroy()
    }

    /// A partner that writes, one that only reads, and an open vendor.
    func partiesAndVendor() throws -> (writer: (id: String, key: String), reader: (id: String, key: String), vendor: String) {
        let writer = try service.createPartner(name: "Writer")
        try service.setLimits(partner: writer.id, perHour: 100_000, maxHolds: 100_000)
        let reader = try service.createPartner(name: "Reader")
        return (writer, reader, try service.createOpenVendor())
    }

    func availability(vendor: String, key: String, day: Int = 7) throws -> WireResponse {
        let from = Booking.day(day) + 6 * 3600
        return try service.get(
            "/v1/vendors/\(vendor)/availability?startTime=\(Booking.iso(from))&endTime=\(Booking.iso(from + 16 * 3600))", key: key)
    }

    /// The `isAvailable` of the slot starting at `start`, nil when the answer has no such slot.
    static func isAvailable(_ response: WireResponse, at start: Int64) -> Bool? {
        let slots = response.json["slots"] as? [[String: Any]] ?? []
        return slots.first { $0["startTime"] as? String == Booking.iso(start) }?["isAvailable"] as? Bool
    }

    func metrics() throws -> Exposition { try Exposition(service.get("/metrics")) }

    /// Whether `request` answered 200 with at least one statement run on the replica.
    func routedToReplica(_ request: () throws -> WireResponse) -> Bool {
        guard let before = try? metrics(), (try? request())?.status == 200, let after = try? metrics() else { return false }
        return after.delta(from: before, ReadReplicaTests.routed, ["target": "replica"]) > 0
    }

    /// Scans of the tables availability and lists read, as the replica's statistics count them.
    func replicaTableScans() throws -> Int64 {
        let connection = try PGConnection(url: replica.url(database: service.database))
        return try connection.query("""
            SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::bigint
            FROM pg_stat_user_tables WHERE relname IN ('vendors', 'reservations')
            """)[0].int64(0)
    }
}

import Foundation
import Postgres
import Testing

/// Instant invalidation across processes (issue 16, point 2): two responders, each behind its own
/// nginx, on one database, with the availability cache on. The second trusts a vendor revision
/// it read for a minute without a listener, so within the test only a NOTIFY heard by its
/// revision listener can make it see a hold placed through the first.
@Suite(.serialized)
struct RevisionInvalidationTests {
    static let unthrottled = ["--rate", "1000000r/s", "--burst", "1000000", "--conn-limit", "65535"]
    static let trustForAMinute = ["--availability-revision-seconds", "60"]
    static let listenQuery = "LISTEN bookiji_vendor_revision"

    /// One database, two front doors. The first places holds (without a listener of its own
    /// unless asked, so the database has one LISTEN session: the second's).
    struct Pair {
        let first: Service
        let second: Service
        let key: String
        let vendor: String

        init(secondArguments: [String], firstArguments: [String] = ["--no-revision-listener"]) throws {
            first = try Service(responderArguments: RevisionInvalidationTests.trustForAMinute + firstArguments, nginxArguments: RevisionInvalidationTests.unthrottled)
            do {
                second = try Service(
                    responderArguments: RevisionInvalidationTests.trustForAMinute + secondArguments,
                    nginxArguments: RevisionInvalidationTests.unthrottled, sharingDatabaseOf: first)
                let partner = try first.createPartner()
                key = partner.key
                try first.setLimits(partner: partner.id, perHour: 1_000_000, maxHolds: 10_000)
                vendor = try first.createOpenVendor()
            } catch {
                first.stop()
                throw error
            }
        }

        func stop() {
            second.stop()
            first.stop()
        }

        /// The `index`-th half-hour slot from 06:00 UTC a week from now on (32 a day).
        static func slot(_ index: Int) -> Int64 {
            Booking.day(7 + index / 32) + 6 * 3600 + Int64(index % 32) * 1800
        }

        func path(_ start: Int64) -> String {
            "/v1/vendors/\(vendor)/availability?startTime=\(Booking.iso(start))&endTime=\(Booking.iso(start + 1800))&slotDuration=30"
        }

        /// The one slot's reasons as the second responder answers now.
        func secondSees(_ start: Int64) throws -> (reserved: Bool, etag: String?) {
            let answer = try second.get(path(start), key: key)
            guard answer.status == 200, let slot = (answer.json["slots"] as? [[String: Any]])?.first else {
                throw CommandFailure(description: "availability answered \(answer.status): \(answer.text)")
            }
            let reserved = (slot["reasons"] as? [String])?.contains("reserved") == true
            #expect(reserved == (slot["isAvailable"] as? Bool == false))
            return (reserved, answer.header("etag"))
        }

        /// Warms the second's cache for the slot (computed, then answered from the cache with the
        /// same version), holds it through the first, and polls the second until it shows the
        /// slot reserved: the seconds from the hold's answer to that, nil if not within `limit`.
        func holdAndWatch(_ index: Int, limit: Double) throws -> Double? {
            let start = Self.slot(index)
            let warm = try secondSees(start)
            #expect(!warm.reserved, "slot \(index) free before its hold")
            let cached = try second.get(path(start), key: key, headers: ["If-None-Match": warm.etag ?? ""])
            #expect(cached.status == 304, "slot \(index): the cached answer is still the answer")
            let held = try first.hold(key: key, vendor: vendor, start: start, minutes: 30)
            guard held.status == 201 else { throw CommandFailure(description: "hold answered \(held.status): \(held.text)") }
            let heldAt = DispatchTime.now().uptimeNanoseconds
            while true {
                let reserved = try secondSees(start).reserved
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - heldAt) / 1e9
                if reserved { return elapsed }
                if elapsed > limit { return nil }
                usleep(500)
            }
        }

        /// The backend pids of the LISTEN sessions on the revision channel in this database.
        func listeners(_ admin: PGConnection) throws -> [Int] {
            try admin.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = $2", [first.database, RevisionInvalidationTests.listenQuery]
            ).map { try $0.int(0) }
        }
    }

    static func occurrences(of text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }

    /// The test: 100 holds in a row through the first responder, each shown as reserved
    /// by the second's cached availability within 200 ms, cache on and revisions trusted for a
    /// minute. Its hits and the notifications it heard are read from its metrics.
    @Test func aHoldThroughOneResponderShowsInTheOthersCachedAvailabilityWithin200Milliseconds() throws {
        let pair = try Pair(secondArguments: [])
        defer { pair.stop() }
        #expect(eventually(seconds: 10) { (pair.second.responder?.log ?? "").contains("revision listener connected") })
        let before = try Exposition(pair.second.get("/metrics"))
        var latencies: [Double] = []
        for index in 0..<100 {
            let latency = try pair.holdAndWatch(index, limit: 2)
            #expect(latency != nil, "hold \(index): still free in the second responder's answer 2 s later")
            #expect((latency ?? 2) < 0.2, "hold \(index) seen after \(Self.milliseconds(latency ?? 2))")
            latencies.append(latency ?? 2)
        }
        let after = try Exposition(pair.second.get("/metrics"))
        let p50 = Self.percentile(latencies, 0.5), p90 = Self.percentile(latencies, 0.9), worst = latencies.max() ?? 0
        print("RevisionInvalidationTests: 100 holds seen by the other responder: p50 \(Self.milliseconds(p50)), p90 \(Self.milliseconds(p90)), max \(Self.milliseconds(worst))")
        #expect(latencies.count == 100)
        #expect(worst < 0.2)
        // Each warm-up's second request was a hit; each hold was heard.
        #expect(after.delta(from: before, "bookiji_availability_cache_lookups_total", ["result": "hit"]) >= 100)
        #expect(after.delta(from: before, "bookiji_availability_revision_notifications_total", [:]) >= 100)
    }

    /// The same with the second responder's listener off: its cached answer stays stale for as
    /// long as it trusts the revision, so the test above measures the notifications.
    @Test func withoutTheListenerTheOtherResponderServesTheStaleAnswerForTheTrustInterval() throws {
        let pair = try Pair(secondArguments: ["--no-revision-listener"])
        defer { pair.stop() }
        #expect(try pair.holdAndWatch(0, limit: 1.5) == nil, "seen without a listener, within the minute the revision is trusted")
        let log = pair.second.responder?.log ?? ""
        #expect(Self.occurrences(of: "revision listener", in: log) == 0, "no listener started")
    }

    /// The listener's backend is terminated while the database refuses new connections: the
    /// responder logs the loss, trusts revisions for its fallback interval only (2 s here: a hold
    /// shows late, never later than that), reconnects once it can, and shows holds within 200 ms
    /// again.
    @Test func aLostListenerFallsBackToTheTrustIntervalThenReconnects() throws {
        let trustSeconds = 2.0
        let pair = try Pair(secondArguments: ["--threads", "1", "--availability-revision-seconds", String(trustSeconds)], firstArguments: ["--threads", "1", "--no-revision-listener"])
        defer { pair.stop() }
        let admin = try PGConnection(url: pair.first.cluster.url(database: "postgres"))
        let log = { pair.second.responder?.log ?? "" }
        #expect(eventually(seconds: 10) { Self.occurrences(of: "revision listener connected", in: log()) == 1 })
        let listener = try #require(try pair.listeners(admin).first, "the second responder's LISTEN session")
        #expect(try pair.listeners(admin).count == 1)
        // Both responders' one thread connects on its first request, before new connections stop.
        let first = try #require(try pair.holdAndWatch(0, limit: 2))
        #expect(first < 0.2, "while listening: \(Self.milliseconds(first))")

        try admin.execute(script: "ALTER DATABASE \(pair.first.database) ALLOW_CONNECTIONS false")
        defer { _ = try? admin.execute(script: "ALTER DATABASE \(pair.first.database) ALLOW_CONNECTIONS true") }
        #expect(try admin.query("SELECT pg_terminate_backend($1)", [listener]).first?.bool(0) == true)
        #expect(eventually(seconds: 5) { log().contains("revision listener lost") })
        #expect(Self.occurrences(of: "revision listener lost", in: log()) == 1, "logged once, however often it retries")
        var fallback: [Double] = []
        for index in 1...3 {
            let latency = try pair.holdAndWatch(index, limit: trustSeconds + 1)
            #expect(latency != nil, "hold \(index) not seen within the fallback trust")
            #expect((latency ?? 0) < trustSeconds + 0.5, "hold \(index) seen after \(Self.milliseconds(latency ?? 0))")
            // Warmed just before the hold, the revision is trusted for most of the interval: a
            // hold seen much sooner would mean something other than the fallback answered.
            #expect((latency ?? 0) > trustSeconds / 2, "hold \(index) seen after \(Self.milliseconds(latency ?? 0)) without a listener")
            fallback.append(latency ?? 0)
        }
        #expect(Self.occurrences(of: "revision listener connected", in: log()) == 1, "no connection while the database refuses them")

        try admin.execute(script: "ALTER DATABASE \(pair.first.database) ALLOW_CONNECTIONS true")
        // The backoff grows to at most 5 s between attempts.
        #expect(eventually(seconds: 10) { Self.occurrences(of: "revision listener connected", in: log()) == 2 })
        let again = try #require(try pair.listeners(admin).first)
        #expect(again != listener)
        var listening: [Double] = []
        for index in 4..<24 {
            let latency = try pair.holdAndWatch(index, limit: 2)
            #expect((latency ?? 2) < 0.2, "hold \(index) after reconnecting seen after \(Self.milliseconds(latency ?? 2))")
            listening.append(latency ?? 2)
        }
        print("RevisionInvalidationTests: listener down: holds seen after \(fallback.map(Self.milliseconds).joined(separator: ", ")); reconnected: max \(Self.milliseconds(listening.max() ?? 0)) over 20 holds")
    }
}

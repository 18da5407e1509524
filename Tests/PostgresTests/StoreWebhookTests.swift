import BookijiCore
import Foundation
import Postgres
import Store
import Testing

/// The webhook sender's claim and record: batches keep each reservation's deliveries in order
/// (per endpoint), a delivery in another session's open claim holds its successor back, a failing
/// run disables the endpoint, and the claim stays a walk with a probe per candidate when the
/// statistics were taken with nothing pending.
struct StoreWebhookTests {
    typealias World = CoordinatorUseCaseTests.World

    struct Queue {
        let world: World
        let store: WebhookStore
        let endpointID: String
        private var next = 0

        init(_ world: World) throws {
            self.world = world
            store = WebhookStore(Session(world.sql))
            endpointID = try store.createEndpoint(
                partnerID: world.partnerID, url: "https://hooks.example.com/in", events: nil, secret: "whsec_test").id
        }

        /// Queues `sequences` of the reservation's events (nil: an event of no reservation); their ids.
        @discardableResult
        mutating func queue(_ reservationID: String?, _ sequences: ClosedRange<Int64>) throws -> [String] {
            var ids: [String] = []
            for sequence in sequences {
                next += 1
                let id = "evt_\(next)"
                try store.enqueue(
                    endpointIDs: [endpointID], eventID: id, eventType: "reservation.created", reservationID: reservationID,
                    sequence: sequence, body: "{}")
                ids.append(id)
            }
            return ids
        }

        func claim(_ limit: Int = 10, on connection: PGConnection? = nil) throws -> [WebhookStore.Claimed] {
            try WebhookStore(Session(connection ?? world.sql)).claim(worker: "w", leaseSeconds: 60, limit: limit)
        }

        func record(_ claimed: WebhookStore.Claimed, _ outcome: WebhookStore.Outcome) throws {
            try store.record(claimed.delivery, worker: "w", outcome: outcome, disableAfterSeconds: 86_400)
        }
    }

    @Test func aBatchClaimTakesEachReservationsFirstPendingDeliveryOnly() throws {
        let world = try World()
        let first = try world.hold(), second = try world.hold(at: CoordinatorUseCaseTests.tenAM + 3600)
        var queue = try Queue(world)
        let a = try queue.queue(first.id, 1...3)
        let b = try queue.queue(second.id, 1...2)
        let loose = try queue.queue(nil, 1...1)

        // One claim of many slots: each reservation gives its earliest; the event of no
        // reservation is never held back. The batch comes earliest due first.
        let batch = try queue.claim()
        #expect(batch.map(\.delivery.eventID) == [a[0], b[0], loose[0]])
        #expect(batch.allSatisfy { $0.endpoint.id == queue.endpointID && $0.delivery.attempts == 1 })
        // While they are out, nothing else may go.
        #expect(try queue.claim().isEmpty)

        try queue.record(batch[0], .succeeded(status: 200))
        let afterA1 = try queue.claim()
        #expect(afterA1.map(\.delivery.eventID) == [a[1]])
        // A failure to be retried later keeps holding the reservation's next event back.
        try queue.record(batch[1], .failed(status: 500, error: "HTTP 500", retryInSeconds: 60))
        #expect(try queue.claim().isEmpty)
        // ... and falls due no sooner than it.
        let listed = try queue.store.deliveries(endpointID: queue.endpointID, before: nil, limit: 10)
        let retryAt = listed.first { $0.eventID == b[0] }?.nextAttemptAt
        #expect(retryAt != nil && listed.first { $0.eventID == b[1] }?.nextAttemptAt == retryAt)
        // A delivery that failed for good lets the next one go.
        try queue.record(afterA1[0], .failed(status: 500, error: "HTTP 500", retryInSeconds: nil))
        #expect(try queue.claim().map(\.delivery.eventID) == [a[2]])
        // Next due: the retry in a minute (the third of the first reservation is leased as long);
        // nothing within 5 s.
        #expect(try queue.store.secondsUntilNextDue(within: 5) == nil)
        let next = try #require(try queue.store.secondsUntilNextDue(within: 120))
        #expect(next > 50 && next <= 60, "\(next)")
    }

    @Test func aDeliveryInAnotherSessionsOpenClaimHoldsBackItsSuccessor() throws {
        let world = try World()
        let held = try world.hold()
        var queue = try Queue(world)
        let ids = try queue.queue(held.id, 1...2)
        let other = try PGConnection(url: world.sql.url)
        try other.transaction { connection in
            let taken = try queue.claim(on: connection).map(\.delivery.eventID)
            #expect(taken == [ids[0]])
            // The first claim has not committed: its row is skipped, and the second must wait.
            let meanwhile = try queue.claim()
            #expect(meanwhile.isEmpty)
        }
        #expect(try queue.claim().isEmpty)  // the first is leased now
    }

    @Test func aFailingRunOlderThanTheLimitDisablesTheEndpoint() throws {
        let world = try World()
        let held = try world.hold()
        var queue = try Queue(world)
        try queue.queue(held.id, 1...2)
        func endpoint() throws -> WebhookEndpoint {
            let endpoint = try queue.store.endpoint(id: queue.endpointID)
            return try #require(endpoint)
        }
        // A failure starts a run; a success ends it.
        let first = try #require(try queue.claim().first)
        try queue.record(first, .failed(status: 500, error: "HTTP 500", retryInSeconds: 0))
        #expect(try endpoint().failingSince != nil)
        let again = try #require(try queue.claim().first)
        #expect(again.delivery.id == first.delivery.id && again.delivery.attempts == 2)
        try queue.record(again, .succeeded(status: 200))
        #expect(try endpoint().failingSince == nil)
        // A failure when every delivery has failed for longer than the limit (a day here)
        // disables the endpoint, and says why.
        let second = try #require(try queue.claim().first)
        try queue.record(second, .failed(status: 503, error: "HTTP 503", retryInSeconds: 0))
        try world.sql.query("UPDATE webhook_endpoints SET failing_since = now() - interval '2 days'")
        let retried = try #require(try queue.claim().first)
        try queue.record(retried, .failed(status: 503, error: "HTTP 503", retryInSeconds: 0))
        let disabled = try endpoint()
        #expect(!disabled.enabled)
        #expect(disabled.disabledReason?.hasPrefix("every delivery failed since ") == true, "\(disabled)")
        #expect(disabled.disabledReason?.hasSuffix("(last: HTTP 503)") == true, "\(disabled)")
        #expect(try queue.claim().isEmpty)
    }

    /// Statistics taken while nothing was pending made the planner join every pending delivery
    /// with every other one (Benchmarks/webhooks: 12 s a claim at 10,000 pending). The claim must
    /// stay a walk of the due deliveries with a probe for each.
    @Test func aClaimStaysQuickWhenStatisticsSawNothingPending() throws {
        let world = try World()
        var reservations: [String] = []
        for index in 0..<8 {
            reservations.append(try world.hold(at: CoordinatorUseCaseTests.tenAM + Int64(index) * 3600).id)
        }
        let queue = try Queue(world)
        func insert(_ sequences: ClosedRange<Int>, status: String) throws {
            try world.sql.query("""
                INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, reservation_id, sequence, body, status)
                SELECT $1::uuid, 'evt_' || r.ordinality || '_' || s, 'reservation.created', r.id::uuid, s, '{}', $5
                FROM unnest($2::text[]) WITH ORDINALITY AS r (id, ordinality), generate_series($3::int, $4::int) AS s
                ORDER BY s, r.ordinality
                """, [queue.endpointID, PGArray(reservations), sequences.lowerBound, sequences.upperBound, status])
        }
        // History: settled deliveries, analyzed while none was pending.
        try insert(1...250, status: "succeeded")
        try world.sql.query("VACUUM ANALYZE webhook_deliveries")
        try insert(251...750, status: "pending")
        let firsts = (1...reservations.count).map { "evt_\($0)_251" }
        let started = Date()
        let claimed = try queue.claim(16)
        let seconds = Date().timeIntervalSince(started)
        #expect(Set(claimed.map(\.delivery.eventID)) == Set(firsts))
        // Some 20 ms as a walk with probes; over 1 s when the order probe scanned the whole due
        // index instead (as before migration 0016, the planner's pick with these statistics).
        #expect(seconds < 0.5, "a claim took \(seconds) s at 4,000 pending")
    }
}

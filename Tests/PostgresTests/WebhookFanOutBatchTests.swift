import BookijiCore
import Coordinator
import Foundation
import Postgres
import Store
import Testing

/// The webhook fan-out of a batch of events in one statement: each event to every endpoint of its
/// reservation's partner that takes its type, in event order, never twice; and a disabled
/// endpoint's deliveries held out of the claims' walk until it is enabled again.
struct WebhookFanOutBatchTests {
    typealias World = CoordinatorUseCaseTests.World

    static func event(_ id: String, _ type: String, _ reservationID: String, sequence: Int) -> WebhookEvents.Event {
        WebhookEvents.Event(
            id: id, type: type, reservationID: reservationID,
            payloadJSON: #"{"sequence":\#(sequence),"toState":"HELD","fromState":null,"triggeredBy":"partner","occurredAt":"2030-01-07T08:00:00.123Z"}"#)
    }

    struct Endpoints {
        let all: String
        let cancelledOnly: String
        let disabled: String

        init(_ world: World) throws {
            let store = WebhookStore(Session(world.sql))
            func create(_ events: [String]?) throws -> String {
                try store.createEndpoint(partnerID: world.partnerID, url: "https://hooks.example.com/in", events: events, secret: "whsec_t").id
            }
            all = try create(nil)
            cancelledOnly = try create(["reservation.cancelled"])
            disabled = try create(nil)
            _ = try store.setEnabled(id: disabled, partnerID: nil, enabled: false, reason: "test")
        }
    }

    /// (event id, sequence, held) of the endpoint's deliveries in the order they were queued.
    static func deliveries(_ world: World, _ endpointID: String) throws -> [(String, Int64, Bool)] {
        try world.sql.query("""
            SELECT event_id, sequence, next_attempt_at = 'infinity' FROM webhook_deliveries WHERE endpoint_id = $1::uuid ORDER BY id
            """, [endpointID]).map { (try $0.string(0), try $0.int64(1), try $0.bool(2)) }
    }

    @Test func aBatchQueuesEachEventForItsSubscribersInOrderAndOnce() throws {
        let world = try World()
        let first = try world.hold(), second = try world.hold(at: CoordinatorUseCaseTests.tenAM + 3600)
        let endpoints = try Endpoints(world)
        let events = [
            Self.event("evt_1", "reservation.created", first.id, sequence: 1),
            Self.event("evt_2", "reservation.created", second.id, sequence: 1),
            Self.event("evt_3", "reservation.cancelled", first.id, sequence: 2),
            // No such reservation, and no reservation id at all: nothing queued, nothing thrown.
            Self.event("evt_4", "reservation.created", "00000000-0000-4000-8000-000000000000", sequence: 1),
            Self.event("evt_5", "reservation.created", "not-a-uuid", sequence: 1),
        ]
        let fanOut = WebhookEvents(database: world.database)
        #expect(try fanOut.fanOut(events) == 3 + 1 + 3)
        #expect(try Self.deliveries(world, endpoints.all).map(\.0) == ["evt_1", "evt_2", "evt_3"])
        #expect(try Self.deliveries(world, endpoints.all).map(\.1) == [1, 1, 2])
        #expect(try Self.deliveries(world, endpoints.cancelledOnly).map(\.0) == ["evt_3"])
        // The disabled endpoint's are queued, and held.
        #expect(try Self.deliveries(world, endpoints.disabled).map(\.0) == ["evt_1", "evt_2", "evt_3"])
        #expect(try Self.deliveries(world, endpoints.disabled).allSatisfy(\.2))
        #expect(try Self.deliveries(world, endpoints.all).allSatisfy { !$0.2 })
        // The body is the spec's, with the event's id and sequence.
        let body = try #require(try WebhookStore(Session(world.sql)).deliveries(endpointID: endpoints.all, before: nil, limit: 10)
            .first { $0.eventID == "evt_3" }?.body)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["id"] as? String == "evt_3" && object["event"] as? String == "reservation.cancelled")
        #expect(object["reservationId"] as? String == first.id && object["sequence"] as? Int == 2)
        #expect(object["timestamp"] as? String == "2030-01-07T08:00:00Z")
        // At least once: the same batch again queues nothing.
        #expect(try fanOut.fanOut(events) == 0)
        #expect(try world.count("SELECT count(*) FROM webhook_deliveries") == 7)
    }

    @Test func aDisabledEndpointsDeliveriesAreHeldOutOfTheClaimsWayUntilItIsEnabled() throws {
        let world = try World()
        let reservation = try world.hold()
        let endpoints = try Endpoints(world)
        try WebhookEvents(database: world.database).fanOut([
            Self.event("evt_1", "reservation.created", reservation.id, sequence: 1),
            Self.event("evt_2", "reservation.cancelled", reservation.id, sequence: 2),
        ])
        let store = WebhookStore(Session(world.sql))
        func claim() throws -> [WebhookStore.Claimed] { try store.claim(worker: "w", leaseSeconds: 60, limit: 10) }
        // Held: not due within any window, shown with no next attempt.
        let listed = try store.deliveries(endpointID: endpoints.disabled, before: nil, limit: 10)
        #expect(listed.count == 2 && listed.allSatisfy { $0.status == .pending && $0.nextAttemptAt == nil })
        let claimed = try claim()
        #expect(Set(claimed.map(\.endpoint.id)) == [endpoints.all, endpoints.cancelledOnly])
        #expect(!claimed.contains { $0.endpoint.id == endpoints.disabled })

        // Disabling an endpoint holds its pending deliveries (the claimed one's lease stays).
        _ = try store.setEnabled(id: endpoints.cancelledOnly, partnerID: nil, enabled: false, reason: "test")
        #expect(try Self.deliveries(world, endpoints.cancelledOnly).map(\.2) == [true])
        // The one that was out when it was disabled fails, to be retried: it stays held.
        let out = try #require(claimed.first { $0.endpoint.id == endpoints.cancelledOnly })
        try store.record(
            out.delivery, worker: "w", outcome: .failed(status: 500, error: "HTTP 500", retryInSeconds: 0), disableAfterSeconds: 86_400)
        #expect(try Self.deliveries(world, endpoints.cancelledOnly).map(\.2) == [true])
        // A 410 disables the endpoint and holds the rest of its deliveries.
        let created = try #require(claimed.first { $0.endpoint.id == endpoints.all && $0.delivery.eventID == "evt_1" })
        try store.record(
            created.delivery, worker: "w", outcome: .endpointRefused(status: 410, error: "410 Gone", reason: "gone"),
            disableAfterSeconds: 86_400)
        #expect(try Self.deliveries(world, endpoints.all).map(\.2) == [false, true])
        #expect(try store.secondsUntilNextDue(within: 3600) == nil)

        // Enabling one makes its held deliveries due at once; the others stay held.
        _ = try store.setEnabled(id: endpoints.disabled, partnerID: nil, enabled: true, reason: nil)
        #expect(try Self.deliveries(world, endpoints.disabled).map(\.2) == [false, false])
        #expect(try claim().map { "\($0.endpoint.id) \($0.delivery.eventID)" } == ["\(endpoints.disabled) evt_1"])
    }

    /// A failing run that disables the endpoint holds its pending deliveries, the failed one's too.
    @Test func aFailingRunThatDisablesTheEndpointHoldsItsDeliveries() throws {
        let world = try World()
        let first = try world.hold(), second = try world.hold(at: CoordinatorUseCaseTests.tenAM + 3600)
        let endpoint = try WebhookStore(Session(world.sql)).createEndpoint(
            partnerID: world.partnerID, url: "https://hooks.example.com/in", events: nil, secret: "whsec_t").id
        try WebhookEvents(database: world.database).fanOut([
            Self.event("evt_1", "reservation.created", first.id, sequence: 1),
            Self.event("evt_2", "reservation.created", second.id, sequence: 1),
        ])
        let store = WebhookStore(Session(world.sql))
        try world.sql.query("UPDATE webhook_endpoints SET failing_since = now() - interval '2 days'")
        let claimed = try #require(try store.claim(worker: "w", leaseSeconds: 60, limit: 1).first)
        try store.record(
            claimed.delivery, worker: "w", outcome: .failed(status: 503, error: "HTTP 503", retryInSeconds: 60),
            disableAfterSeconds: 86_400)
        #expect(try store.endpoint(id: endpoint)?.enabled == false)
        // Both are held, the failed one (pending, to be retried) too.
        let rows = try Self.deliveries(world, endpoint)
        #expect(rows.map(\.0) == ["evt_1", "evt_2"] && rows.allSatisfy(\.2), "\(rows)")
        #expect(try store.claim(worker: "w", leaseSeconds: 60, limit: 10).isEmpty)
    }
}

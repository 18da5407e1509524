import BookijiCore
import Coordinator
import Foundation
import Postgres
import Store
import Testing

/// The payment flow's database half in process: recovery points around a call, events applied
/// only when they are news, and the daily cleanup of stale authorizations.
struct PaymentFlowStoreTests {
    typealias World = CoordinatorUseCaseTests.World

    /// A reservation confirmed by its vendor (AWAITING_VENDOR_AUTH) and its flow.
    static func confirmed(_ world: inout World) throws -> (ReservationRecord, PaymentFlow) {
        let held = try world.hold()
        world.clock += 60
        let record = try world.reservations.confirmByVendor(id: held.id, vendorID: world.vendorID, now: world.clock)
        return (record, PaymentFlow(database: world.database))
    }

    @Test func anOpenRecoveryPointIsResumedWithItsKeyAndParameters() throws {
        var world = try World()
        let (record, flow) = try Self.confirmed(&world)
        #expect(try flow.snapshot(reservationID: record.id)?.step == .create(.vendor))
        let first = try #require(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingVendorAuth, parametersJSON: #"{"amount":1000}"#,
            changes: [.createStarted], now: world.clock))
        #expect(first.idempotencyKey == "vendor-auth-\(record.id)-1")
        // A crash here; the next worker asks again and gets the same key and parameters.
        let again = try #require(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingVendorAuth, parametersJSON: #"{"amount":2}"#,
            now: world.clock))
        #expect(again.idempotencyKey == first.idempotencyKey)
        #expect(again.parametersJSON == first.parametersJSON)
        // The reservation moved on (expired): no new call is begun.
        #expect(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingRequesterAuth, parametersJSON: "{}",
            now: world.clock) == nil)
        let intent = PaymentIntentSnapshot(id: "pi_1", status: .requiresPaymentMethod, clientSecret: "pi_1_secret_x")
        try flow.finish(first, side: .vendor, outcome: .succeeded(resultJSON: "{}"), changes: [.intent(intent)], now: world.clock)
        let leg = try #require(try flow.snapshot(reservationID: record.id)?.legs.vendor)
        #expect(leg.intentID == "pi_1" && leg.amount == 1000 && leg.currency == "eur")
        #expect(try world.count("SELECT count(*) FROM operation_records WHERE status = 'succeeded'") == 1)
    }

    @Test func anEventOlderThanWhatIsKnownIsIgnored() throws {
        var world = try World()
        let (record, flow) = try Self.confirmed(&world)
        let call = try #require(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingVendorAuth, parametersJSON: "{}", now: world.clock))
        try flow.finish(call, side: .vendor, outcome: .succeeded(resultJSON: "{}"),
                        changes: [.intent(PaymentIntentSnapshot(id: "pi_2", status: .requiresCapture))], now: world.clock)
        // A late `requires_action` event changes nothing; a cancellation (a lapse) does.
        #expect(try flow.applyEvent(PaymentIntentSnapshot(id: "pi_2", status: .requiresAction), now: world.clock))
        #expect(try flow.snapshot(reservationID: record.id)?.legs.vendor?.status == .requiresCapture)
        #expect(try flow.applyEvent(PaymentIntentSnapshot(id: "pi_2", status: .canceled), now: world.clock))
        #expect(try flow.snapshot(reservationID: record.id)?.legs.vendor?.status == .canceled)
        #expect(try flow.applyEvent(PaymentIntentSnapshot(id: "pi_unknown", status: .canceled), now: world.clock) == false)
        // Each applied event woke the driver: one pending row, the wake-ups folded into it.
        #expect(try world.count("SELECT count(*) FROM outbox WHERE topic = 'payment.advance' AND delivered_at IS NULL") == 1)
    }

    /// Every writer of a booking's payment rows locks the reservation before its legs, as an
    /// authorization does (reservation, then legs). Recording a call's outcome and applying a
    /// Stripe event took the legs first and deadlocked against an authorization: 85 deadlocks
    /// in a 30 s run of Benchmarks/bookings. Here a transaction holds the reservation; each
    /// writer must wait for it with the legs still free.
    @Test func aCallsOutcomeAndAnEventWaitForTheReservationBeforeTakingItsLegs() throws {
        var world = try World()
        let (record, flow) = try Self.confirmed(&world)
        let call = try #require(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingVendorAuth, parametersJSON: "{}",
            changes: [.createStarted], now: world.clock))
        let (url, id, now) = (world.url, record.id, world.clock)
        let writers: [@Sendable (PaymentFlow) throws -> Void] = [
            { try $0.finish(call, side: .vendor, outcome: .succeeded(resultJSON: "{}"),
                            changes: [.intent(PaymentIntentSnapshot(id: "pi_lock", status: .requiresCapture))], now: now) },
            { _ = try $0.applyEvent(PaymentIntentSnapshot(id: "pi_lock", status: .canceled), now: now) },
        ]
        for (index, writer) in writers.enumerated() {
            let locked = DispatchSemaphore(value: 0)
            let outcome = try onThreads(2) { thread -> (waited: Bool, legsFree: Bool) in
                if thread == 0 {
                    locked.wait()
                    try writer(PaymentFlow(database: Database(url: url)))
                    return (false, false)
                }
                let holder = try PGConnection(url: url)
                try holder.execute(script: "BEGIN")
                try holder.query("SELECT 1 FROM reservations WHERE id = $1::uuid FOR NO KEY UPDATE", [id])
                locked.signal()
                // The writer's session waits on a lock (the reservation's row), up to 5 s.
                var waited = false
                for _ in 0..<100 where !waited {
                    // A session waiting on this one (pg_locks is read live; pg_stat_activity keeps
                    // one snapshot per transaction), not another test's waits in the cluster.
                    waited = try holder.query("""
                        SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY (pg_blocking_pids(pid))
                        """).first!.int(0) > 0
                    if !waited { Thread.sleep(forTimeInterval: 0.05) }
                }
                let legsFree: Bool
                do {
                    try holder.query("SELECT 1 FROM payment_legs WHERE reservation_id = $1::uuid FOR UPDATE NOWAIT", [id])
                    legsFree = true
                } catch {
                    legsFree = false
                }
                try holder.execute(script: legsFree ? "COMMIT" : "ROLLBACK")
                return (waited, legsFree)
            }
            #expect(outcome[1].waited, "writer \(index) did not wait for the reservation")
            #expect(outcome[1].legsFree, "writer \(index) locked the legs while the reservation was held elsewhere")
        }
        #expect(try flow.snapshot(reservationID: record.id)?.legs.vendor?.status == .canceled)
    }

    @Test func theDailyCleanupExpiresAReservationHoldingAStaleAuthorization() throws {
        var world = try World()
        let (record, flow) = try Self.confirmed(&world)
        let call = try #require(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingVendorAuth, parametersJSON: "{}", now: world.clock))
        try flow.finish(call, side: .vendor, outcome: .succeeded(resultJSON: "{}"),
                        changes: [.intent(PaymentIntentSnapshot(id: "pi_3", status: .requiresCapture))], now: world.clock)
        let fresh = try flow.reconcile(now: world.clock + 60, quietSeconds: 3600, staleAuthorizationAge: 7 * 86_400)
        #expect(fresh.staleAuthorizations == 0)
        let week = try flow.reconcile(now: world.clock + 7 * 86_400 + 1, quietSeconds: 3600, staleAuthorizationAge: 7 * 86_400)
        #expect(week.staleAuthorizations == 1)
        let after = try #require(try flow.snapshot(reservationID: record.id))
        #expect(after.reservation.state == .expired)
        #expect(after.step == .release(.vendor), "the stale authorization is canceled next")
        #expect(try flow.reconcile(now: world.clock + 7 * 86_400 + 2, quietSeconds: 3600).unsettled == 1,
                "until Stripe confirms the cancellation, reconciliation keeps handing it back")
    }

    /// Both authorized: the commit revalidates the slot and begins; from then on the partner can
    /// no longer cancel (the commit ends it, COMMITTED or FAILED_COMMIT with refunds).
    @Test func theCommitBeginsAfterRevalidationAndCannotBeCancelled() throws {
        var world = try World()
        let (record, flow) = try Self.confirmed(&world)
        for (side, operation, intent) in [(PaymentSide.vendor, ExternalOperation.vendorAuth, "pi_v"), (.requester, .requesterAuth, "pi_r")] {
            let state: ReservationState = side == .vendor ? .awaitingVendorAuth : .awaitingRequesterAuth
            let call = try #require(try flow.begin(operation, side: side, reservationID: record.id, expecting: state, parametersJSON: "{}", now: world.clock))
            try flow.finish(call, side: side, outcome: .succeeded(resultJSON: "{}"),
                            changes: [.intent(PaymentIntentSnapshot(id: intent, status: .requiresCapture))], now: world.clock)
            #expect(try flow.snapshot(reservationID: record.id)?.step == .authorized(side))
            #expect(try flow.move(.authorized(side), reservationID: record.id, expecting: state, now: world.clock))
        }
        #expect(try flow.snapshot(reservationID: record.id)?.step == .beginCommit)
        #expect(try flow.move(.beginCommit, reservationID: record.id, expecting: .authorizedBoth, now: world.clock))
        let committing = try #require(try flow.snapshot(reservationID: record.id))
        #expect(committing.reservation.state == .commitInProgress)
        #expect(committing.reservation.bookingID != nil, "the booking's id is chosen as the commit begins")
        #expect(committing.step == .capture(.vendor))
        Self.expectInvalidTransition { try world.reservations.cancel(id: record.id, partnerID: world.partnerID, now: world.clock) }
        // A move the reservation is no longer in is refused quietly (the driver decides again).
        #expect(try flow.move(.beginCommit, reservationID: record.id, expecting: .authorizedBoth, now: world.clock) == false)
    }

    /// An intent still `processing` when its reservation ended is fetched again by reconciliation
    /// (its event may never come).
    @Test func aProcessingIntentOfAnEndedReservationIsFetchedAgain() throws {
        var world = try World()
        let (record, flow) = try Self.confirmed(&world)
        let call = try #require(try flow.begin(
            .vendorAuth, side: .vendor, reservationID: record.id, expecting: .awaitingVendorAuth, parametersJSON: "{}", now: world.clock))
        try flow.finish(call, side: .vendor, outcome: .succeeded(resultJSON: "{}"),
                        changes: [.intent(PaymentIntentSnapshot(id: "pi_p", status: .processing))], now: world.clock)
        _ = try world.reservations.cancel(id: record.id, partnerID: world.partnerID, now: world.clock)
        #expect(try flow.snapshot(reservationID: record.id)?.step == .wait)
        #expect(try flow.reconcile(now: world.clock + 600).unsettled == 1)
        #expect(try flow.snapshot(reservationID: record.id)?.step == .refresh(.vendor))
    }

    static func expectInvalidTransition(_ body: () throws -> Any) {
        do {
            _ = try body()
            Issue.record("expected invalid_transition")
        } catch let error as BookijiError {
            #expect(error.code == .invalidTransition, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

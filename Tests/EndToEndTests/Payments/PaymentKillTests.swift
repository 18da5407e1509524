import Foundation
import Postgres
import Testing

/// Crash safety (issue 12, point 3): the worker is killed with SIGKILL at every step of both
/// authorizations, the commit and the compensation (before each Stripe call, after its recovery
/// point was committed; and after the call, before its result was recorded), a new worker is
/// started, and the reservation must end where it would have without the crash, with the money
/// right at the fake: captured ⇔ COMMITTED, every other intent canceled or refunded, nothing
/// captured or refunded twice, no recovery point left open.
///
/// One world for all points (each point drives its own reservation), so the suite costs one
/// service start and a few seconds per point.
@Suite(.serialized)
struct PaymentKillTests {
    /// Workers here lease rows for 2 s, so a killed worker's row is taken over quickly.
    static let lease = ["--lease-seconds", "2"]

    /// How a point's reservation is driven to the step, and where it must end.
    enum Scenario {
        /// hold → confirm → both cards: COMMITTED.
        case booking
        /// the vendor authorized, then the partner cancels: CANCELLED, the deposit released.
        case cancelAfterVendor
        /// both sides authorizing (the requester in 3-D Secure), then cancelled: both released.
        case cancelDuringRequester
        /// the requester's capture refused after the vendor's went through: FAILED_COMMIT, the
        /// deposit refunded.
        case requesterCaptureRefused
        /// both captured but the reservation expired before it was recorded: both refunded.
        case expiredAfterCaptures
    }

    static func scenario(for point: String) -> Scenario {
        switch point.split(separator: ":").first.map(String.init) {
        case "vendor-cancel": .cancelAfterVendor
        case "requester-cancel": .cancelDuringRequester
        case "vendor-refund": .requesterCaptureRefused
        case "requester-refund": .expiredAfterCaptures
        default: .booking
        }
    }

    @Test func theWorkerKilledAtAnyStepResumesAndTheMoneyIsRight() throws {
        let world = try PaymentWorld(workerArguments: Self.lease)
        defer { world.stop() }
        world.worker?.stop()
        var outcomes: [String] = []
        for point in Self.points {
            let id = try run(point, in: world)
            outcomes.append("\(point) → \(try world.reservation(id)["state"] as? String ?? "?")")
        }
        #expect(try world.scalar("SELECT count(*) FROM operation_records WHERE status = 'started'") == 0,
                "every recovery point was resumed to its end")
        print("kill points:\n  " + outcomes.joined(separator: "\n  "))
    }

    static let points: [String] = ["vendor-auth", "vendor-confirm", "requester-auth", "requester-confirm", "vendor-capture",
                                   "requester-capture", "vendor-cancel", "requester-cancel", "vendor-refund", "requester-refund"]
        .flatMap { ["\($0):before", "\($0):after"] }

    /// Drives one reservation with a worker that dies at `point`, then finishes it with a fresh
    /// worker and checks the invariants; returns the reservation's id.
    private func run(_ point: String, in world: PaymentWorld) throws -> String {
        let crashing = try world.startWorker(["--test-crash-at", point] + Self.lease)
        let id = try world.hold()
        let expected: String
        switch Self.scenario(for: point) {
        case .booking:
            try world.confirm(id)
            try world.authorizeVendor(id)
            try world.authorizeRequester(id)
            expected = "COMMITTED"
        case .cancelAfterVendor:
            try world.confirm(id)
            try world.authorizeVendor(id)
            try world.waitFor(id, state: "AWAITING_REQUESTER_AUTH")
            #expect(try world.service.send("POST", "/v1/reservations/\(id)/cancel", key: world.partner.key).status == 200)
            expected = "CANCELLED"
        case .cancelDuringRequester:
            try world.confirm(id)
            try world.authorizeVendor(id)
            try world.authorizeRequester(id, "pm_card_threeDSecure2Required")
            _ = try world.waitForPayment(id) { $0["requesterPaymentIntentStatus"] as? String == "requires_action" }
            #expect(try world.service.send("POST", "/v1/reservations/\(id)/cancel", key: world.partner.key).status == 200)
            expected = "CANCELLED"
        case .requesterCaptureRefused:
            try world.confirm(id)
            try world.authorizeVendor(id)
            try world.authorizeRequester(id, "pm_card_threeDSecure2Required")
            let waiting = try world.waitForPayment(id) { $0["requesterPaymentIntentStatus"] as? String == "requires_action" }
            let intent = try #require(waiting["requesterPaymentIntentId"] as? String)
            try world.fault("capture", "card_error", times: 1, intent: intent)
            try world.confirmClientSide(intent, paymentMethod: "pm_card_threeDSecure2Required")
            expected = "FAILED_COMMIT"
        case .expiredAfterCaptures:
            // A first worker dies right after the requester's capture (its result unrecorded);
            // the deadline passes; the worker that wakes finds an EXPIRED reservation holding
            // two captures and must refund both, dying once more at `point` on the way.
            crashing.stop()
            let first = try world.startWorker(["--test-crash-at", "requester-capture:after"] + Self.lease)
            try world.confirm(id)
            try world.authorizeVendor(id)
            try world.authorizeRequester(id)
            #expect(first.waitForExit(seconds: 30) != nil, "the first worker reached requester-capture:after")
            try world.service.sql().query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = $1::uuid", [id])
            _ = try world.startWorker(["--test-crash-at", point] + Self.lease)
            expected = "EXPIRED"
        }
        guard let worker = world.worker, worker.waitForExit(seconds: 30) != nil else {
            throw CommandFailure(description: "the worker never reached \(point):\n\(world.worker?.log.suffix(4000) ?? "")")
        }
        #expect(worker.log.contains("crash point \(point) reached"), "\(point)")
        let survivor = try world.startWorker(Self.lease)
        defer { survivor.stop() }
        try world.waitFor(id, state: expected, seconds: 40)
        try expectMoneyRight(id, committed: expected == "COMMITTED", in: world, point: point)
        return id
    }

    /// Captured ⇔ COMMITTED, at the fake: a committed booking holds both amounts once; any other
    /// ends with each intent canceled or refunded in full, once.
    private func expectMoneyRight(_ id: String, committed: Bool, in world: PaymentWorld, point: String) throws {
        let settled = eventually(seconds: 30) {
            (try? world.scalar("""
                SELECT count(*) FROM payment_legs WHERE reservation_id = $1::uuid AND intent_id IS NOT NULL
                  AND NOT (status = 'canceled' OR (status = 'succeeded' AND ($2::bool OR refund_id IS NOT NULL)))
                """, [id, committed])) == 0
        }
        let state = (try? world.paymentState(id)) ?? [:]
        #expect(settled, "\(point): legs still hold money: \(state)")
        let intents = try world.service.sql().query(
            "SELECT side, intent_id FROM payment_legs WHERE reservation_id = $1::uuid AND intent_id IS NOT NULL", [id]
        ).map { (try $0.string(0), try $0.string(1)) }
        if committed { #expect(intents.count == 2, "\(point)") }
        for (side, intentID) in intents {
            let intent = try world.intent(intentID)
            let amount = intent["amount"] as? Int ?? -1, received = intent["amount_received"] as? Int ?? -1
            let refunds = try world.refunds(intentID)
            let refunded = refunds.reduce(0) { $0 + ($1["amount"] as? Int ?? 0) }
            #expect(received <= amount, "\(point) \(side): captured at most once")
            #expect(refunds.count <= 1, "\(point) \(side): refunded at most once: \(refunds)")
            if committed {
                #expect(received == amount && refunded == 0, "\(point) \(side): a booking keeps its money: \(intent)")
            } else {
                let canceled = intent["status"] as? String == "canceled"
                #expect(canceled || (received > 0 && refunded == received), "\(point) \(side): released or refunded: \(intent) \(refunds)")
            }
        }
    }
}

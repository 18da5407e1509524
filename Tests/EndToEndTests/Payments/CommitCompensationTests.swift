import Foundation
import Postgres
import Testing

/// The commit's failure rows of the compensation matrix (7a, 7b, 7c), a capture whose answer was
/// lost, the final revalidation, and expiry or cancellation at each stage: every intent of a
/// reservation that did not commit ends canceled or refunded, and nothing is captured twice.
@Suite(.serialized)
struct CommitCompensationTests {
    /// Walks a reservation up to the requester's authorization, arming `faults` (by side) once the
    /// intents exist, then sends the requester's card.
    private func authorizeBoth(_ world: PaymentWorld, armingOnVendorIntent arm: (String) throws -> Void = { _ in }) throws -> String {
        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id)
        let state = try world.waitFor(id, state: "AWAITING_REQUESTER_AUTH")
        let vendorIntent = try #require((state["paymentState"] as? [String: Any])?["vendorPaymentIntentId"] as? String)
        try arm(vendorIntent)
        try world.authorizeRequester(id)
        return id
    }

    private func intents(_ world: PaymentWorld, _ payment: [String: Any]) throws -> (vendor: [String: Any], requester: [String: Any]) {
        (try world.intent(try #require(payment["vendorPaymentIntentId"] as? String)),
         try world.intent(try #require(payment["requesterPaymentIntentId"] as? String)))
    }

    /// 7a: the vendor's capture keeps failing (5 attempts with backoff): FAILED_COMMIT, the
    /// requester's authorization released, the vendor's too, nothing captured.
    @Test func vendorCaptureFailingFiveTimesFailsTheCommitAndReleasesBoth() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try authorizeBoth(world) { try world.fault("capture", "api_error", times: 5, intent: $0) }
        let failed = try world.waitFor(id, state: "FAILED_COMMIT", seconds: 60)
        #expect((failed["failureReason"] as? String)?.contains("vendor capture failed") == true, "\(failed)")
        let payment = try world.waitForPayment(id) {
            $0["vendorPaymentIntentStatus"] as? String == "canceled" && $0["requesterPaymentIntentStatus"] as? String == "canceled"
        }
        #expect(payment["vendorCaptureAttempts"] as? Int == 5)
        #expect(payment["requesterCaptureAttempts"] as? Int == 0)
        #expect((payment["lastCaptureError"] as? String)?.isEmpty == false)
        let (vendor, requester) = try intents(world, payment)
        #expect(vendor["amount_received"] as? Int == 0 && requester["amount_received"] as? Int == 0)
        #expect(try world.scalar("SELECT count(*) FROM outbox WHERE reservation_id = $1::uuid AND topic = 'reservation.failed'", [id]) == 1)
        // The compensation event, once, naming what was done to each side.
        #expect(eventually(seconds: 10) {
            (try? world.scalar("SELECT count(*) FROM outbox WHERE reservation_id = $1::uuid AND topic = 'reservation.compensated'", [id])) == 1
        })
        let outcomes = try world.service.sql().query("""
            SELECT p->>'side', p->>'outcome' FROM outbox, jsonb_array_elements(payload->'payments') AS p
            WHERE reservation_id = $1::uuid AND topic = 'reservation.compensated' ORDER BY 1
            """, [id]).map { "\(try $0.string(0))=\(try $0.string(1))" }
        #expect(outcomes == ["requester=canceled", "vendor=canceled"])
    }

    /// 7b: the vendor's deposit is captured, the requester's capture is refused: the deposit is
    /// refunded, the requester's authorization released.
    @Test func requesterCaptureRefusedRefundsTheVendorsDeposit() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        // 3-D Secure holds the requester's authorization back, so its intent is known (and a
        // fault aimed at it) before the commit; the vendor's capture goes through first.
        let (second, _, requesterIntent) = try world.awaitingAuthentication()
        try world.fault("capture", "card_error", times: 1, intent: requesterIntent)
        try world.authenticate(requesterIntent)
        let failed = try world.waitFor(second, state: "FAILED_COMMIT")
        #expect((failed["failureReason"] as? String)?.contains("requester capture failed") == true, "\(failed)")
        let payment = try world.waitForPayment(second) {
            $0["vendorRefundId"] is String && $0["requesterPaymentIntentStatus"] as? String == "canceled"
        }
        let (vendor, requester) = try intents(world, payment)
        #expect(vendor["amount_received"] as? Int == 1000, "the deposit was captured")
        let refunds = try world.refunds(try #require(payment["vendorPaymentIntentId"] as? String))
        #expect(refunds.count == 1 && refunds.first?["amount"] as? Int == 1000, "and refunded once: \(refunds)")
        #expect(eventually(seconds: 10) {
            (try? world.scalar("""
                SELECT count(*) FROM outbox, jsonb_array_elements(payload->'payments') AS p
                WHERE reservation_id = $1::uuid AND topic = 'reservation.compensated' AND p->>'side' = 'vendor' AND p->>'outcome' = 'refunded'
                """, [second])) == 1
        }, "the compensation event says the deposit was refunded")
        #expect(requester["status"] as? String == "canceled")
        #expect(requester["amount_received"] as? Int == 0)
    }

    /// 7c: both captures would fail: the vendor's is refused first, so neither is captured and
    /// both authorizations are released (no refund needed).
    @Test func bothCapturesFailingReleasesBothAuthorizations() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let (id, vendorIntent, requesterIntent) = try world.awaitingAuthentication()
        try world.fault("capture", "card_error", times: 1, intent: vendorIntent)
        try world.fault("capture", "card_error", times: 1, intent: requesterIntent)
        try world.authenticate(requesterIntent)
        try world.waitFor(id, state: "FAILED_COMMIT")
        let payment = try world.waitForPayment(id) {
            $0["vendorPaymentIntentStatus"] as? String == "canceled" && $0["requesterPaymentIntentStatus"] as? String == "canceled"
        }
        #expect(payment["vendorRefundId"] == nil && payment["requesterRefundId"] == nil)
        let (vendor, requester) = try intents(world, payment)
        #expect(vendor["amount_received"] as? Int == 0 && requester["amount_received"] as? Int == 0)
    }

    /// A capture applied at Stripe whose answer was a 500: the retry with the same key gets the
    /// real answer, and the booking commits with one capture.
    @Test func aCaptureWhoseAnswerWasLostIsNotRepeated() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try authorizeBoth(world) { try world.fault("capture", "500_after_apply", times: 1, intent: $0) }
        let committed = try world.waitFor(id, state: "COMMITTED", seconds: 60)
        let payment = try #require(committed["paymentState"] as? [String: Any])
        let (vendor, _) = try intents(world, payment)
        #expect(vendor["amount_received"] as? Int == 1000)
        #expect(try world.refunds(try #require(payment["vendorPaymentIntentId"] as? String)).isEmpty)
        #expect(try world.scalar(
            "SELECT count(*) FROM operation_records WHERE reservation_id = $1::uuid AND operation = 'vendor-capture'", [id]) == 1,
            "one key for the capture: the retry reused it")
    }

    /// A dropped connection and a 429 lock_timeout on the requester's capture are retried.
    @Test func transientCaptureErrorsAreRetried() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let (id, _, requesterIntent) = try world.awaitingAuthentication()
        try world.fault("capture", "drop_connection", times: 1, intent: requesterIntent)
        try world.fault("capture", "lock_timeout", times: 1, intent: requesterIntent)
        try world.authenticate(requesterIntent)
        let committed = try world.waitFor(id, state: "COMMITTED", seconds: 60)
        let payment = try #require(committed["paymentState"] as? [String: Any])
        #expect(payment["requesterCaptureAttempts"] as? Int == 3)
    }

    /// Step 6: the slot became unavailable after both authorizations (the vendor closed for the
    /// day): FAILED_AVAILABILITY_CHANGED and both authorizations released.
    @Test func availabilityChangedBeforeCommitReleasesBoth() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let (id, _, requesterIntent) = try world.awaitingAuthentication()
        let closed = world.service.directoryPath("closed.json")
        try #"{"timeZone":"UTC","slotMinutes":30,"weeklyHours":{}}"#.write(toFile: closed, atomically: true, encoding: .utf8)
        try world.service.bookiji(["vendor", "rules", "set", world.vendor, "--file", closed])
        try world.authenticate(requesterIntent)
        let failed = try world.waitFor(id, state: "FAILED_AVAILABILITY_CHANGED")
        #expect((failed["failureReason"] as? String)?.contains("slot no longer available") == true)
        let payment = try world.waitForPayment(id) {
            $0["vendorPaymentIntentStatus"] as? String == "canceled" && $0["requesterPaymentIntentStatus"] as? String == "canceled"
        }
        #expect(payment["vendorCaptureAttempts"] as? Int == 0)
    }

    /// The deadline passes while the vendor's intent waits for a card: EXPIRED, intent canceled.
    @Test func expiryAwaitingTheVendorCancelsItsIntent() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        try world.confirm(id)
        let created = try world.waitForPayment(id) { $0["vendorPaymentIntentId"] is String }
        try world.service.sql().query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = $1::uuid", [id])
        try world.waitFor(id, state: "EXPIRED")
        _ = try world.waitForPayment(id) { $0["vendorPaymentIntentStatus"] as? String == "canceled" }
        #expect(try world.intent(try #require(created["vendorPaymentIntentId"] as? String))["status"] as? String == "canceled")
    }

    /// The deadline passes while the requester authenticates: EXPIRED, both intents canceled.
    @Test func expiryAwaitingTheRequesterCancelsBothIntents() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let (id, _, _) = try world.awaitingAuthentication()
        try world.service.sql().query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = $1::uuid", [id])
        try world.waitFor(id, state: "EXPIRED")
        let payment = try world.waitForPayment(id) {
            $0["vendorPaymentIntentStatus"] as? String == "canceled" && $0["requesterPaymentIntentStatus"] as? String == "canceled"
        }
        let (vendor, requester) = try intents(world, payment)
        #expect(vendor["status"] as? String == "canceled" && requester["status"] as? String == "canceled")
    }

    /// The partner cancels after the vendor's deposit was authorized: released; and once the
    /// commit is under way a cancellation is refused, the commit decides.
    @Test func cancellationReleasesAuthorizations() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id)
        let awaiting = try world.waitFor(id, state: "AWAITING_REQUESTER_AUTH")
        let vendorIntent = try #require((awaiting["paymentState"] as? [String: Any])?["vendorPaymentIntentId"] as? String)
        let cancelled = try world.service.send("POST", "/v1/reservations/\(id)/cancel", key: world.partner.key)
        #expect(cancelled.status == 200)
        _ = try world.waitForPayment(id) { $0["vendorPaymentIntentStatus"] as? String == "canceled" }
        #expect(try world.intent(vendorIntent)["status"] as? String == "canceled")
        let late = try world.authorizeRequester(id)
        #expect(late.status == 409)
    }
}

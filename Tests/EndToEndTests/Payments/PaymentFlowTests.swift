import Foundation
import Postgres
import Testing

/// The payment half end to end: partner and vendor through nginx, the worker calling the fake
/// Stripe, Stripe's signed events back through nginx. Each test checks the reservation the
/// partner sees and the money as the fake holds it: captured only for COMMITTED, everything else
/// canceled or refunded.
@Suite(.serialized)
struct PaymentFlowTests {
    @Test func aBookingCommitsWithBothPaymentsCaptured() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        #expect(try world.confirm(id).json["state"] as? String == "AWAITING_VENDOR_AUTH")
        let vendorAuth = try world.authorizeVendor(id)
        #expect(vendorAuth.status == 202, "\(vendorAuth.text)")
        // The requester's card may come early; it is used once the vendor's deposit is authorized.
        #expect(try world.authorizeRequester(id).status == 202)
        let committed = try world.waitFor(id, state: "COMMITTED")

        let bookingID = try #require(committed["bookingId"] as? String)
        #expect(bookingID.count == 36)
        #expect(committed["failureReason"] == nil)
        let payment = try #require(committed["paymentState"] as? [String: Any])
        #expect(payment["vendorPaymentIntentStatus"] as? String == "succeeded")
        #expect(payment["requesterPaymentIntentStatus"] as? String == "succeeded")
        #expect((payment["vendorCaptureId"] as? String)?.hasPrefix("ch_") == true)
        #expect((payment["requesterCaptureId"] as? String)?.hasPrefix("ch_") == true)
        #expect(payment["vendorCaptureAttempts"] as? Int == 1)
        #expect(payment["requesterCaptureAttempts"] as? Int == 1)
        #expect(payment["vendorAuthorizedAt"] is String && payment["requesterAuthorizedAt"] is String)
        #expect(payment["requesterClientSecret"] is String, "the partner sees its requester's client secret")
        #expect(payment["vendorClientSecret"] == nil, "but not the vendor's")

        // At the fake: the deposit and the price, manual capture, the transfer and the fee.
        let vendorIntent = try world.intent(try #require(payment["vendorPaymentIntentId"] as? String))
        #expect(vendorIntent["amount"] as? Int == 1000)
        #expect(vendorIntent["amount_received"] as? Int == 1000)
        #expect(vendorIntent["capture_method"] as? String == "manual")
        #expect((vendorIntent["metadata"] as? [String: Any])?["reservation_id"] as? String == id)
        #expect((vendorIntent["metadata"] as? [String: Any])?["partner_id"] as? String == world.partner.id)
        let requesterIntent = try world.intent(try #require(payment["requesterPaymentIntentId"] as? String))
        #expect(requesterIntent["amount_received"] as? Int == 5000)
        #expect((requesterIntent["transfer_data"] as? [String: Any])?["destination"] as? String == "acct_1TestVendor")
        #expect(requesterIntent["application_fee_amount"] as? Int == 500)
        #expect((requesterIntent["metadata"] as? [String: Any])?["booking_id"] as? String == bookingID, "captures carry the booking's id")

        // The history walks the spec's states in order.
        let history = try #require(committed["stateHistory"] as? [[String: Any]]).compactMap { $0["toState"] as? String }
        #expect(history == [
            "HELD", "AWAITING_VENDOR_CONFIRMATION", "CONFIRMED_BY_VENDOR", "AWAITING_VENDOR_AUTH", "VENDOR_AUTHORIZED",
            "AWAITING_REQUESTER_AUTH", "AUTHORIZED_BOTH", "COMMIT_IN_PROGRESS", "COMMITTED",
        ])
        // Every call had its recovery point, under the spec's key format, and finished.
        let keys = try world.service.sql().query(
            "SELECT idempotency_key, status FROM operation_records WHERE reservation_id = $1::uuid ORDER BY started_at, idempotency_key", [id]
        ).map { (try $0.string(0), try $0.string(1)) }
        let made = Set(keys.map(\.0))
        let expected = ["vendor-auth", "vendor-confirm", "requester-auth", "requester-confirm", "vendor-capture", "requester-capture"]
        #expect(made == Set(expected.map { "\($0)-\(id)-1" }), "\(made)")
        #expect(keys.allSatisfy { $0.1 == "succeeded" }, "\(keys)")
        // Each transition is announced in the outbox with the spec's event names.
        #expect(try world.scalar(
            "SELECT count(*) FROM outbox WHERE reservation_id = $1::uuid AND topic IN ('reservation.vendor_authorized', 'reservation.authorized_both', 'reservation.committed')",
            [id]) == 3)
    }

    /// The partner's webhook endpoint hears the whole booking, payment events included, in order.
    @Test func aBookingsEventsReachThePartnersWebhook() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let receiver = try WebhookReceiver(logPath: world.service.directoryPath("receiver.log"))
        defer { receiver.stop() }
        let registered = try world.service.send(
            "POST", "/v1/webhook-endpoints", key: world.partner.key, body: Array(#"{"url":"\#(receiver.url)"}"#.utf8))
        #expect(registered.status == 201)
        try receiver.setSecrets([try #require(registered.json["secret"] as? String)])
        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id)
        try world.authorizeRequester(id)
        try world.waitFor(id, state: "COMMITTED")
        try receiver.waitForDeliveries(5, log: world.worker?.log ?? "")
        let events = try receiver.events()
        #expect(events.map { $0["event"] as? String ?? "" } == [
            "reservation.created", "reservation.vendor_confirmed", "reservation.vendor_authorized", "reservation.authorized_both",
            "reservation.committed",
        ])
        #expect(events.map { $0["sequence"] as? Int ?? 0 } == [1, 2, 3, 4, 5])
        #expect((events.last?["data"] as? [String: Any])?["bookingId"] as? String == (try world.reservation(id))["bookingId"] as? String)
        #expect(try receiver.received().allSatisfy { ($0["verifiedWith"] as? [Int]) == [0] })
    }

    @Test func aDeclinedDepositFailsTheReservationAndReleasesIt() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id, "pm_card_chargeDeclinedInsufficientFunds")
        let failed = try world.waitFor(id, state: "FAILED_VENDOR_AUTH")
        #expect((failed["failureReason"] as? String)?.contains("insufficient_funds") == true, "\(failed)")
        let payment = try world.waitForPayment(id) { $0["vendorPaymentIntentStatus"] as? String == "canceled" }
        #expect(payment["vendorDeclineCode"] as? String == "insufficient_funds")
        #expect(payment["requesterPaymentIntentId"] is NSNull, "no requester intent was created")
        #expect(try world.intent(try #require(payment["vendorPaymentIntentId"] as? String))["status"] as? String == "canceled")
    }

    @Test func aDeclinedRequesterCardReleasesTheVendorsDeposit() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id)
        try world.waitFor(id, state: "AWAITING_REQUESTER_AUTH")
        try world.authorizeRequester(id, "pm_card_chargeDeclinedInsufficientFunds")
        let failed = try world.waitFor(id, state: "FAILED_REQUESTER_AUTH")
        #expect((failed["failureReason"] as? String)?.contains("insufficient_funds") == true)
        let payment = try world.waitForPayment(id) {
            $0["vendorPaymentIntentStatus"] as? String == "canceled" && $0["requesterPaymentIntentStatus"] as? String == "canceled"
        }
        // Matrix row 5: the vendor's authorization is released, nothing was captured.
        let vendorIntent = try world.intent(try #require(payment["vendorPaymentIntentId"] as? String))
        #expect(vendorIntent["status"] as? String == "canceled")
        #expect(vendorIntent["amount_received"] as? Int == 0)
    }

    @Test func threeDSecureWaitsForTheRequesterAndStripesEventFinishesIt() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let (id, _, intent) = try world.awaitingAuthentication()
        #expect(try world.paymentState(id)["nextAction"] as? String == "requester_authentication")
        #expect(try world.reservation(id)["state"] as? String == "AWAITING_REQUESTER_AUTH")
        // The requester passes the challenge in the browser; Stripe's event reaches the webhook,
        // the worker applies it and the booking commits.
        try world.authenticate(intent)
        try world.waitFor(id, state: "COMMITTED")
        #expect(try world.scalar("SELECT count(*) FROM stripe_events WHERE type = 'payment_intent.amount_capturable_updated' AND applied_at IS NOT NULL") >= 1)
    }

    @Test func theVendorCanConfirmItsDepositWithStripeJS() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        try world.confirm(id)
        // The vendor's view carries its client secret once the worker created the intent.
        var vendorView: [String: Any] = [:]
        #expect(eventually(seconds: 20) {
            vendorView = (try? world.service.get("/v1/vendor/reservations/\(id)", key: world.vendorKey).json["paymentState"] as? [String: Any]) ?? [:]
            return vendorView["vendorClientSecret"] is String
        }, "\(vendorView)")
        #expect(vendorView["nextAction"] as? String == "vendor_payment_method")
        let intent = try #require(vendorView["vendorPaymentIntentId"] as? String)
        try world.confirmClientSide(intent, paymentMethod: "pm_card_visa")
        try world.waitFor(id, state: "AWAITING_REQUESTER_AUTH")
        try world.authorizeRequester(id)
        try world.waitFor(id, state: "COMMITTED")
    }

    @Test func authorizeIsRefusedClearly() throws {
        let world = try PaymentWorld()
        defer { world.stop() }
        let id = try world.hold()
        // Before the vendor confirmed, and with a malformed payment method.
        let early = try world.authorizeVendor(id)
        #expect(early.status == 409)
        #expect(early.errorCode == "invalid_transition")
        try world.confirm(id)
        let malformed = try world.authorizeVendor(id, "card_4242")
        #expect(malformed.status == 400)
        #expect(malformed.errorCode == "invalid_parameter")
        let other = try world.service.createPartner(name: "Other")
        let foreign = try world.service.send(
            "POST", "/v1/reservations/\(id)/authorize", key: other.key, body: Array(#"{"paymentMethodId":"pm_card_visa"}"#.utf8))
        #expect(foreign.status == 404)
        #expect(try world.authorizeVendor(id).status == 202)
        #expect(try world.authorizeVendor(id).status == 202, "the same request again is accepted")
        let changed = try world.authorizeVendor(id, "pm_card_threeDSecure2Required")
        #expect(changed.status == 409, "\(changed.text)")
    }
}

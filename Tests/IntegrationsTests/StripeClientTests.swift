import Foundation
import Integrations
import Testing

/// ``StripeClient`` against a running `fake-stripe`, one fake per test; the form encoding and the
/// reading of answers in process beside it (StripeClientTests+FormBody, StripeClientTests+Wire).
@Suite("Stripe client")
struct StripeClientTests {
    static func vendorIntent(paymentMethod: String? = nil, confirm: Bool = false) -> PaymentIntentParameters {
        PaymentIntentParameters(
            amount: 5000, currency: "usd", metadata: ["reservation_id": "res_123", "note": "deposit & fee = 10%"],
            transferDestination: "acct_1Vendor", applicationFeeAmount: 500, paymentMethod: paymentMethod, confirm: confirm)
    }

    /// A new intent, authorized with a visa card unless told otherwise.
    static func authorizedIntent(_ stripe: StripeClient) async throws -> StripePaymentIntent {
        let created = try await stripe.createPaymentIntent(vendorIntent(), idempotencyKey: key("create"))
        return try await stripe.confirmPaymentIntent(created.id, paymentMethod: "pm_card_visa", idempotencyKey: key("confirm"))
    }

    static func key(_ operation: String) -> String { "\(operation)-\(UUID().uuidString)" }

    @Test func creatingKeepsManualCaptureMetadataTransferAndFee() async throws {
        let fake = try await FakeStripeProcess.start()
        let parameters = Self.vendorIntent()

        let intent = try await fake.client().createPaymentIntent(parameters, idempotencyKey: Self.key("create"))

        #expect(intent.id.hasPrefix("pi_"))
        #expect(intent.status == "requires_payment_method")
        #expect(intent.amount == 5000 && intent.currency == "usd")
        #expect(intent.amountCapturable == 0 && intent.amountReceived == 0)
        #expect(intent.metadata == parameters.metadata)
        #expect(intent.clientSecret?.hasPrefix(intent.id + "_secret_") == true)
        // What the fake stored from our body, read raw: fields the client does not decode.
        let stored = try await fake.rawIntent(intent.id)
        #expect(stored["capture_method"] as? String == "manual")
        #expect((stored["transfer_data"] as? [String: Any])?["destination"] as? String == "acct_1Vendor")
        #expect(stored["application_fee_amount"] as? Int == 500)
    }

    @Test func confirmingWithAVisaCardAuthorizesTheAmountForCapture() async throws {
        let fake = try await FakeStripeProcess.start()

        let intent = try await Self.authorizedIntent(fake.client())

        #expect(intent.status == "requires_capture")
        #expect(intent.amountCapturable == 5000)
        #expect(intent.latestCharge?.hasPrefix("ch_") == true)
        #expect(intent.lastPaymentError == nil)
    }

    @Test func aDeclineForInsufficientFundsIsACardErrorCarryingTheIntent() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let created = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: Self.key("create"))

        let error = await stripeError {
            try await stripe.confirmPaymentIntent(
                created.id, paymentMethod: "pm_card_chargeDeclinedInsufficientFunds", idempotencyKey: Self.key("confirm"))
        }

        let declined = try #require(error?.apiError, "\(String(describing: error))")
        #expect(declined.status == 402)
        #expect(declined.isCardError)
        #expect(declined.detail.code == "card_declined")
        #expect(declined.detail.declineCode == "insufficient_funds")
        #expect(!declined.isRetryable)
        #expect(declined.requestID?.hasPrefix("req_") == true)
        let intent = try #require(declined.paymentIntent)
        #expect(intent.id == created.id)
        #expect(intent.status == "requires_payment_method")
        #expect(intent.lastPaymentError?.declineCode == "insufficient_funds")
    }

    @Test func threeDSecureNeedsActionAndASecondConfirmAuthorizes() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let created = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: Self.key("create"))

        let challenged = try await stripe.confirmPaymentIntent(
            created.id, paymentMethod: "pm_card_threeDSecure2Required", idempotencyKey: Self.key("confirm"))
        let authenticated = try await stripe.confirmPaymentIntent(created.id, paymentMethod: nil, idempotencyKey: Self.key("confirm"))

        #expect(challenged.status == "requires_action")
        #expect(authenticated.status == "requires_capture")
        #expect(authenticated.amountCapturable == 5000)
    }

    @Test func captureTakesTheWholeAuthorization() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let authorized = try await Self.authorizedIntent(stripe)

        let captured = try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: Self.key("capture"))

        #expect(captured.status == "succeeded")
        #expect(captured.amountReceived == 5000)
        #expect(captured.amountCapturable == 0)
        #expect(try await stripe.retrievePaymentIntent(authorized.id).status == "succeeded")
    }

    @Test func cancelReleasesTheAuthorizationAndACaptureAfterItIsRefused() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let authorized = try await Self.authorizedIntent(stripe)

        let canceled = try await stripe.cancelPaymentIntent(
            authorized.id, reason: "requested_by_customer", idempotencyKey: Self.key("cancel"))
        let error = await stripeError { try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: Self.key("capture")) }

        #expect(canceled.status == "canceled")
        #expect(canceled.cancellationReason == "requested_by_customer")
        #expect(canceled.amountCapturable == 0)
        let refused = try #require(error?.apiError, "\(String(describing: error))")
        #expect(refused.status == 400 && refused.detail.code == "payment_intent_unexpected_state")
        #expect(refused.paymentIntent?.status == "canceled")
        #expect(!refused.isRetryable)
    }

    @Test func aRefundOfACaptureIsListedForItsIntentOnly() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let authorized = try await Self.authorizedIntent(stripe)
        _ = try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: Self.key("capture"))
        let other = try await Self.authorizedIntent(stripe)
        _ = try await stripe.capturePaymentIntent(other.id, idempotencyKey: Self.key("capture"))
        _ = try await stripe.createRefund(paymentIntent: other.id, metadata: [:], idempotencyKey: Self.key("refund"))

        let refund = try await stripe.createRefund(
            paymentIntent: authorized.id, metadata: ["reservation_id": "res_123"], idempotencyKey: Self.key("refund"))
        let listed = try await stripe.listRefunds(paymentIntent: authorized.id)

        #expect(refund.id.hasPrefix("re_"))
        #expect(refund.status == "succeeded")
        #expect(refund.amount == 5000)
        #expect(refund.paymentIntent == authorized.id)
        #expect(refund.charge == authorized.latestCharge)
        #expect(listed == [refund])
    }

    @Test func theSameKeyTwiceCreatesOneIntent() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let key = Self.key("create")

        let first = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: key)
        let again = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: key)
        let otherKey = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: Self.key("create"))

        #expect(again == first)
        #expect(otherKey.id != first.id, "a new key is a new intent")
    }

    @Test func theSameKeyWithOtherParametersIsAnIdempotencyErrorNotWorthRetrying() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let key = Self.key("create")
        _ = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: key)
        var changed = Self.vendorIntent()
        changed.amount += 1

        let error = await stripeError { try await stripe.createPaymentIntent(changed, idempotencyKey: key) }

        let refused = try #require(error?.apiError, "\(String(describing: error))")
        #expect(refused.status == 400)
        #expect(refused.detail.type == "idempotency_error")
        #expect(!refused.isRetryable)
        #expect(error?.isRetryable == false)
    }

    @Test func anInjectedAPIErrorAppliesNothingAndIsWorthRetrying() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let authorized = try await Self.authorizedIntent(stripe)
        try await fake.arm("api_error", on: "capture", paymentIntent: authorized.id)
        let key = Self.key("capture")

        let error = await stripeError { try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: key) }

        let failed = try #require(error?.apiError, "\(String(describing: error))")
        #expect(failed.status == 500 && failed.detail.type == "api_error")
        #expect(failed.isRetryable)
        #expect(error?.isRetryable == true)
        #expect(try await stripe.retrievePaymentIntent(authorized.id).status == "requires_capture")
        #expect(try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: key).status == "succeeded")
    }

    @Test func aLockTimeoutIsA429WorthRetrying() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let created = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: Self.key("create"))
        try await fake.arm("lock_timeout", on: "confirm", paymentIntent: created.id)

        let error = await stripeError {
            try await stripe.confirmPaymentIntent(created.id, paymentMethod: "pm_card_visa", idempotencyKey: Self.key("confirm"))
        }

        let locked = try #require(error?.apiError, "\(String(describing: error))")
        #expect(locked.status == 429 && locked.detail.code == "lock_timeout")
        #expect(locked.shouldRetry == true)
        #expect(locked.isRetryable)
        #expect(locked.requestID?.hasPrefix("req_") == true)
    }

    @Test func aDroppedConnectionIsATransportErrorAndTheRetryCreatesTheIntent() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        try await fake.arm("drop_connection", on: "create")
        let key = Self.key("create")

        let error = await stripeError { try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: key) }
        let retried = try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: key)

        guard case .transport = error else {
            Issue.record("expected .transport, got \(String(describing: error))")
            return
        }
        #expect(error?.isRetryable == true)
        #expect(retried.status == "requires_payment_method")
    }

    @Test func aCaptureAppliedBeforeA500IsReturnedByTheRetryWithTheSameKey() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client()
        let authorized = try await Self.authorizedIntent(stripe)
        try await fake.arm("500_after_apply", on: "capture", paymentIntent: authorized.id)
        let key = Self.key("capture")

        let error = await stripeError { try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: key) }
        let retried = try await stripe.capturePaymentIntent(authorized.id, idempotencyKey: key)

        #expect(error?.apiError?.status == 500)
        #expect(error?.isRetryable == true)
        #expect(retried.id == authorized.id)
        #expect(retried.status == "succeeded")
        #expect(retried.amountReceived == 5000)
    }

    @Test func aBadSecretKeyIsA401NotWorthRetrying() async throws {
        let fake = try await FakeStripeProcess.start()
        let stripe = fake.client(secretKey: "sk_live_not_this_one")

        let error = await stripeError { try await stripe.createPaymentIntent(Self.vendorIntent(), idempotencyKey: Self.key("create")) }

        let refused = try #require(error?.apiError, "\(String(describing: error))")
        #expect(refused.status == 401)
        #expect(refused.detail.type == "invalid_request_error")
        #expect(!refused.isRetryable)
        #expect(refused.requestID?.hasPrefix("req_") == true)
        #expect(!refused.description.contains("sk_live_not_this_one"))
    }

    @Test func anAnswerSlowerThanTheTimeoutIsATransportError() async throws {
        let fake = try await FakeStripeProcess.start(arguments: ["--latency-ms", "3000"])
        let stripe = StripeClient(
            configuration: StripeConfiguration(apiBase: fake.apiBase, secretKey: "sk_test_bookiji", timeout: .milliseconds(300)))
        let began = ContinuousClock.now

        let error = await stripeError { try await stripe.retrievePaymentIntent("pi_anything") }

        guard case .transport = error else {
            Issue.record("expected .transport, got \(String(describing: error))")
            return
        }
        #expect(ContinuousClock.now - began < .seconds(2), "gave up at the timeout, not at the answer")
    }
}

/// The error a Stripe call failed with, nil when it succeeded. (A closure's thrown type is not
/// inferred from its body in Swift 6.0, hence `any Error` and the cast.)
func stripeError<Value>(_ call: () async throws -> Value) async -> StripeCallError? {
    do {
        _ = try await call()
        return nil
    } catch let error as StripeCallError {
        return error
    } catch {
        Issue.record("not a StripeCallError: \(error)")
        return nil
    }
}

extension StripeCallError {
    var apiError: StripeAPIError? {
        if case .api(let error) = self { return error }
        return nil
    }
}

import Testing
@testable import fake_stripe

/// ``FakeStripeState`` in process: Stripe's PaymentIntent transitions, with an explicit clock.
struct PaymentIntentStateMachineTests {
    static let start = 1_700_000_000

    /// A state with one intent created (manual capture, no payment method yet).
    static func created(_ extra: [String: String] = [:]) -> (FakeStripeState, PaymentIntent) {
        var state = FakeStripeState()
        let params = FormParameters(["amount": "5000", "currency": "usd", "capture_method": "manual"].merging(extra) { $1 })
        let outcome = state.createPaymentIntent(params, now: start)
        return (state, outcome.intent!)
    }

    @Test func visaAuthorizesAManualIntentThenCaptureSucceeds() throws {
        var (state, intent) = Self.created(["metadata[reservation_id]": "res_1", "transfer_data[destination]": "acct_1"])
        #expect(intent.status == .requiresPaymentMethod)
        #expect(intent.metadata == ["reservation_id": "res_1"] && intent.transferDestination == "acct_1")
        let confirmed = state.confirm(intent.id, FormParameters(["payment_method": "pm_card_visa"]), now: Self.start)
        #expect(confirmed.intent?.status == .requiresCapture)
        #expect(confirmed.intent?.amountCapturable == 5000)
        #expect(confirmed.events.map(\.type) == ["payment_intent.amount_capturable_updated"])
        let captured = state.capture(intent.id, FormParameters(["amount_to_capture": "4500"]), now: Self.start)
        intent = try #require(captured.intent)
        #expect(intent.status == .succeeded && intent.amountReceived == 4500 && intent.amountCapturable == 0)
        #expect(captured.events.map(\.type) == ["payment_intent.succeeded"])
    }

    @Test func insufficientFundsDeclinesAndReturnsTheIntentToRequiresPaymentMethod() throws {
        var (state, intent) = Self.created()
        let outcome = state.confirm(
            intent.id, FormParameters(["payment_method": "pm_card_chargeDeclinedInsufficientFunds"]), now: Self.start)
        guard case .failure(let error) = outcome.result else { Issue.record("declined card confirmed"); return }
        #expect(error.status == 402 && error.type == "card_error" && error.code == "card_declined")
        #expect(error.declineCode == "insufficient_funds")
        intent = try #require(state.intents[intent.id])
        #expect(intent.status == .requiresPaymentMethod && intent.lastPaymentError?.declineCode == "insufficient_funds")
        #expect(outcome.events.map(\.type) == ["payment_intent.payment_failed"])
    }

    @Test func threeDSecureRequiresAction() {
        var (state, intent) = Self.created()
        let outcome = state.confirm(intent.id, FormParameters(["payment_method": "pm_card_threeDSecure2Required"]), now: Self.start)
        #expect(outcome.intent?.status == .requiresAction)
        #expect(outcome.events.map(\.type) == ["payment_intent.requires_action"])
        intent = outcome.intent!
        #expect(intent.json["next_action"] is [String: Any])
    }

    /// Which statuses each operation accepts, as Stripe documents them.
    @Test(arguments: PaymentIntentStatus.allCases)
    func operationsRefuseTheWrongState(status: PaymentIntentStatus) {
        var (state, intent) = Self.created(["payment_method": "pm_card_visa"])
        switch status {
        case .requiresPaymentMethod:
            _ = state.confirm(intent.id, FormParameters(["payment_method": "pm_card_chargeDeclinedInsufficientFunds"]), now: Self.start)
        case .requiresConfirmation: break
        case .requiresAction:
            _ = state.confirm(intent.id, FormParameters(["payment_method": "pm_card_threeDSecure2Required"]), now: Self.start)
        case .requiresCapture: _ = state.confirm(intent.id, FormParameters(), now: Self.start)
        case .succeeded:
            _ = state.confirm(intent.id, FormParameters(), now: Self.start)
            _ = state.capture(intent.id, FormParameters(), now: Self.start)
        case .canceled: _ = state.cancel(intent.id, FormParameters(), now: Self.start)
        }
        intent = state.intents[intent.id]!
        #expect(intent.status == status)
        let refused = { (outcome: Outcome) -> Bool in
            if case .failure(let error) = outcome.result { return error.code == "payment_intent_unexpected_state" }
            return false
        }
        var copy = state
        #expect(refused(copy.capture(intent.id, FormParameters(), now: Self.start)) == (status != .requiresCapture))
        copy = state
        #expect(refused(copy.cancel(intent.id, FormParameters(), now: Self.start)) == [.succeeded, .canceled].contains(status))
        copy = state
        let visa = FormParameters(["payment_method": "pm_card_visa"])
        #expect(refused(copy.confirm(intent.id, visa, now: Self.start)) == [.requiresCapture, .succeeded, .canceled].contains(status))
    }

    @Test func anAuthorizationLapsesSevenDaysAfterCreation() {
        var (state, intent) = Self.created(["payment_method": "pm_card_visa", "confirm": "true"])
        #expect(state.expireAuthorizations(now: Self.start + FakeStripeState.authorizationLifetime - 1).isEmpty)
        let events = state.expireAuthorizations(now: Self.start + FakeStripeState.authorizationLifetime)
        #expect(events.map(\.type) == ["charge.expired", "payment_intent.canceled"])
        intent = state.intents[intent.id]!
        #expect(intent.status == .canceled && intent.cancellationReason == "automatic")
    }

    @Test func refundsStopAtTheCapturedAmount() {
        var (state, intent) = Self.created(["payment_method": "pm_card_visa", "confirm": "true"])
        _ = state.capture(intent.id, FormParameters(["amount_to_capture": "3000"]), now: Self.start)
        let first = state.createRefund(FormParameters(["payment_intent": intent.id, "amount": "1000"]), now: Self.start)
        #expect(first.events.map(\.type) == ["charge.refunded"])
        let tooMuch = state.createRefund(FormParameters(["payment_intent": intent.id, "amount": "2001"]), now: Self.start)
        guard case .failure(let error) = tooMuch.result else { Issue.record("over-refund accepted"); return }
        #expect(error.code == "amount_too_large")
        let rest = state.createRefund(FormParameters(["payment_intent": intent.id]), now: Self.start)
        guard case .success(.refund(let refund)) = rest.result else { Issue.record("refund of the rest failed"); return }
        #expect(refund.amount == 2000)
        guard case .success(.refundList(let list, _)) = state.listRefunds(FormParameters(["payment_intent": intent.id])).result
        else { Issue.record("list failed"); return }
        #expect(list.count == 2)
        intent = state.intents[intent.id]!
        #expect(intent.chargeJSON["refunded"] as? Bool == true)
    }

    @Test func unknownAndMissingParametersAreInvalidRequests() {
        var state = FakeStripeState()
        let unknown = state.createPaymentIntent(FormParameters(["amount": "1", "currency": "usd", "colour": "x"]), now: 0)
        guard case .failure(let error) = unknown.result else { Issue.record("accepted"); return }
        #expect(error.status == 400 && error.code == "parameter_unknown" && error.param == "colour")
        let missing = state.createPaymentIntent(FormParameters(["currency": "usd"]), now: 0)
        guard case .failure(let error) = missing.result else { Issue.record("accepted"); return }
        #expect(error.code == "parameter_missing" && error.param == "amount")
        guard case .failure(let error) = state.retrievePaymentIntent("pi_nope").result else { Issue.record("found"); return }
        #expect(error.status == 404 && error.code == "resource_missing")
    }
}

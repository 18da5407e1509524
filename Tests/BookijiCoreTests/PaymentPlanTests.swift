import BookijiCore
import Testing

/// The payment flow's decisions as a table: authorization, commit, and the compensation matrix.
struct PaymentPlanTests {
    static func leg(
        _ side: PaymentSide, _ status: PaymentIntentStatus?, intent: Bool = true, method: String? = nil,
        confirmedWith: String? = nil, decline: String? = nil, attempts: Int = 0, captureFailed: Bool = false,
        refund: String? = nil, refresh: Bool = false, createStarted: Bool = true, createError: String? = nil
    ) -> PaymentLeg {
        PaymentLeg(
            side: side, amount: 1000, currency: "eur", createStarted: createStarted, createError: createError,
            intentID: intent ? "pi_\(side.rawValue)" : nil, status: status, paymentMethod: method, confirmedWith: confirmedWith,
            declineCode: decline, captureAttempts: attempts, captureFailed: captureFailed, refundID: refund, needsRefresh: refresh)
    }

    static let authorizedVendor = leg(.vendor, .requiresCapture)
    static let authorizedRequester = leg(.requester, .requiresCapture)

    @Test func beforeTheVendorConfirmsThereIsNothingToDo() {
        for state in [ReservationState.intentCreated, .held, .awaitingVendorConfirmation] {
            #expect(PaymentPlan.next(state: state, legs: PaymentLegs()) == .wait)
        }
    }

    @Test func theVendorsAuthorizationIsCreatedConfirmedAndRecorded() {
        #expect(PaymentPlan.next(state: .confirmedByVendor, legs: PaymentLegs()) == .awaitAuthorization(.vendor))
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs()) == .create(.vendor))
        // A payment method that came first does not start the creation by itself.
        let asked = Self.leg(.vendor, nil, intent: false, method: "pm_card_visa", createStarted: false)
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: asked)) == .create(.vendor))
        // A creation whose answer was lost is resumed.
        let lost = Self.leg(.vendor, nil, intent: false)
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: lost)) == .create(.vendor))
        let created = Self.leg(.vendor, .requiresPaymentMethod)
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: created)) == .wait)
        let withCard = Self.leg(.vendor, .requiresPaymentMethod, method: "pm_card_visa")
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: withCard))
            == .confirm(.vendor, paymentMethod: "pm_card_visa"))
        let confirmed = Self.leg(.vendor, .requiresPaymentMethod, method: "pm_card_visa", confirmedWith: "pm_card_visa")
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: confirmed)) == .wait)
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: Self.authorizedVendor)) == .authorized(.vendor))
        #expect(PaymentPlan.next(state: .vendorAuthorized, legs: PaymentLegs(vendor: Self.authorizedVendor))
            == .awaitAuthorization(.requester))
    }

    @Test func threeDSecureAndProcessingWait() {
        for status in [PaymentIntentStatus.requiresAction, .processing] {
            let legs = PaymentLegs(vendor: Self.authorizedVendor, requester: Self.leg(.requester, status, method: "pm_x", confirmedWith: "pm_x"))
            #expect(PaymentPlan.next(state: .awaitingRequesterAuth, legs: legs) == .wait)
        }
    }

    @Test func aDeclineOrACanceledIntentFailsTheAuthorization() {
        let declined = Self.leg(.requester, .requiresPaymentMethod, method: "pm_x", confirmedWith: "pm_x", decline: "insufficient_funds")
        guard case .authorizationFailed(.requester, let reason) = PaymentPlan.next(
            state: .awaitingRequesterAuth, legs: PaymentLegs(vendor: Self.authorizedVendor, requester: declined))
        else { Issue.record("a decline fails the requester's authorization"); return }
        #expect(reason.contains("insufficient_funds"))
        let canceled = Self.leg(.vendor, .canceled)
        #expect(PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: canceled))
            == .authorizationFailed(.vendor, reason: "the vendor's payment authorization was canceled"))
        let refused = Self.leg(.vendor, nil, intent: false, createError: "No such destination")
        if case .authorizationFailed(.vendor, _) = PaymentPlan.next(state: .awaitingVendorAuth, legs: PaymentLegs(vendor: refused)) {
        } else {
            Issue.record("a refused creation fails the authorization")
        }
    }

    @Test func theCommitCapturesTheVendorThenTheRequester() {
        #expect(PaymentPlan.next(state: .authorizedBoth, legs: PaymentLegs(vendor: Self.authorizedVendor, requester: Self.authorizedRequester))
            == .beginCommit)
        var legs = PaymentLegs(vendor: Self.authorizedVendor, requester: Self.authorizedRequester)
        #expect(PaymentPlan.next(state: .commitInProgress, legs: legs) == .capture(.vendor))
        legs.vendor?.status = .succeeded
        #expect(PaymentPlan.next(state: .commitInProgress, legs: legs) == .capture(.requester))
        legs.requester?.status = .succeeded
        #expect(PaymentPlan.next(state: .commitInProgress, legs: legs) == .commit)
        #expect(PaymentPlan.next(state: .committed, legs: legs) == .done)
    }

    @Test func anUncertainCaptureIsFetchedBeforeAnythingElse() {
        let legs = PaymentLegs(vendor: Self.leg(.vendor, .requiresCapture, attempts: 1, refresh: true), requester: Self.authorizedRequester)
        #expect(PaymentPlan.next(state: .commitInProgress, legs: legs) == .refresh(.vendor))
        // Found captured after all: the failure flag does not count.
        let captured = PaymentLegs(
            vendor: Self.leg(.vendor, .succeeded, attempts: 5, captureFailed: true), requester: Self.authorizedRequester)
        #expect(PaymentPlan.next(state: .commitInProgress, legs: captured) == .capture(.requester))
    }

    @Test func aCaptureThatFailedForGoodFailsTheCommit() {
        let legs = PaymentLegs(vendor: Self.leg(.vendor, .requiresCapture, attempts: 5, captureFailed: true), requester: Self.authorizedRequester)
        guard case .commitFailed(let reason) = PaymentPlan.next(state: .commitInProgress, legs: legs) else {
            Issue.record("expected the commit to fail"); return
        }
        #expect(reason.hasPrefix("vendor capture failed"))
    }

    /// The matrix: 4-6 release what is authorized; 7a-7c refund what was captured and release the rest.
    @Test func compensationReleasesAuthorizationsAndRefundsCaptures() {
        for state in [ReservationState.failedVendorAuth, .failedRequesterAuth, .failedAvailabilityChanged, .failedCommit, .expired, .cancelled] {
            // Row 5/6: both authorized, nothing captured.
            var legs = PaymentLegs(vendor: Self.authorizedVendor, requester: Self.authorizedRequester)
            #expect(PaymentPlan.next(state: state, legs: legs) == .release(.vendor))
            legs.vendor?.status = .canceled
            #expect(PaymentPlan.next(state: state, legs: legs) == .release(.requester))
            legs.requester?.status = .canceled
            #expect(PaymentPlan.next(state: state, legs: legs) == .done)
            // 7b: the vendor's deposit was captured: refunded, and the requester's released.
            legs = PaymentLegs(vendor: Self.leg(.vendor, .succeeded), requester: Self.authorizedRequester)
            #expect(PaymentPlan.next(state: state, legs: legs) == .refund(.vendor))
            legs.vendor?.refundID = "re_1"
            #expect(PaymentPlan.next(state: state, legs: legs) == .release(.requester))
        }
        // 3-D Secure pending and a card waiting both hold nothing yet but are canceled all the same.
        let pending = PaymentLegs(vendor: Self.leg(.vendor, .canceled), requester: Self.leg(.requester, .requiresAction))
        #expect(PaymentPlan.next(state: .expired, legs: pending) == .release(.requester))
        // A creation whose answer was lost is resumed to learn the intent, then canceled.
        let lost = PaymentLegs(vendor: Self.leg(.vendor, nil, intent: false))
        #expect(PaymentPlan.next(state: .cancelled, legs: lost) == .create(.vendor))
        // A payment method that never became an intent leaves nothing to do.
        let never = PaymentLegs(requester: Self.leg(.requester, nil, intent: false, method: "pm_x", createStarted: false))
        #expect(PaymentPlan.next(state: .expired, legs: never) == .done)
        #expect(PaymentPlan.next(state: .failedVendorTimeout, legs: PaymentLegs()) == .done)
    }
}

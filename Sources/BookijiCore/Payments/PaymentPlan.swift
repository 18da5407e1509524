/// The next thing the worker does for a reservation's payments: a pure function of its state and
/// its two legs, so every path of the flow (authorization, commit, the compensation matrix) is one
/// table that tests can read, and a worker that restarts anywhere decides exactly as before.
///
/// | state                                | next step                                                        |
/// |--------------------------------------|------------------------------------------------------------------|
/// | `CONFIRMED_BY_VENDOR`                | enter `AWAITING_VENDOR_AUTH`                                     |
/// | `AWAITING_VENDOR_AUTH`               | create the vendor intent, confirm it, or record its outcome      |
/// | `VENDOR_AUTHORIZED`                  | enter `AWAITING_REQUESTER_AUTH`                                  |
/// | `AWAITING_REQUESTER_AUTH`            | the same for the requester                                       |
/// | `AUTHORIZED_BOTH`                    | revalidate the slot and begin the commit                         |
/// | `COMMIT_IN_PROGRESS`                 | capture the vendor, then the requester, then `COMMITTED`; a capture that failed for good → `FAILED_COMMIT` |
/// | `COMMITTED`                          | nothing                                                          |
/// | any failure, `EXPIRED`, `CANCELLED`  | compensate: cancel what is authorized, refund what was captured  |
///
/// Compensation is the matrix's rows 3-7 in one rule: after a failure no leg may keep money, so
/// an uncaptured authorization is released and a capture is refunded, whichever step failed.
public enum PaymentStep: Sendable, Hashable {
    /// Nothing to do until an event, a route or a deadline changes something.
    case wait
    /// Nothing will ever be needed again.
    case done
    /// Move to the state that awaits this side's authorization.
    case awaitAuthorization(PaymentSide)
    /// Create (or resume creating) this side's intent.
    case create(PaymentSide)
    /// Confirm this side's intent with the payment method a route sent.
    case confirm(PaymentSide, paymentMethod: String)
    /// The intent is `requires_capture`: record the authorization and move on.
    case authorized(PaymentSide)
    /// The authorization failed (a decline, a refused creation, a canceled intent).
    case authorizationFailed(PaymentSide, reason: String)
    /// Revalidate the slot; `COMMIT_IN_PROGRESS` or `FAILED_AVAILABILITY_CHANGED`.
    case beginCommit
    case capture(PaymentSide)
    /// Both captured: `COMMITTED`.
    case commit
    /// A capture failed for good: `FAILED_COMMIT`, then compensation.
    case commitFailed(reason: String)
    /// Fetch the intent: the last call's outcome is unknown.
    case refresh(PaymentSide)
    /// Cancel the uncaptured intent.
    case release(PaymentSide)
    /// Refund the captured intent.
    case refund(PaymentSide)
}

public enum PaymentPlan {
    /// How many times a capture is tried before the commit fails (the spec's retry policy).
    public static let maxCaptureAttempts = 5

    public static func next(state: ReservationState, legs: PaymentLegs) -> PaymentStep {
        switch state {
        case .intentCreated, .held, .awaitingVendorConfirmation:
            return .wait
        case .confirmedByVendor:
            return .awaitAuthorization(.vendor)
        case .awaitingVendorAuth:
            return authorization(.vendor, legs.vendor)
        case .vendorAuthorized:
            return .awaitAuthorization(.requester)
        case .awaitingRequesterAuth:
            return authorization(.requester, legs.requester)
        case .authorizedBoth:
            return .beginCommit
        case .commitInProgress:
            return commit(legs)
        case .committed:
            return .done
        case .failedVendorTimeout, .failedVendorAuth, .failedRequesterAuth, .failedAvailabilityChanged, .failedCommit,
             .expired, .cancelled:
            return compensation(legs)
        }
    }

    private static func authorization(_ side: PaymentSide, _ leg: PaymentLeg?) -> PaymentStep {
        guard let leg, leg.createStarted || leg.intentID != nil else { return .create(side) }
        if let error = leg.createError { return .authorizationFailed(side, reason: "the payment could not be created: \(error)") }
        guard leg.intentID != nil, let status = leg.status else { return .create(side) }
        if leg.needsRefresh { return .refresh(side) }
        switch status {
        case .requiresCapture:
            return .authorized(side)
        case .requiresPaymentMethod, .requiresConfirmation:
            if let code = leg.declineCode {
                return .authorizationFailed(side, reason: "card declined: \(code)" + (leg.declineMessage.map { " (\($0))" } ?? ""))
            }
            if let method = leg.paymentMethod, method != leg.confirmedWith { return .confirm(side, paymentMethod: method) }
            return .wait
        case .requiresAction, .processing:
            return .wait
        case .canceled:
            return .authorizationFailed(side, reason: "the \(side.rawValue)'s payment authorization was canceled")
        case .succeeded:
            // Captured before the commit: never with capture_method=manual; refused, so the
            // compensation refunds it rather than keeping money without a booking.
            return .authorizationFailed(side, reason: "the \(side.rawValue)'s payment was captured before the commit")
        }
    }

    private static func commit(_ legs: PaymentLegs) -> PaymentStep {
        for side in PaymentSide.allCases {
            guard let leg = legs[side], leg.intentID != nil else {
                return .commitFailed(reason: "the \(side.rawValue)'s payment is missing")
            }
            if leg.needsRefresh { return .refresh(side) }
            if leg.status == .succeeded { continue }
            if leg.captureFailed || leg.status != .requiresCapture {
                let why = leg.lastCaptureError ?? "the authorization is \(leg.status?.rawValue ?? "unknown")"
                return .commitFailed(reason: "\(side.rawValue) capture failed: \(why)")
            }
            return .capture(side)
        }
        return .commit
    }

    private static func compensation(_ legs: PaymentLegs) -> PaymentStep {
        for side in PaymentSide.allCases {
            guard let leg = legs[side], !leg.isSettledAfterFailure else { continue }
            // A creation whose answer was lost: resume it (same key, same intent) to learn the id.
            guard leg.intentID != nil, let status = leg.status else { return .create(side) }
            if leg.needsRefresh { return .refresh(side) }
            switch status {
            case .requiresPaymentMethod, .requiresConfirmation, .requiresAction, .requiresCapture:
                return .release(side)
            case .succeeded:
                return .refund(side)
            case .processing:
                // Neither cancellable nor refundable yet: Stripe's event moves it on, or
                // reconciliation marks it to be fetched again (PaymentLegStore.unsettled).
                return .wait
            case .canceled:
                continue
            }
        }
        return .done
    }
}

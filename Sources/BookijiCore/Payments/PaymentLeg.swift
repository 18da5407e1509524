/// Who pays: the vendor's deposit or the requester's payment. Each side is one Stripe PaymentIntent.
public enum PaymentSide: String, Sendable, Hashable, CaseIterable {
    case vendor
    case requester

    /// The creation of this side's intent (its idempotency key is `{operation}-{id}-{attempt}`).
    public var authOperation: ExternalOperation { self == .vendor ? .vendorAuth : .requesterAuth }
    public var confirmOperation: ExternalOperation { self == .vendor ? .vendorConfirm : .requesterConfirm }
    public var captureOperation: ExternalOperation { self == .vendor ? .vendorCapture : .requesterCapture }
    public var cancelOperation: ExternalOperation { self == .vendor ? .vendorCancel : .requesterCancel }
    public var refundOperation: ExternalOperation { self == .vendor ? .vendorRefund : .requesterRefund }

    /// The state this side's authorization is awaited in, and the failure its refusal ends in.
    public var awaitingState: ReservationState { self == .vendor ? .awaitingVendorAuth : .awaitingRequesterAuth }
    public var failureState: ReservationState { self == .vendor ? .failedVendorAuth : .failedRequesterAuth }
}

extension ReservationPrice {
    /// What `side` pays: the vendor its deposit, the requester the price.
    public func amount(for side: PaymentSide) -> Int64 { side == .vendor ? deposit : amount }
}

/// A PaymentIntent's status, as Stripe names them.
public enum PaymentIntentStatus: String, Sendable, Hashable, CaseIterable {
    case requiresPaymentMethod = "requires_payment_method"
    case requiresConfirmation = "requires_confirmation"
    case requiresAction = "requires_action"
    case processing
    case requiresCapture = "requires_capture"
    case succeeded
    case canceled

    /// How far along Stripe's lifecycle the status is; an event about an earlier status than the
    /// one already known is stale (events arrive in any order). A decline moves an intent back to
    /// `requires_payment_method`; that is recognised by its error, not by this rank.
    public var progress: Int {
        switch self {
        case .requiresPaymentMethod, .requiresConfirmation: 0
        case .requiresAction: 1
        case .processing: 2
        case .requiresCapture: 3
        case .succeeded, .canceled: 4
        }
    }
}

/// One side's payment as the worker last learnt it: the mirror of its PaymentIntent plus what
/// driving it needs (the payment method asked for, capture attempts, compensation done).
public struct PaymentLeg: Sendable, Hashable {
    public var side: PaymentSide
    public var amount: Int64
    public var currency: String
    /// The creation was begun (its recovery point is committed); it may not have reached Stripe.
    public var createStarted: Bool
    /// Stripe refused the creation definitely.
    public var createError: String?
    public var intentID: String?
    public var status: PaymentIntentStatus?
    public var clientSecret: String?
    /// The payment method a route asked for; `confirmedWith` is the one the worker confirmed with.
    public var paymentMethod: String?
    public var confirmedWith: String?
    public var declineCode: String?
    public var declineMessage: String?
    public var authorizedAt: Int64?
    public var captureID: String?
    public var capturedAt: Int64?
    public var captureAttempts: Int
    public var lastCaptureError: String?
    public var captureFailed: Bool
    public var refundID: String?
    public var refundedAt: Int64?
    public var canceledAt: Int64?
    /// The last call's outcome is unknown: fetch the intent before acting on it.
    public var needsRefresh: Bool

    public init(
        side: PaymentSide, amount: Int64, currency: String, createStarted: Bool = false, createError: String? = nil,
        intentID: String? = nil, status: PaymentIntentStatus? = nil, clientSecret: String? = nil,
        paymentMethod: String? = nil, confirmedWith: String? = nil, declineCode: String? = nil,
        declineMessage: String? = nil, authorizedAt: Int64? = nil, captureID: String? = nil, capturedAt: Int64? = nil,
        captureAttempts: Int = 0, lastCaptureError: String? = nil, captureFailed: Bool = false, refundID: String? = nil,
        refundedAt: Int64? = nil, canceledAt: Int64? = nil, needsRefresh: Bool = false
    ) {
        self.side = side
        self.amount = amount
        self.currency = currency
        self.createStarted = createStarted
        self.createError = createError
        self.intentID = intentID
        self.status = status
        self.clientSecret = clientSecret
        self.paymentMethod = paymentMethod
        self.confirmedWith = confirmedWith
        self.declineCode = declineCode
        self.declineMessage = declineMessage
        self.authorizedAt = authorizedAt
        self.captureID = captureID
        self.capturedAt = capturedAt
        self.captureAttempts = captureAttempts
        self.lastCaptureError = lastCaptureError
        self.captureFailed = captureFailed
        self.refundID = refundID
        self.refundedAt = refundedAt
        self.canceledAt = canceledAt
        self.needsRefresh = needsRefresh
    }

    /// Money was taken and not given back.
    public var holdsCapturedMoney: Bool { status == .succeeded && refundID == nil }

    /// Nothing more can happen to this side's money: never created, canceled, or refunded.
    public var isSettledAfterFailure: Bool {
        if intentID == nil { return !createStarted || createError != nil }
        switch status {
        case .canceled?: return true
        case .succeeded?: return refundID != nil
        default: return false
        }
    }
}

/// The two legs of one reservation's payment.
public struct PaymentLegs: Sendable, Hashable {
    public var vendor: PaymentLeg?
    public var requester: PaymentLeg?

    public init(vendor: PaymentLeg? = nil, requester: PaymentLeg? = nil) {
        self.vendor = vendor
        self.requester = requester
    }

    public subscript(side: PaymentSide) -> PaymentLeg? {
        get { side == .vendor ? vendor : requester }
        set { if side == .vendor { vendor = newValue } else { requester = newValue } }
    }

    public var all: [PaymentLeg] { [vendor, requester].compactMap { $0 } }
}

/// What Stripe said a PaymentIntent is, in the words the flow uses: from a call's answer, an
/// error's `payment_intent`, a retrieve, or an event.
public struct PaymentIntentSnapshot: Sendable, Hashable {
    public var id: String
    public var status: PaymentIntentStatus
    public var clientSecret: String?
    /// The charge a capture took (`latest_charge`).
    public var latestCharge: String?
    /// `last_payment_error`: a decline's code (decline_code, else code) and message.
    public var declineCode: String?
    public var declineMessage: String?

    public init(
        id: String, status: PaymentIntentStatus, clientSecret: String? = nil, latestCharge: String? = nil,
        declineCode: String? = nil, declineMessage: String? = nil
    ) {
        self.id = id
        self.status = status
        self.clientSecret = clientSecret
        self.latestCharge = latestCharge
        self.declineCode = declineCode
        self.declineMessage = declineMessage
    }
}

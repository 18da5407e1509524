/// A failure a caller is told about: a stable machine code, a message saying what went wrong and
/// how to fix it, and optional structured details.
///
/// The offending input is named by one key in ``details``: `field` for a body field (a path
/// such as `metadata.note`), `parameter` for a query or path parameter.
///
/// Whether a retry can help is a property of the code (``ErrorCode/isRetryable``). How a code is
/// shown (an HTTP status, an exit code) is decided by the edge that shows it, in one place each.
public struct BookijiError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var details: [String: ErrorDetail]
    /// Seconds after which a retry may succeed (rate limits, outages).
    public var retryAfter: Int?
    /// What caused it, for the operator's log; never shown to a partner.
    public var underlying: (any Error)?

    public init(
        _ code: ErrorCode, _ message: String, details: [String: ErrorDetail] = [:], retryAfter: Int? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
        self.underlying = underlying
    }

    /// Details that are all text (most errors' only kind: names of fields, ids, states).
    public init(
        _ code: ErrorCode, _ message: String, details: [String: String], retryAfter: Int? = nil, underlying: (any Error)? = nil
    ) {
        self.init(code, message, details: details.mapValues(ErrorDetail.text), retryAfter: retryAfter, underlying: underlying)
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The description with its cause, for logs.
    public var debugDescription: String {
        underlying.map { "\(description) (caused by \(String(reflecting: $0)))" } ?? description
    }
}

/// The stable error codes of the partner API. Partners branch on these strings.
public struct ErrorCode: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public var rawValue: String
    public var isRetryable: Bool

    public init?(rawValue: String) {
        guard let known = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    init(_ rawValue: String, retryable: Bool) {
        self.rawValue = rawValue
        self.isRetryable = retryable
    }

    public var description: String { rawValue }

    // The request is wrong.
    public static let invalidRequest = ErrorCode("invalid_request", retryable: false)
    public static let malformedJSON = ErrorCode("malformed_json", retryable: false)
    public static let invalidParameter = ErrorCode("invalid_parameter", retryable: false)
    /// A signed request (a Stripe event) whose signature is missing, stale or wrong.
    public static let invalidSignature = ErrorCode("invalid_signature", retryable: false)
    // The caller is not known.
    public static let unauthorized = ErrorCode("unauthorized", retryable: false)
    /// The caller is known (or its address is) but may not use this resource: nginx answers it
    /// for `/metrics` from an address outside the operator's allow-list.
    public static let forbidden = ErrorCode("forbidden", retryable: false)
    // What was asked for does not exist.
    public static let notFound = ErrorCode("not_found", retryable: false)
    public static let vendorNotFound = ErrorCode("vendor_not_found", retryable: false)
    public static let reservationNotFound = ErrorCode("reservation_not_found", retryable: false)
    public static let methodNotAllowed = ErrorCode("method_not_allowed", retryable: false)
    // A business rule refuses it.
    public static let slotUnavailable = ErrorCode("slot_unavailable", retryable: false)
    /// The vendor cannot be booked yet (no payment settings).
    public static let vendorNotBookable = ErrorCode("vendor_not_bookable", retryable: false)
    public static let invalidTransition = ErrorCode("invalid_transition", retryable: false)
    public static let idempotencyKeyReused = ErrorCode("idempotency_key_reused", retryable: false)
    public static let idempotencyKeyInProgress = ErrorCode("idempotency_key_in_progress", retryable: true)
    public static let payloadTooLarge = ErrorCode("payload_too_large", retryable: false)
    public static let unsupportedMediaType = ErrorCode("unsupported_media_type", retryable: false)
    // Too much, too fast.
    public static let rateLimited = ErrorCode("rate_limited", retryable: true)
    public static let holdCapReached = ErrorCode("hold_cap_reached", retryable: true)
    // Our side failed.
    public static let internalError = ErrorCode("internal_error", retryable: true)
    public static let serviceUnavailable = ErrorCode("service_unavailable", retryable: true)

    public static let all: [ErrorCode] = [
        .invalidRequest, .malformedJSON, .invalidParameter, .invalidSignature, .unauthorized, .forbidden, .notFound, .vendorNotFound,
        .reservationNotFound, .methodNotAllowed, .slotUnavailable, .vendorNotBookable, .invalidTransition, .idempotencyKeyReused,
        .idempotencyKeyInProgress, .payloadTooLarge, .unsupportedMediaType, .rateLimited, .holdCapReached,
        .internalError, .serviceUnavailable,
    ]
}

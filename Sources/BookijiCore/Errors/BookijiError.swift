/// A failure the API reports to a partner: a stable machine code, a message saying what went
/// wrong and how to fix it, and optional structured details.
///
/// The HTTP status and whether a retry can help are properties of the code, decided in one place
/// (``ErrorCode/httpStatus`` and ``ErrorCode/isRetryable``), so every route answers alike.
public struct BookijiError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var details: [String: String]
    /// Seconds after which a retry may succeed (rate limits, outages).
    public var retryAfter: Int?

    public init(_ code: ErrorCode, _ message: String, details: [String: String] = [:], retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// The stable error codes of the partner API. Partners branch on these strings.
public struct ErrorCode: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public var rawValue: String
    public var httpStatus: Int
    public var isRetryable: Bool

    public init?(rawValue: String) {
        guard let known = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    init(_ rawValue: String, _ httpStatus: Int, retryable: Bool) {
        self.rawValue = rawValue
        self.httpStatus = httpStatus
        self.isRetryable = retryable
    }

    public var description: String { rawValue }

    // 400
    public static let invalidRequest = ErrorCode("invalid_request", 400, retryable: false)
    public static let malformedJSON = ErrorCode("malformed_json", 400, retryable: false)
    public static let invalidParameter = ErrorCode("invalid_parameter", 400, retryable: false)
    // 401
    public static let unauthorized = ErrorCode("unauthorized", 401, retryable: false)
    // 404
    public static let notFound = ErrorCode("not_found", 404, retryable: false)
    public static let vendorNotFound = ErrorCode("vendor_not_found", 404, retryable: false)
    public static let reservationNotFound = ErrorCode("reservation_not_found", 404, retryable: false)
    // 405
    public static let methodNotAllowed = ErrorCode("method_not_allowed", 405, retryable: false)
    // 409
    public static let slotUnavailable = ErrorCode("slot_unavailable", 409, retryable: false)
    public static let invalidTransition = ErrorCode("invalid_transition", 409, retryable: false)
    public static let idempotencyKeyReused = ErrorCode("idempotency_key_reused", 409, retryable: false)
    public static let idempotencyKeyInProgress = ErrorCode("idempotency_key_in_progress", 409, retryable: true)
    // 413, 415
    public static let payloadTooLarge = ErrorCode("payload_too_large", 413, retryable: false)
    public static let unsupportedMediaType = ErrorCode("unsupported_media_type", 415, retryable: false)
    // 429
    public static let rateLimited = ErrorCode("rate_limited", 429, retryable: true)
    public static let holdCapReached = ErrorCode("hold_cap_reached", 429, retryable: true)
    // 5xx
    public static let internalError = ErrorCode("internal_error", 500, retryable: true)
    public static let serviceUnavailable = ErrorCode("service_unavailable", 503, retryable: true)

    public static let all: [ErrorCode] = [
        .invalidRequest, .malformedJSON, .invalidParameter, .unauthorized, .notFound, .vendorNotFound,
        .reservationNotFound, .methodNotAllowed, .slotUnavailable, .invalidTransition, .idempotencyKeyReused,
        .idempotencyKeyInProgress, .payloadTooLarge, .unsupportedMediaType, .rateLimited, .holdCapReached,
        .internalError, .serviceUnavailable,
    ]
}

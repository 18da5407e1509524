import BookijiCore

extension ErrorCode {
    /// The HTTP status every route answers this code with: the one place the domain's codes
    /// become statuses. A code missing here is a bug, shown as 500.
    var httpStatus: Int {
        Self.statuses[self] ?? 500
    }

    private static let statuses: [ErrorCode: Int] = [
        .invalidRequest: 400, .malformedJSON: 400, .invalidParameter: 400, .invalidSignature: 400,
        .unauthorized: 401,
        .forbidden: 403,
        .notFound: 404, .vendorNotFound: 404, .reservationNotFound: 404,
        .methodNotAllowed: 405,
        .slotUnavailable: 409, .vendorNotBookable: 409, .invalidTransition: 409, .idempotencyKeyReused: 409, .idempotencyKeyInProgress: 409,
        .payloadTooLarge: 413,
        .unsupportedMediaType: 415,
        .rateLimited: 429, .holdCapReached: 429,
        .internalError: 500,
        .serviceUnavailable: 503,
    ]
}

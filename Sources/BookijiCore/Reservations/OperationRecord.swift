/// A recovery point for one call to the payment provider: what was about to be done, under
/// which idempotency key, and how it ended.
public struct OperationRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// The intent is committed; the call may or may not have reached the provider.
        case started
        case succeeded
        /// The provider refused it definitely (a retry with the same key would be refused too).
        case failed
    }

    public var idempotencyKey: String
    public var reservationID: String
    public var operation: ExternalOperation
    public var attempt: Int
    /// The request's parameters as JSON, so a resumed call sends exactly what the first did.
    public var parametersJSON: String
    public var status: Status
    public var resultJSON: String?
    public var error: String?
    public var startedAt: Int64
    public var finishedAt: Int64?

    public init(
        idempotencyKey: String, reservationID: String, operation: ExternalOperation, attempt: Int, parametersJSON: String,
        status: Status, resultJSON: String?, error: String?, startedAt: Int64, finishedAt: Int64?
    ) {
        self.idempotencyKey = idempotencyKey
        self.reservationID = reservationID
        self.operation = operation
        self.attempt = attempt
        self.parametersJSON = parametersJSON
        self.status = status
        self.resultJSON = resultJSON
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

import BookijiCore
import Store

/// Recovery points around every call to the payment provider: the intent and its idempotency key
/// are committed before the call, the result after, so a crash anywhere is resumed with the
/// same key (the provider answers a repeated key once) instead of guessed at.
public struct OperationRecords {
    /// How long finished records are kept (the spec's 24 hours).
    public static let retentionSeconds: Int64 = 24 * 3600

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The intent to call `operation` for the reservation, committed before the call.
    ///
    /// A retry after a network error, a timeout or a 5xx reuses the last attempt's key and its
    /// stored parameters (`parametersJSON` is then ignored): the provider must see the same
    /// request. `newAttempt` takes the next attempt number instead: only for a deliberately new
    /// operation after the last one ended (a capture to retry after a definite refusal).
    public func intent(
        reservationID: String, operation: ExternalOperation, parametersJSON: String, newAttempt: Bool = false, now: Int64
    ) throws -> OperationRecord {
        try database.transaction(attempts: 3) { session in
            let store = OperationRecordStore(session)
            let latest = try store.latest(reservationID: reservationID, operation: operation)
            if let latest, !newAttempt {
                return latest
            }
            if let latest, latest.status == .started {
                throw BookijiError(
                    .invalidTransition,
                    "\(latest.idempotencyKey) has not finished; resume it before starting attempt \(latest.attempt + 1)")
            }
            return try store.begin(
                reservationID: reservationID, operation: operation, attempt: (latest?.attempt ?? 0) + 1,
                parametersJSON: parametersJSON, now: now)
        }
    }

    /// Records the call's result under its key (written once: a second result is ignored).
    @discardableResult
    public func result(
        key: String, succeeded: Bool, resultJSON: String?, error: String? = nil, now: Int64
    ) throws -> OperationRecord? {
        try database.read {
            try OperationRecordStore($0).finish(
                key: key, status: succeeded ? .succeeded : .failed, resultJSON: resultJSON, error: error, now: now)
        }
    }

    /// Calls whose intent is committed and whose result is not, oldest first.
    public func unfinished(limit: Int = 1000) throws -> [OperationRecord] {
        try database.read { try OperationRecordStore($0).unfinished(limit: limit) }
    }

    /// Deletes records that finished more than ``retentionSeconds`` before `now`.
    @discardableResult
    public func purge(now: Int64) throws -> Int {
        try database.read { try OperationRecordStore($0).purgeFinished(before: now - Self.retentionSeconds) }
    }
}

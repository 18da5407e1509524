import BookijiCore
import Store

/// A partner's idempotency key on a hold (header `Idempotency-Key` or body `idempotencyKey`).
public struct IdempotencyClaim: Sendable {
    public var key: String
    /// A hash of the request's canonical form: the same key with another request is refused.
    public var requestHash: String

    public init(key: String, requestHash: String) {
        self.key = key
        self.requestHash = requestHash
    }
}

/// An answer as the edge shows it, stored for replay: opaque to the Coordinator.
public struct StoredAnswer: Sendable, Hashable {
    public var status: Int
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

extension ReservationCoordinator {
    /// What an idempotent hold produced.
    public enum IdempotentOutcome: Sendable {
        /// This request placed the hold; its answer is stored for replays.
        case placed(ReservationRecord)
        /// The same request already completed: its stored answer, to send again.
        case replayed(StoredAnswer)
    }

    /// Places a hold at most once per (partner, key) for 24 hours: replays a completed answer,
    /// refuses a key reused for another request (`idempotency_key_reused`), and answers a
    /// concurrent duplicate `idempotency_key_in_progress`. The answer `render` makes of the new
    /// reservation commits with it; a definite refusal is stored like a success (rendered by
    /// `renderFailure`), a failure a retry may cure is not.
    public func hold(
        partnerID: String, _ request: HoldRequest, idempotency claim: IdempotencyClaim, now: Int64,
        render: (ReservationRecord) -> StoredAnswer, renderFailure: (BookijiError) -> StoredAnswer
    ) throws -> IdempotentOutcome {
        let key = claim.key
        let claimed = try database.read {
            try IdempotencyStore($0).claim(partnerID: partnerID, key: key, requestHash: claim.requestHash)
        }
        switch claimed {
        case .completed(let status, let body):
            return .replayed(StoredAnswer(status: status, body: body))
        case .mismatch:
            throw BookijiError(
                .idempotencyKeyReused,
                "idempotency key '\(key)' was already used for a different request; use a new key for a new request")
        case .inProgress:
            throw BookijiError(
                .idempotencyKeyInProgress, "a request with idempotency key '\(key)' is still being processed; retry shortly",
                retryAfter: 1)
        case .claimed:
            var withKey = request
            withKey.idempotencyKey = key
            do {
                return .placed(try hold(partnerID: partnerID, withKey, now: now) { conn, record in
                    let answer = render(record)
                    try IdempotencyStore(conn).complete(partnerID: partnerID, key: key, status: answer.status, body: answer.body)
                })
            } catch {
                let failure = error as? BookijiError
                    ?? BookijiError(.internalError, "internal error; retry with backoff", retryAfter: 1, underlying: error)
                if failure.code.isRetryable {
                    _ = try? database.read { try IdempotencyStore($0).release(partnerID: partnerID, key: key) }
                } else {
                    let answer = renderFailure(failure)
                    _ = try? database.read {
                        try IdempotencyStore($0).complete(partnerID: partnerID, key: key, status: answer.status, body: answer.body)
                    }
                }
                throw failure
            }
        }
    }
}

import BookijiCore
import Postgres

/// Partner idempotency keys: the first response to a key is stored with a hash of the request
/// and replayed for 24 hours.
public struct IdempotencyStore {
    let connection: PGConnection

    /// How long a key stays `in_progress` before a retry may take it over: the first attempt's
    /// process must have died (its transaction rolled back), since no request runs this long.
    public static let abandonedAfterSeconds = 60

    public init(_ session: Session) {
        self.connection = session.connection
    }

    init(connection: PGConnection) {
        self.connection = connection
    }

    public enum Claim: Sendable, Equatable {
        /// This request owns the key: run it, then ``complete`` (or ``release``) it.
        case claimed
        /// The same request already completed: replay its response.
        case completed(status: Int, body: String)
        /// The same key is running right now in another request.
        case inProgress
        /// The key was used for a different request.
        case mismatch
    }

    /// Claims `key` for a request whose canonical form hashes to `requestHash`. Runs outside
    /// the operation's transaction, so a concurrent duplicate sees `inProgress` at once.
    public func claim(partnerID: String, key: String, requestHash: String) throws -> Claim {
        for _ in 0..<3 {
            let inserted = try connection.query("""
                INSERT INTO idempotency_keys (partner_id, key, request_hash, status)
                VALUES ($1::uuid, $2, $3, 'in_progress')
                ON CONFLICT (partner_id, key) DO NOTHING
                RETURNING 1
                """, [partnerID, key, requestHash])
            if !inserted.isEmpty { return .claimed }
            guard let row = try connection.query("""
                SELECT request_hash, status, response_status, response_body,
                       expires_at <= now(), created_at <= now() - make_interval(secs => $3)
                FROM idempotency_keys WHERE partner_id = $1::uuid AND key = $2
                """, [partnerID, key, Self.abandonedAfterSeconds]).first else { continue }
            if try row.bool(4) {
                // Expired: forget it and claim afresh.
                try connection.query(
                    "DELETE FROM idempotency_keys WHERE partner_id = $1::uuid AND key = $2 AND expires_at <= now()",
                    [partnerID, key])
                continue
            }
            guard try row.string(0) == requestHash else { return .mismatch }
            if try row.string(1) == "completed" {
                return .completed(status: try row.int(2), body: try row.string(3))
            }
            if try row.bool(5) {
                let taken = try connection.query("""
                    UPDATE idempotency_keys SET created_at = now()
                    WHERE partner_id = $1::uuid AND key = $2 AND status = 'in_progress'
                      AND created_at <= now() - make_interval(secs => $3)
                    RETURNING 1
                    """, [partnerID, key, Self.abandonedAfterSeconds])
                if !taken.isEmpty { return .claimed }
            }
            return .inProgress
        }
        return .inProgress
    }

    /// Stores the response of a claimed key. Call it inside the operation's transaction when
    /// the operation succeeded, so the change and its stored response commit together.
    public func complete(partnerID: String, key: String, status: Int, body: String) throws {
        try connection.query("""
            UPDATE idempotency_keys SET status = 'completed', response_status = $3, response_body = $4
            WHERE partner_id = $1::uuid AND key = $2
            """, [partnerID, key, status, body])
    }

    /// Gives a claimed key up (the request failed in a way a retry may fix).
    public func release(partnerID: String, key: String) throws {
        try connection.query(
            "DELETE FROM idempotency_keys WHERE partner_id = $1::uuid AND key = $2 AND status = 'in_progress'",
            [partnerID, key])
    }

    /// Removes expired keys; returns how many.
    @discardableResult
    public func purgeExpired() throws -> Int {
        try connection.query("DELETE FROM idempotency_keys WHERE expires_at <= now()").affectedRows
    }
}

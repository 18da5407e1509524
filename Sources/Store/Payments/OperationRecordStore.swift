import BookijiCore
import Postgres

/// SQL for the recovery points of payment-provider calls (`operation_records`).
public struct OperationRecordStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// Inserts the intent of `attempt` of `operation`, or returns the row already stored under
    /// its key unchanged (a resumed call reuses its key and its parameters).
    public func begin(
        reservationID: String, operation: ExternalOperation, attempt: Int, parametersJSON: String, now: Int64
    ) throws -> OperationRecord {
        let key = operation.idempotencyKey(reservationID: reservationID, attempt: attempt)
        let inserted = try connection.query("""
            INSERT INTO operation_records (idempotency_key, reservation_id, operation, attempt, parameters, started_at)
            VALUES ($1, $2::uuid, $3, $4, $5::jsonb, to_timestamp($6))
            ON CONFLICT (idempotency_key, vendor_id) DO NOTHING
            RETURNING \(Self.columns)
            """, [key, reservationID, operation.rawValue, attempt, parametersJSON, now])
        if let row = inserted.first { return try Self.record(row) }
        return try find(key: key)!
    }

    /// Records how the call ended; only a `started` row changes (a result is written once).
    /// - Returns: the row as stored afterwards, or nil for an unknown key.
    @discardableResult
    public func finish(
        key: String, status: OperationRecord.Status, resultJSON: String?, error: String?, now: Int64
    ) throws -> OperationRecord? {
        precondition(status != .started, "finishing needs an outcome")
        _ = try connection.query("""
            UPDATE operation_records SET status = $2, result = $3::jsonb, error = $4, finished_at = to_timestamp($5)
            WHERE idempotency_key = $1 AND status = 'started'
            """, [key, status.rawValue, resultJSON, error, now])
        return try find(key: key)
    }

    public func find(key: String) throws -> OperationRecord? {
        try connection.query("SELECT \(Self.columns) FROM operation_records WHERE idempotency_key = $1", [key])
            .first.map(Self.record)
    }

    /// The highest attempt of `operation` for the reservation, or nil when there is none.
    public func latest(reservationID: String, operation: ExternalOperation) throws -> OperationRecord? {
        guard UUIDText.isValid(reservationID) else { return nil }
        return try connection.query("""
            SELECT \(Self.columns) FROM operation_records
            WHERE reservation_id = $1::uuid AND operation = $2 ORDER BY attempt DESC LIMIT 1
            """, [reservationID, operation.rawValue]).first.map(Self.record)
    }

    /// Closes the reservation's open recovery points once nothing more will be done for it: a
    /// call abandoned because the reservation ended (a capture overtaken by expiry), whose
    /// effect the intent's fetched state already accounts for.
    /// - Returns: how many were closed.
    @discardableResult
    public func closeAbandoned(reservationID: String, reason: String, now: Int64) throws -> Int {
        try connection.query("""
            UPDATE operation_records SET status = 'failed', error = $2, finished_at = to_timestamp($3)
            WHERE reservation_id = $1::uuid AND status = 'started' RETURNING 1
            """, [reservationID, reason, now]).count
    }

    /// Every call whose intent is committed and whose result is not: what a restarted worker resumes.
    public func unfinished(limit: Int = 1000) throws -> [OperationRecord] {
        try connection.query(
            "SELECT \(Self.columns) FROM operation_records WHERE status = 'started' ORDER BY started_at LIMIT $1", [limit]
        ).map(Self.record)
    }

    /// Deletes finished rows older than `cutoff` (epoch seconds); started ones stay until finished.
    @discardableResult
    public func purgeFinished(before cutoff: Int64) throws -> Int {
        try connection.query(
            "DELETE FROM operation_records WHERE finished_at < to_timestamp($1) RETURNING 1", [cutoff]).count
    }

    static let columns = """
        idempotency_key, reservation_id::text, operation, attempt, parameters::text, status, result::text, error,
        floor(extract(epoch FROM started_at))::bigint, floor(extract(epoch FROM finished_at))::bigint
        """

    static func record(_ row: PGRow) throws -> OperationRecord {
        guard let operation = ExternalOperation(rawValue: try row.string(2)),
              let status = OperationRecord.Status(rawValue: try row.string(5))
        else {
            throw StoreError(.invalidData, "unknown operation or status in operation_records")
        }
        return OperationRecord(
            idempotencyKey: try row.string(0), reservationID: try row.string(1), operation: operation,
            attempt: try row.int(3), parametersJSON: try row.string(4), status: status,
            resultJSON: try row.optional(String.self, 6), error: try row.optional(String.self, 7),
            startedAt: try row.int64(8), finishedAt: try row.optional(Int64.self, 9))
    }
}

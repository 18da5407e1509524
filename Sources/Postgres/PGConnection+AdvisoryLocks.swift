extension PGConnection {
    /// Takes the session-level advisory lock `(classID, objectID)` if no other session holds it,
    /// without waiting. The lock lasts until ``advisoryUnlock(classID:objectID:)`` or until the
    /// connection ends (a killed process's locks are released by the server).
    ///
    /// The two-key form lives in a separate key space from the one-`bigint` form, so these locks
    /// never collide with the transaction-level slot locks (`lock_slot_granules`).
    ///
    /// Throws ``PGError/Code/misuse`` on a pooled connection (``isPooled``): the lock would stay
    /// with a server session the pooler lends to others.
    public func tryAdvisoryLock(classID: Int32, objectID: Int32) throws(PGError) -> Bool {
        try requireOwnSession(for: "a session advisory lock")
        let rows = try query("SELECT pg_try_advisory_lock($1::int4, $2::int4)", [classID, objectID])
        return try rows.first?.bool(0) ?? false
    }

    /// Releases a session-level advisory lock taken by ``tryAdvisoryLock(classID:objectID:)``;
    /// false when this session did not hold it.
    @discardableResult
    public func advisoryUnlock(classID: Int32, objectID: Int32) throws(PGError) -> Bool {
        try requireOwnSession(for: "a session advisory lock")
        let rows = try query("SELECT pg_advisory_unlock($1::int4, $2::int4)", [classID, objectID])
        return try rows.first?.bool(0) ?? false
    }
}

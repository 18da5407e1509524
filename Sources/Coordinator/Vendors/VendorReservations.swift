import BookijiCore
import Store

/// What a vendor may list of its own reservations (`GET /v1/vendor/reservations`,
/// `bookiji vendor reservations`).
public struct VendorReservations {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A page of the vendor's reservations, newest first, after lazily expiring its stale ones
    /// (as the partner list does), so a hold past its deadline is never listed as held.
    public func list(
        vendorID: String, state: ReservationState?, after cursor: (createdAt: String, id: String)?, limit: Int, now: Int64
    ) throws -> [ReservationRecord] {
        guard UUIDText.isValid(vendorID) else { return [] }
        return try database.readPreferringReplicaUnlessStale(state: state, now: now, { session in
            try ReservationStore(session).list(vendorID: vendorID, state: state, after: cursor, limit: limit)
        }, onPrimary: { session in
            let store = ReservationStore(session)
            try store.expireStale(now: now, vendorID: vendorID)
            return try store.list(vendorID: vendorID, state: state, after: cursor, limit: limit)
        })
    }
}

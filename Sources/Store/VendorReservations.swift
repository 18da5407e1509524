import BookijiCore
import Postgres

extension ReservationStore {
    /// A page of a vendor's reservations, newest first, after the cursor `(createdAt, id)`: the
    /// partner list's order and cursor (``list(partnerID:vendorID:state:after:limit:)``), keyed
    /// on the vendor.
    public func list(
        vendorID: String, state: ReservationState?, after cursor: (createdAt: String, id: String)?, limit: Int
    ) throws -> [ReservationRecord] {
        try connection.query("""
            SELECT \(Self.columns) FROM reservations
            WHERE vendor_id = $1::uuid
              AND ($2::text IS NULL OR state = $2)
              AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
            ORDER BY created_at DESC, id DESC
            LIMIT $5
            """, [vendorID, state?.rawValue, cursor?.createdAt, cursor?.id, limit]).map(Self.record)
    }
}

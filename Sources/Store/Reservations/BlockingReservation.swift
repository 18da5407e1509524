import BookijiCore
import Postgres

/// A reservation that occupies its slot now: active and before its deadline, or committed.
public struct BlockingReservation: Sendable, Hashable {
    public var id: String
    public var interval: UTCInterval
    /// When it stops blocking by itself; nil for a committed booking.
    public var deadline: Int64?
}

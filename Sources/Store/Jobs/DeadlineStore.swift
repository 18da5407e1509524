import Postgres

/// What the expiry sweep needs to know to sleep until there is work: the nearest deadline.
/// A trigger NOTIFYs ``notificationChannel`` whenever a deadline is set or moved (migration 0005).
public struct DeadlineStore {
    public static let notificationChannel = "bookiji_deadlines"

    let session: Session

    public init(session: Session) {
        self.session = session
    }

    /// The earliest deadline of any active reservation, in epoch seconds; nil when none is active.
    public func nearestDeadline() throws -> Double? {
        try session.run { session in
            try session.connection.query(
                "SELECT extract(epoch FROM min(deadline))::float8 FROM reservations WHERE deadline IS NOT NULL"
            ).first?.optional(Double.self, 0)
        }
    }
}

/// A partner's abuse limits and current usage (spec: "Abuse Prevention").
public struct PartnerLimits: Sendable, Hashable {
    public var reservationsPerHour: Int
    public var maxActiveHolds: Int

    public init(reservationsPerHour: Int, maxActiveHolds: Int) {
        self.reservationsPerHour = reservationsPerHour
        self.maxActiveHolds = maxActiveHolds
    }
}

public struct PartnerUsage: Sendable, Hashable {
    /// Reservations created in the last hour.
    public var createdLastHour: Int
    /// Active reservations before their deadline.
    public var activeHolds: Int

    public init(createdLastHour: Int, activeHolds: Int) {
        self.createdLastHour = createdLastHour
        self.activeHolds = activeHolds
    }
}

/// A partner's hold-to-commit reputation over a period.
public struct PartnerReputation: Sendable, Hashable {
    public var days: Int
    public var holds: Int
    public var committed: Int
    public var expired: Int
    public var cancelled: Int
    public var failed: Int
    public var active: Int
    /// committed / holds, or nil with no holds.
    public var holdToCommitRatio: Double? { holds > 0 ? Double(committed) / Double(holds) : nil }

    public init(days: Int, holds: Int, committed: Int, expired: Int, cancelled: Int, failed: Int, active: Int) {
        self.days = days
        self.holds = holds
        self.committed = committed
        self.expired = expired
        self.cancelled = cancelled
        self.failed = failed
        self.active = active
    }
}

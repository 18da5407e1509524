import BookijiCore
import Store

/// A partner's limits, what it uses of them now, and its hold-to-commit reputation.
public struct PartnerStanding: Sendable, Hashable {
    public var limits: PartnerLimits
    public var usage: PartnerUsage
    public var reputation: PartnerReputation
}

/// What a partner may ask about itself.
public struct PartnerAccount {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The partner's standing at `now` (`GET /v1/partner/stats`); `unauthorized` for an unknown partner.
    public func standing(partnerID: String, now: Int64) throws -> PartnerStanding {
        try database.read { conn in
            let partners = PartnerStore(conn)
            guard let limits = try partners.limits(id: partnerID) else { throw BookijiError(.unauthorized, "unknown partner") }
            return PartnerStanding(
                limits: limits, usage: try partners.usage(id: partnerID, now: now),
                reputation: try partners.reputation(id: partnerID, now: now))
        }
    }
}

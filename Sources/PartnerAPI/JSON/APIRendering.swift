import BookijiCore
import Coordinator

/// The API's JSON for what the CLI prints too, so `bookiji … --json` says what the API says.
public enum APIRendering {
    /// A page of reservations as `GET /v1/reservations` and `GET /v1/vendor/reservations` answer
    /// it: `records` holds up to `limit + 1` rows, the extra one saying another page follows.
    public static func reservationPage(_ records: [ReservationRecord], limit: Int, vendorView: Bool) -> [UInt8] {
        let page = Array(records.prefix(limit))
        let next = records.count > limit ? page.last.map { ReservationCursor.encode(createdAt: $0.createdAtText, id: $0.id) } : nil
        var json = JSONWriter(capacity: 512 * page.count + 64)
        json.objectStart()
        json.key("reservations")
        json.arrayStart()
        for record in page {
            json.raw(vendorView
                ? ReservationJSON.detail(record, history: nil, legs: PaymentLegs(), audience: .vendor)
                : ReservationJSON.detail(record, history: nil))
        }
        json.arrayEnd()
        json.field("nextCursor", next)
        json.objectEnd()
        return json.bytes
    }

    /// A partner's standing as `GET /v1/partner/stats` answers it.
    public static func partnerStats(partnerID: String, _ standing: PartnerStanding) -> [UInt8] {
        var json = JSONWriter()
        json.objectStart()
        json.field("partnerId", partnerID)
        json.key("limits")
        json.objectStart()
        json.field("reservationsPerHour", standing.limits.reservationsPerHour)
        json.field("maxActiveHolds", standing.limits.maxActiveHolds)
        json.objectEnd()
        json.key("usage")
        json.objectStart()
        json.field("createdLastHour", standing.usage.createdLastHour)
        json.field("activeHolds", standing.usage.activeHolds)
        json.objectEnd()
        json.key("reputation")
        ReservationJSON.reputation(standing.reputation, into: &json)
        json.objectEnd()
        return json.bytes
    }
}

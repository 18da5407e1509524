import BookijiCore
import Store

/// Vendor notifications (issue 13, point 4): the channels a vendor is told on, and the record of
/// each confirmation request sent on them, with the compensation when none reaches the vendor
/// (spec: "2-3 Vendor notification fails → retry notification, extend TTL").
public struct VendorNotifications {
    /// How much later the confirmation deadline moves when the vendor could not be notified:
    /// once per reservation, 10 minutes (the initial hold's length again, so a vendor reached
    /// by a retry near the end of the hold still has a hold's worth of time to answer).
    public static let deadlineExtensionSeconds: Int64 = 10 * 60

    /// The outbox topic a hold writes (payload `{"reservationId","vendorId"}`).
    public static let topic = "vendor.confirmation_requested"

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What changes in a vendor's channels: leave it, set it, or remove it.
    public enum Change<Value: Sendable>: Sendable {
        case keep, set(Value), remove
    }

    /// Sets the vendor's channels. A webhook URL is checked against `policy` (the partners'
    /// SSRF rules) and gets a new secret, returned here and shown only once; an email address
    /// must be a plain `local@domain` mailbox.
    /// - Returns: the channels now in force.
    public func setChannels(
        vendorID: String, webhookURL: Change<String>, email: Change<String>, policy: WebhookURLPolicy
    ) throws -> VendorNotificationChannels {
        var checkedURL: String?
        if case .set(let url) = webhookURL { checkedURL = try policy.check(url).url }
        var checkedEmail: String?
        if case .set(let address) = email { checkedEmail = try EmailAddress.check(address, field: "email") }
        return try database.transaction { session in
            let store = VendorNotificationStore(session)
            var channels = try store.channels(vendorID: vendorID)
            switch webhookURL {
            case .keep: break
            case .set: (channels.webhookURL, channels.webhookSecret) = (checkedURL, StandardWebhooks.newSecret())
            case .remove: (channels.webhookURL, channels.webhookSecret) = (nil, nil)
            }
            switch email {
            case .keep: break
            case .set: channels.email = checkedEmail
            case .remove: channels.email = nil
            }
            guard try store.setChannels(vendorID: vendorID, channels) else {
                throw BookijiError(.vendorNotFound, "no vendor with id '\(vendorID)'", details: ["vendorId": vendorID])
            }
            return channels
        }
    }

    public func channels(vendorID: String) throws -> VendorNotificationChannels {
        try database.read { try VendorNotificationStore($0).channels(vendorID: vendorID) }
    }

    /// The request to send for the reservation, or nil when there is nothing to send: the
    /// reservation is gone or no longer waits for its vendor (answered, cancelled, expired).
    public func pending(reservationID: String, now: Int64) throws -> PendingNotification? {
        try database.read { session in
            guard let request = try Self.request(reservationID: reservationID, on: session),
                  request.reservation.state == .awaitingVendorConfirmation,
                  let deadline = request.reservation.deadline, deadline > now
            else { return nil }
            let store = VendorNotificationStore(session)
            return PendingNotification(
                request: request, channels: try store.channels(vendorID: request.reservation.vendorID),
                delivered: try store.delivered(reservationID: reservationID))
        }
    }

    /// Records one attempt on one channel (`error` nil: sent).
    public func record(reservationID: String, channel: VendorNotificationChannel, error: String?) throws {
        try database.read { try VendorNotificationStore($0).recordAttempt(reservationID: reservationID, channel: channel, error: error) }
    }

    /// The compensation: extends the confirmation deadline by ``deadlineExtensionSeconds``
    /// unless it was extended before, logged in the transition log.
    /// - Returns: the new deadline, or nil when it was not extended.
    @discardableResult
    public func extendDeadlineOnce(reservationID: String, now: Int64) throws -> Int64? {
        try database.read {
            try ReservationStore($0).extendConfirmationDeadline(
                id: reservationID, by: Self.deadlineExtensionSeconds,
                reason: "vendor notification failed; confirmation deadline extended by \(Self.deadlineExtensionSeconds / 60) minutes",
                now: now)
        }
    }

    /// The reservation with its vendor's name and zone and its partner's name.
    static func request(reservationID: String, on session: Session) throws -> ConfirmationRequest? {
        guard let reservation = try ReservationStore(session).find(id: reservationID),
              let vendor = try VendorStore(session).find(id: reservation.vendorID)
        else { return nil }
        let partner = try PartnerStore(session).find(id: reservation.partnerID)
        return ConfirmationRequest(
            reservation: reservation, vendorName: vendor.name, vendorTimeZone: vendor.timeZone,
            partnerName: partner?.name ?? "a partner")
    }
}

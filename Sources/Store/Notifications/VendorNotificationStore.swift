import BookijiCore
import Postgres

/// SQL for vendors' notification channels and how each confirmation request went out on them
/// (migration 0013).
public struct VendorNotificationStore {
    let connection: PGConnection

    public init(_ session: Session) {
        self.connection = session.connection
    }

    /// The vendor's channels (empty when it has none set).
    public func channels(vendorID: String) throws -> VendorNotificationChannels {
        guard UUIDText.isValid(vendorID) else { return VendorNotificationChannels() }
        guard let row = try connection.query(
            "SELECT webhook_url, webhook_secret, email FROM vendor_notification_channels WHERE vendor_id = $1::uuid", [vendorID]
        ).first else { return VendorNotificationChannels() }
        return VendorNotificationChannels(
            webhookURL: try row.optional(String.self, 0), webhookSecret: try row.optional(String.self, 1),
            email: try row.optional(String.self, 2))
    }

    /// Replaces the vendor's channels; false for an unknown vendor.
    public func setChannels(vendorID: String, _ channels: VendorNotificationChannels) throws -> Bool {
        guard UUIDText.isValid(vendorID) else { return false }
        return try !connection.query("""
            INSERT INTO vendor_notification_channels (vendor_id, webhook_url, webhook_secret, email)
            SELECT id, $2, $3, $4 FROM vendors WHERE id = $1::uuid
            ON CONFLICT (vendor_id) DO UPDATE
            SET webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret, email = excluded.email,
                updated_at = now()
            RETURNING 1
            """, [vendorID, channels.webhookURL, channels.webhookSecret, channels.email]).isEmpty
    }

    /// The channels a reservation's confirmation request already reached.
    public func delivered(reservationID: String) throws -> Set<VendorNotificationChannel> {
        Set(try connection.query(
            "SELECT channel FROM vendor_notifications WHERE reservation_id = $1::uuid AND sent_at IS NOT NULL", [reservationID]
        ).compactMap { VendorNotificationChannel(rawValue: try $0.string(0)) })
    }

    /// Records one attempt on one channel: sent when `error` is nil.
    public func recordAttempt(reservationID: String, channel: VendorNotificationChannel, error: String?) throws {
        try connection.query("""
            INSERT INTO vendor_notifications (reservation_id, channel, attempts, sent_at, last_error)
            VALUES ($1::uuid, $2, 1, CASE WHEN $3::text IS NULL THEN now() END, $3)
            ON CONFLICT (reservation_id, channel, vendor_id) DO UPDATE
            SET attempts = vendor_notifications.attempts + 1, last_attempt_at = now(), last_error = excluded.last_error,
                sent_at = coalesce(vendor_notifications.sent_at, excluded.sent_at)
            """, [reservationID, channel.rawValue, error])
    }
}

import BookijiCore
import Coordinator
import Foundation
import Store

/// Applies the Stripe events the webhook endpoint stored (`stripe.event` rows, one per new
/// event): a PaymentIntent's new status, a decline, a lapsed authorization. The driver is woken
/// for the reservation the event is about; events about other objects are recorded as ignored.
public struct StripeEventHandler: OutboxHandler {
    public let topics = [StripeEventStore.topic]
    public let concurrency: Int
    private let pool: DatabasePool

    public init(databaseURL: String, concurrency: Int = 4) {
        self.concurrency = concurrency
        self.pool = DatabasePool(url: databaseURL, size: 2, label: "stripe-events")
    }

    public func handle(_ row: OutboxRow) async throws {
        let payload = (try? JSONSerialization.jsonObject(with: Data(row.payloadJSON.utf8))) as? [String: Any]
        guard let eventID = payload?["eventId"] as? String else { return }
        let now = Int64(Date().timeIntervalSince1970)
        _ = try await pool.run { session in
            try StripeEvents(database: Database(session: session)).apply(eventID: eventID, now: now)
        }
    }
}

import BookijiCore
import Coordinator
import Foundation
import Store

/// Applies the Stripe events the webhook endpoint stored (`stripe.event` rows, one per new
/// event): a PaymentIntent's new status, a decline, a lapsed authorization. The driver is woken
/// for the reservation the event is about; events about other objects are recorded as ignored.
/// Database work only: each event is applied in the transaction that takes it, one per
/// transaction, since applying news locks the payment leg the driver is writing.
public struct StripeEventHandler: OutboxDatabaseHandler {
    public let topics = [StripeEventStore.topic]
    public let batchSize: Int? = 1

    public init() {}

    public func handle(_ row: OutboxRow, in session: Session) throws {
        let payload = (try? JSONSerialization.jsonObject(with: Data(row.payloadJSON.utf8))) as? [String: Any]
        guard let eventID = payload?["eventId"] as? String else { return }
        _ = try StripeEvents(database: Database(session: session)).apply(eventID: eventID, now: Int64(Date().timeIntervalSince1970))
    }
}

import BookijiCore

/// Reservation bodies of the spec's contract.
enum ReservationJSON {
    /// The `POST /v1/reservations` response.
    static func created(_ record: ReservationRecord) -> [UInt8] {
        var json = JSONWriter()
        json.objectStart()
        fields(record, into: &json)
        json.objectEnd()
        return json.bytes
    }

    /// The `GET /v1/reservations/{id}` response (history omitted in lists).
    static func detail(_ record: ReservationRecord, history: [TransitionRecord]?) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.objectStart()
        fields(record, into: &json)
        if let history {
            json.key("stateHistory")
            json.arrayStart()
            for entry in history {
                json.objectStart()
                json.field("id", String(entry.id))
                json.field("reservationId", entry.reservationID)
                json.field("fromState", entry.from)
                json.field("toState", entry.to)
                json.field("triggeredBy", entry.triggeredBy)
                if let reason = entry.reason { json.field("reason", reason) }
                if let metadata = entry.metadataJSON { json.key("metadata"); json.raw(Array(metadata.utf8)) }
                json.field("timestamp", entry.occurredAt)
                if let key = entry.idempotencyKey { json.field("idempotencyKey", key) }
                json.objectEnd()
            }
            json.arrayEnd()
        }
        json.objectEnd()
        return json.bytes
    }

    private static func fields(_ record: ReservationRecord, into json: inout JSONWriter) {
        json.field("reservationId", record.id)
        json.field("state", record.state.rawValue)
        json.field("vendorId", record.vendorID)
        json.key("slotStartTime"); json.instant(record.slot.start)
        json.key("slotEndTime"); json.instant(record.slot.end)
        json.field("requesterId", record.requesterID)
        json.field("createdAt", record.createdAtText)
        json.key("expiresAt")
        if let deadline = record.deadline { json.instant(deadline) } else { json.null() }
        json.field("vendorConfirmationRequired", true)
        json.key("estimatedConfirmationTime")
        json.instant(record.createdAt + ReservationTTL.initialHold)
        json.key("metadata"); json.raw(Array(record.metadataJSON.utf8))
        if let price = record.price {
            json.key("price")
            json.objectStart()
            json.field("amount", price.amount)
            json.field("currency", price.currency)
            json.field("deposit", price.deposit)
            json.field("platformFee", price.platformFee)
            json.objectEnd()
        }
        if let booking = record.bookingID { json.field("bookingId", booking) }
        if let reason = record.failureReason { json.field("failureReason", reason) }
    }

    static func reputation(_ reputation: PartnerReputation, into json: inout JSONWriter) {
        json.objectStart()
        json.field("periodDays", reputation.days)
        json.field("holds", reputation.holds)
        json.field("committed", reputation.committed)
        json.field("expired", reputation.expired)
        json.field("cancelled", reputation.cancelled)
        json.field("failed", reputation.failed)
        json.field("active", reputation.active)
        json.key("holdToCommitRatio")
        if let ratio = reputation.holdToCommitRatio { json.double(ratio) } else { json.null() }
        json.objectEnd()
    }
}

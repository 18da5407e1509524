import BookijiCore

/// Reservation bodies of the spec's contract.
enum ReservationJSON {
    /// The `POST /v1/reservations` response.
    static func created(_ record: ReservationRecord, webhookURL: String? = nil) -> [UInt8] {
        var json = JSONWriter()
        json.objectStart()
        fields(record, into: &json)
        if let webhookURL { json.field("webhookUrl", webhookURL) }
        json.objectEnd()
        return json.bytes
    }

    /// Who reads an answer: each sees the client secret of its own side only (the secret lets
    /// its holder confirm the intent with Stripe.js).
    enum Audience {
        case partner, vendor
    }

    /// The `GET /v1/reservations/{id}` response (history omitted in lists; payment state when
    /// `legs` is given).
    static func detail(
        _ record: ReservationRecord, history: [TransitionRecord]?, legs: PaymentLegs? = nil, audience: Audience = .partner,
        webhookURL: String? = nil
    ) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.objectStart()
        fields(record, into: &json)
        if let webhookURL { json.field("webhookUrl", webhookURL) }
        if let legs { paymentState(record, legs, audience: audience, into: &json) }
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
                json.key("timestamp"); json.instant(text: entry.occurredAt)
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
        json.key("createdAt"); json.instant(record.createdAt)
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
        if let booking = record.bookingID, record.state == .committed { json.field("bookingId", booking) }
        if let reason = record.failureReason { json.field("failureReason", reason) }
        if let cancellation = record.cancellation {
            json.field("cancellationReason", cancellation.reason.rawValue)
            json.field("cancellationNote", cancellation.note)
        }
    }

    /// The spec's `PaymentState`, once the reservation reached its payment phase: both intents'
    /// ids and statuses, authorization instants, capture ids and attempts, the last capture
    /// error; plus what the integrator needs to act (`nextAction`, its side's `clientSecret`),
    /// declines and the compensation done (refunds, cancellations).
    private static func paymentState(_ record: ReservationRecord, _ legs: PaymentLegs, audience: Audience, into json: inout JSONWriter) {
        let phaseStarted = record.vendorConfirmedAt != nil || !legs.all.isEmpty
        guard phaseStarted, record.price != nil else { return }
        json.key("paymentState")
        json.objectStart()
        for side in PaymentSide.allCases {
            let leg = legs[side], name = side.rawValue
            json.field("\(name)PaymentIntentId", leg?.intentID)
            json.field("\(name)PaymentIntentStatus", leg?.status?.rawValue)
            json.key("\(name)AuthorizedAt")
            if let at = leg?.authorizedAt { json.instant(at) } else { json.null() }
            json.field("\(name)CaptureId", leg?.captureID)
            json.field("\(name)CaptureAttempts", leg?.captureAttempts ?? 0)
            if let code = leg?.declineCode { json.field("\(name)DeclineCode", code) }
            if let refund = leg?.refundID { json.field("\(name)RefundId", refund) }
            if let canceled = leg?.canceledAt { json.key("\(name)CanceledAt"); json.instant(canceled) }
            if let secret = leg?.clientSecret, (side == .vendor) == (audience == .vendor) {
                json.field("\(name)ClientSecret", secret)
            }
        }
        // The requester's capture comes after the vendor's, so its error is the later one.
        json.field("lastCaptureError", legs.requester?.lastCaptureError ?? legs.vendor?.lastCaptureError)
        json.field("nextAction", nextAction(record.state, legs))
        json.objectEnd()
    }

    /// What the reservation waits for, when it waits for someone outside: a payment method (or a
    /// Stripe.js confirmation), or 3-D Secure authentication.
    static func nextAction(_ state: ReservationState, _ legs: PaymentLegs) -> String? {
        let side: PaymentSide
        switch state {
        case .awaitingVendorAuth: side = .vendor
        case .awaitingRequesterAuth: side = .requester
        default: return nil
        }
        let leg = legs[side]
        switch leg?.status {
        case .requiresAction?: return "\(side.rawValue)_authentication"
        case .requiresPaymentMethod?, .requiresConfirmation?, nil:
            return leg?.paymentMethod == nil ? "\(side.rawValue)_payment_method" : nil
        default: return nil
        }
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

import BookijiCore
import Store

/// The vendor confirmation page's use cases (issue 13, point 5): what a link shows, and the
/// vendor's answer through it. The link's token (``VendorPageToken``) names the reservation and
/// the vendor and carries its expiry; the answer goes through the same confirm and decline as
/// the vendor API (``ReservationCoordinator``), so the page can do nothing the vendor's key
/// could not.
public struct VendorConfirmationPage {
    let database: Database
    let key: VendorPageKey

    public init(database: Database, key: VendorPageKey) {
        self.database = database
        self.key = key
    }

    /// What a link leads to.
    public enum State: Sendable {
        /// Waiting for the vendor's answer.
        case open(ConfirmationRequest)
        /// The vendor answered already (here or through the API).
        case answered(ConfirmationRequest, confirmed: Bool, at: String)
        /// The link or the reservation ran out of time.
        case expired(ConfirmationRequest?)
        /// The reservation ended another way (the partner cancelled it, the slot was taken).
        case withdrawn(ConfirmationRequest, reason: String)
        /// Not a link this service made, or one whose reservation does not exist.
        case invalid
    }

    /// The vendor's answer.
    public enum Decision: String, Sendable {
        case confirm, decline
    }

    /// What answering did.
    public enum Outcome: Sendable {
        case confirmed(ConfirmationRequest)
        case declined(ConfirmationRequest)
        /// The slot was no longer free when the vendor confirmed: the reservation was cancelled.
        case slotGone(ConfirmationRequest)
        /// Nothing was done; the link shows this instead.
        case refused(State)
    }

    /// The state behind a link, with lazy expiry applied.
    public func state(of link: String, now: Int64) throws -> State {
        let token: VendorPageToken
        do {
            token = try VendorPageToken.verify(link, key: key, now: now)
        } catch .tampered {
            return .invalid
        } catch .expired(let stale) {
            guard let request = try database.read({ try VendorNotifications.request(reservationID: stale.reservationID, on: $0) }),
                  request.reservation.vendorID == stale.vendorID
            else { return .invalid }
            // An answer given before the link ran out still reads as an answer.
            let state = try current(token: stale, request: request, now: now)
            if case .open = state { return .expired(request) }
            return state
        }
        guard let request = try database.read({ try VendorNotifications.request(reservationID: token.reservationID, on: $0) }),
              request.reservation.vendorID == token.vendorID
        else { return .invalid }
        return try current(token: token, request: request, now: now)
    }

    /// Answers through the link: confirm or decline, once.
    public func answer(_ decision: Decision, link: String, now: Int64) throws -> Outcome {
        let before = try state(of: link, now: now)
        guard case .open(let request) = before else { return .refused(before) }
        let reservations = ReservationCoordinator(database: database)
        let id = request.reservation.id, vendorID = request.reservation.vendorID
        do {
            switch decision {
            case .confirm:
                let moved = try reservations.confirmByVendor(id: id, vendorID: vendorID, now: now)
                return .confirmed(with(request, moved))
            case .decline:
                let moved = try reservations.declineByVendor(id: id, vendorID: vendorID, now: now)
                return .declined(with(request, moved))
            }
        } catch let error as BookijiError where error.code == .slotUnavailable {
            return .slotGone(request)
        } catch let error as BookijiError where error.code == .invalidTransition || error.code == .reservationNotFound {
            // Another answer (or the deadline) came first: show what happened.
            return .refused(try state(of: link, now: now))
        }
    }

    private func with(_ request: ConfirmationRequest, _ record: ReservationRecord) -> ConfirmationRequest {
        var updated = request
        updated.reservation = record
        return updated
    }

    /// Where the reservation stands now: open while it awaits its vendor, else how it left that
    /// state, read from its transition log.
    private func current(token: VendorPageToken, request: ConfirmationRequest, now: Int64) throws -> State {
        let (record, history, _) = try ReservationCoordinator(database: database)
            .findForVendor(id: token.reservationID, vendorID: token.vendorID, now: now)
        var request = request
        request.reservation = record
        if record.state == .awaitingVendorConfirmation { return .open(request) }
        let awaiting = ReservationState.awaitingVendorConfirmation.rawValue
        guard let left = history.first(where: { $0.from == awaiting && $0.to != awaiting }) else {
            return .withdrawn(request, reason: "the request is no longer open")
        }
        switch (left.to, left.triggeredBy) {
        case (ReservationState.confirmedByVendor.rawValue, _):
            return .answered(request, confirmed: true, at: left.occurredAt)
        case (ReservationState.cancelled.rawValue, TransitionTrigger.vendor.rawValue):
            return .answered(request, confirmed: false, at: left.occurredAt)
        case (_, TransitionTrigger.timeout.rawValue):
            return .expired(request)
        case (_, TransitionTrigger.partner.rawValue):
            return .withdrawn(request, reason: "\(request.partnerName) withdrew the request")
        default:
            return .withdrawn(request, reason: left.reason ?? "the request is no longer open")
        }
    }
}

import BookijiCore
import Store

/// The server-side authorizations: the vendor (`POST /v1/vendor/reservations/{id}/authorize`) or
/// the partner for its requester (`POST /v1/reservations/{id}/authorize`) sends a Stripe payment
/// method, and the worker confirms the side's intent with it. The route only records the request
/// and wakes the worker (the responder calls nobody).
///
/// A side may be asked for early: the requester's payment method can come with the vendor's, from
/// `AWAITING_VENDOR_AUTH` on, and is used as soon as the requester's intent is created.
public struct PaymentAuthorization {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Records the payment method to authorize `side` with.
    /// - Parameter owner: whether the caller may see the reservation (another's is "not found").
    /// - Returns: the reservation and its legs afterwards.
    public func authorize(
        reservationID: String, side: PaymentSide, paymentMethod: String, owner: (ReservationRecord) -> Bool, now: Int64
    ) throws -> (ReservationRecord, PaymentLegs) {
        guard Self.isPaymentMethodID(paymentMethod) else {
            throw BookijiError(
                .invalidParameter, "paymentMethodId must be a Stripe PaymentMethod id such as pm_card_visa",
                details: ["field": "paymentMethodId"])
        }
        let outcome = try database.transaction(attempts: 3) { session -> Result<(ReservationRecord, PaymentLegs), BookijiError> in
            let store = ReservationStore(session)
            guard let locked = try store.lock(id: reservationID), owner(locked) else {
                throw ReservationCoordinator.notFound(reservationID)
            }
            let record = try ReservationCoordinator(database: database).expireIfPastDeadline(locked, now: now, conn: session)
            let legs = PaymentLegStore(session)
            let leg = try legs.legs(reservationID: record.id, forUpdate: true)[side]
            // The same request again (a retry) is answered with where the reservation is now.
            if leg?.paymentMethod == paymentMethod {
                return .success((record, try legs.legs(reservationID: record.id)))
            }
            let accepted: [ReservationState] = side == .vendor
                ? [.confirmedByVendor, .awaitingVendorAuth]
                : [.confirmedByVendor, .awaitingVendorAuth, .vendorAuthorized, .awaitingRequesterAuth]
            guard accepted.contains(record.state), let price = record.price else {
                return .failure(BookijiError(
                    .invalidTransition,
                    "the reservation is \(record.state.rawValue); the \(side.rawValue)'s payment can be authorized only in "
                        + accepted.map(\.rawValue).joined(separator: ", "),
                    details: ["currentState": record.state.rawValue, "requestedState": side.awaitingState.rawValue]))
            }
            if let leg, leg.paymentMethod != nil || leg.status == .requiresCapture {
                return .failure(BookijiError(
                    .invalidTransition,
                    "the \(side.rawValue)'s payment was already submitted (\(leg.paymentMethod ?? "client-side")); it cannot be changed",
                    details: ["currentState": record.state.rawValue, "side": side.rawValue]))
            }
            try legs.apply(
                .paymentMethodRequested(paymentMethod), reservationID: record.id, side: side, price: price, now: now)
            try store.signalPaymentDriver(reservationID: record.id)
            return .success((record, try legs.legs(reservationID: record.id)))
        }
        return try outcome.get()
    }

    static func isPaymentMethodID(_ text: String) -> Bool {
        let bytes = text.utf8
        return text.hasPrefix("pm_") && (4...255).contains(bytes.count)
            && bytes.dropFirst(3).allSatisfy { $0 == UInt8(ascii: "_") || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}

import Availability
import BookijiCore
import Foundation
import Store

/// A reservation's payments as the driver sees them: the reservation, its legs, and what
/// ``PaymentPlan`` says comes next.
public struct PaymentSnapshot: Sendable {
    public var reservation: ReservationRecord
    public var legs: PaymentLegs
    public var step: PaymentStep
}

/// How a call to the payment provider ended, as the recovery point records it.
public enum CallOutcome: Sendable {
    /// Stripe did it.
    case succeeded(resultJSON: String)
    /// Stripe refused it definitely; the same request would be refused again.
    case refused(String)
    /// No answer, or one that says to retry: the recovery point stays open and the next try
    /// reuses its key.
    case unknown(String)
}

/// A call the driver wants to make for a step: the operation, its parameters (kept on the
/// recovery point, so a resumed call sends them again) and the leg changes made with it.
public struct PlannedCall: Sendable {
    public var operation: ExternalOperation
    public var side: PaymentSide
    public var parametersJSON: String
    public var changes: [PaymentLegStore.Change]

    public init(_ operation: ExternalOperation, side: PaymentSide, parametersJSON: String, changes: [PaymentLegStore.Change] = []) {
        self.operation = operation
        self.side = side
        self.parametersJSON = parametersJSON
        self.changes = changes
    }
}

/// How a call the driver made ended, to be recorded: its recovery point (nil for a retrieve,
/// which has none), the outcome and what it did to the side's leg.
public struct FinishedCall: Sendable {
    public var record: OperationRecord?
    public var side: PaymentSide
    public var reservationID: String
    public var outcome: CallOutcome
    public var changes: [PaymentLegStore.Change]

    public init(record: OperationRecord?, side: PaymentSide, reservationID: String, outcome: CallOutcome, changes: [PaymentLegStore.Change]) {
        self.record = record
        self.side = side
        self.reservationID = reservationID
        self.outcome = outcome
        self.changes = changes
    }
}

/// Where one ``PaymentFlow/advance(reservationID:finishing:now:plan:)`` left a reservation.
public enum PaymentTurn: Sendable {
    /// Make this call next; its recovery point (nil for a retrieve) is committed.
    case call(PaymentSnapshot, OperationRecord?)
    /// Nothing to do until an event, a route or a deadline changes something (or the
    /// reservation is unknown).
    case wait
    /// The payments are finished for good; settled.
    case done(ReservationState, PaymentFlow.Settlement)
}

/// The database half of the payment flow: every recovery point, leg change and state move the
/// worker makes, each in one transaction. The worker makes the calls to Stripe between them, so a
/// crash anywhere leaves either an open recovery point (resumed with the same idempotency key) or
/// a recorded result.
public struct PaymentFlow {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The reservation, its legs and its next step; nil for an unknown id.
    public func snapshot(reservationID: String) throws -> PaymentSnapshot? {
        try database.read { session in
            guard let record = try ReservationStore(session).find(id: reservationID) else { return nil }
            let legs = try PaymentLegStore(session).legs(reservationID: reservationID)
            return PaymentSnapshot(reservation: record, legs: legs, step: PaymentPlan.next(state: record.state, legs: legs))
        }
    }

    /// The driver's whole database turn between two calls to Stripe, in one transaction: records
    /// how the last call ended (`finishing`), then follows ``PaymentPlan`` through every state
    /// move it asks for (revalidation and booking id included) until it asks for a call, a wait
    /// or nothing more. For a call it opens the recovery point `plan` describes (or returns the
    /// open one of the same operation, to be repeated with its key and parameters); for nothing
    /// more it settles: open recovery points are closed and the compensation event is queued once.
    ///
    /// A booking's happy path so costs one transaction per Stripe call plus one, instead of a
    /// read, a begin and a finish per call and a read and a move per state.
    public func advance(
        reservationID: String, finishing: FinishedCall?, now: Int64, plan: (PaymentSnapshot) throws -> PlannedCall?
    ) throws -> PaymentTurn {
        try database.transaction(attempts: 3) { session in
            let store = ReservationStore(session)
            // Locked before recording touches the legs (see record(_:on:session:now:)); recording
            // changes legs and operation records, never the reservation's row.
            var locked = try store.lock(id: reservationID)
            if let finishing { try record(finishing, on: locked, session: session, now: now) }
            // Each pass makes one state move; the plan never asks for more than a few in a row.
            for pass in 0..<8 {
                if pass > 0 { locked = try store.lock(id: reservationID) }
                guard let reservation = locked else { return .wait }
                let legs = try PaymentLegStore(session).legs(reservationID: reservationID)
                let snapshot = PaymentSnapshot(reservation: reservation, legs: legs, step: PaymentPlan.next(state: reservation.state, legs: legs))
                switch snapshot.step {
                case .wait:
                    return .wait
                case .done:
                    return .done(reservation.state, try settle(reservationID: reservationID, session: session, now: now))
                case .awaitAuthorization, .authorized, .authorizationFailed, .beginCommit, .commit, .commitFailed:
                    try perform(snapshot.step, on: reservation, session: session, now: now)
                case .refresh:
                    return .call(snapshot, nil)
                case .create, .confirm, .capture, .release, .refund:
                    guard let call = try plan(snapshot) else { return .wait }
                    return .call(snapshot, try open(call, reservation: reservation, session: session, now: now))
                }
            }
            return .wait
        }
    }

    /// Opens the recovery point of a call and applies `change` to the side's leg, in one
    /// transaction, provided the reservation is still in `state` (nil when it moved on: decide
    /// again). An open recovery point of the same operation is returned as it is, so the call is
    /// repeated with its key and its parameters.
    public func begin(
        _ operation: ExternalOperation, side: PaymentSide, reservationID: String, expecting state: ReservationState,
        parametersJSON: String, changes: [PaymentLegStore.Change] = [], now: Int64
    ) throws -> OperationRecord? {
        try database.transaction(attempts: 3) { session in
            guard let record = try ReservationStore(session).lock(id: reservationID), record.state == state else { return nil }
            return try open(PlannedCall(operation, side: side, parametersJSON: parametersJSON, changes: changes), reservation: record, session: session, now: now)
        }
    }

    /// Opens a call's recovery point on the locked reservation, or returns the open one of the
    /// same operation, and applies the call's leg changes.
    private func open(_ call: PlannedCall, reservation: ReservationRecord, session: Session, now: Int64) throws -> OperationRecord? {
        guard let price = reservation.price else { return nil }
        let records = OperationRecordStore(session)
        let latest = try records.latest(reservationID: reservation.id, operation: call.operation)
        let opened: OperationRecord
        if let latest, latest.status == .started {
            opened = latest
        } else {
            opened = try records.begin(
                reservationID: reservation.id, operation: call.operation, attempt: (latest?.attempt ?? 0) + 1,
                parametersJSON: call.parametersJSON, now: now)
        }
        for change in call.changes {
            try PaymentLegStore(session).apply(change, reservationID: reservation.id, side: call.side, price: price, now: now)
        }
        return opened
    }

    /// Records how a call ended and what it did to the leg, in one transaction. An `unknown`
    /// outcome leaves the recovery point open.
    public func finish(
        _ call: OperationRecord, side: PaymentSide, outcome: CallOutcome, changes: [PaymentLegStore.Change], now: Int64
    ) throws {
        try record(FinishedCall(record: call, side: side, reservationID: call.reservationID, outcome: outcome, changes: changes), now: now)
    }

    /// Records how a call ended (see ``finish(_:side:outcome:changes:now:)``), in one transaction.
    public func record(_ finished: FinishedCall, now: Int64) throws {
        try database.transaction(attempts: 3) { session in
            let locked = try ReservationStore(session).lock(id: finished.reservationID)
            try record(finished, on: locked, session: session, now: now)
        }
    }

    /// Records how a call ended on `reservation`, which the caller has locked: the reservation
    /// before its legs, as every writer of a booking's payment rows takes them (an
    /// authorization, a turn of the driver, an event, the daily cleanup). Taking the legs first
    /// deadlocked against an authorization holding the reservation: 85 deadlocks, each a 1 s
    /// wait, in a 30 s run of Benchmarks/bookings. nil: the reservation does not exist, and the
    /// legs are left alone.
    private func record(_ finished: FinishedCall, on reservation: ReservationRecord?, session: Session, now: Int64) throws {
        if let call = finished.record {
            switch finished.outcome {
            case .succeeded(let json):
                try OperationRecordStore(session).finish(key: call.idempotencyKey, status: .succeeded, resultJSON: json, error: nil, now: now)
            case .refused(let message):
                try OperationRecordStore(session).finish(key: call.idempotencyKey, status: .failed, resultJSON: nil, error: message, now: now)
            case .unknown:
                break
            }
        }
        try apply(finished.changes, side: finished.side, reservationID: finished.reservationID, price: reservation?.price,
                  session: session, now: now)
    }

    /// What finishing a reservation's payments did.
    public struct Settlement: Sendable, Hashable {
        /// Open recovery points closed (calls the end of the reservation overtook).
        public var abandonedCalls: Int
        /// The compensation event was queued now (it is queued once).
        public var compensationAnnounced: Bool
    }

    /// The plan is done with the reservation: its open recovery points are closed (see
    /// ``OperationRecordStore/closeAbandoned(reservationID:reason:now:)``) and, for one that did
    /// not commit but had payments, the compensation event is queued once
    /// (`reservation.compensated`: each side's intent and whether it was canceled or refunded).
    private func settle(reservationID: String, session: Session, now: Int64) throws -> Settlement {
        let closed = try OperationRecordStore(session).closeAbandoned(
            reservationID: reservationID, reason: "abandoned: the reservation ended; the intent's state was fetched instead", now: now)
        guard let record = try ReservationStore(session).find(id: reservationID), record.state.isTerminal,
              record.state != .committed
        else { return Settlement(abandonedCalls: closed, compensationAnnounced: false) }
        let legs = try PaymentLegStore(session).legs(reservationID: reservationID).all.filter { $0.intentID != nil }
        guard !legs.isEmpty else { return Settlement(abandonedCalls: closed, compensationAnnounced: false) }
        let payments: [[String: Any]] = legs.map { leg in
            ["side": leg.side.rawValue, "paymentIntentId": leg.intentID ?? "",
             "outcome": leg.refundID != nil ? "refunded" : "canceled", "refundId": leg.refundID ?? NSNull()]
        }
        let object: [String: Any] = ["reservationId": reservationID, "state": record.state.rawValue, "payments": payments]
        let payload = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        let queued = try ReservationStore(session).enqueueOnce(
            topic: Self.compensationTopic, reservationID: reservationID, payloadJSON: payload)
        return Settlement(abandonedCalls: closed, compensationAnnounced: queued)
    }

    /// The outbox topic of the compensation event (spec: "Emit compensation event").
    public static let compensationTopic = "reservation.compensated"

    private func apply(
        _ changes: [PaymentLegStore.Change], side: PaymentSide, reservationID: String, price: ReservationPrice?, session: Session,
        now: Int64
    ) throws {
        guard !changes.isEmpty, let price else { return }
        let store = PaymentLegStore(session)
        var leg = changes.contains { if case .intent = $0 { true } else { false } }
            ? try store.legs(reservationID: reservationID, forUpdate: true)[side] : nil
        for change in changes {
            // An answer can be older than an event applied while the call was out (3-D Secure
            // completed before the confirm's answer was recorded): it never moves a leg back,
            // but it still settles the question that made the leg wait to be fetched.
            if case .intent(let intent) = change, let current = leg, current.intentID == intent.id, !Self.isNews(intent, over: current) {
                leg = try store.apply(.seen, reservationID: reservationID, side: side, price: price, now: now)
                continue
            }
            leg = try store.apply(change, reservationID: reservationID, side: side, price: price, now: now)
        }
    }

    /// Makes the state move a step calls for, provided the reservation is still in `state`.
    /// - Returns: false when it had moved on (decide again).
    public func move(_ step: PaymentStep, reservationID: String, expecting state: ReservationState, now: Int64) throws -> Bool {
        try database.transaction(attempts: 3) { session in
            guard let record = try ReservationStore(session).lock(id: reservationID), record.state == state else { return false }
            try perform(step, on: record, session: session, now: now)
            return true
        }
    }

    /// Makes the state move of `step` on the locked reservation.
    private func perform(_ step: PaymentStep, on record: ReservationRecord, session: Session, now: Int64) throws {
        let store = ReservationStore(session)
        @discardableResult func go(_ record: ReservationRecord, _ next: ReservationState, _ reason: String, failure: String? = nil) throws -> ReservationRecord {
            try store.move(record, to: next, trigger: .system, reason: reason, now: now, failureReason: failure, signalPayments: false)
        }
        switch step {
        case .awaitAuthorization(let side):
            try go(record, side.awaitingState, "\(side.rawValue) payment authorization requested")
        case .authorized(.vendor):
            let authorized = try go(record, .vendorAuthorized, "vendor deposit authorized")
            try go(authorized, .awaitingRequesterAuth, "requester payment authorization requested")
        case .authorized(.requester):
            try go(record, .authorizedBoth, "requester payment authorized")
        case .authorizationFailed(let side, let reason):
            try VendorStore(session).bumpRevision(id: record.vendorID)
            try go(record, side.failureState, reason, failure: reason)
        case .beginCommit:
            try beginCommit(record, session: session, now: now)
        case .commit:
            try go(record, .committed, "both payments captured")
        case .commitFailed(let reason):
            try VendorStore(session).bumpRevision(id: record.vendorID)
            try go(record, .failedCommit, reason, failure: reason)
        default:
            preconditionFailure("\(step) is not a state move")
        }
    }

    /// The mandatory final check (spec step 6): the slot must still be free by the vendor's
    /// working hours, calendars and rules (ignoring this reservation's own hold). Unavailable →
    /// `FAILED_AVAILABILITY_CHANGED`; available → `COMMIT_IN_PROGRESS` with its booking id chosen.
    private func beginCommit(_ record: ReservationRecord, session: Session, now: Int64) throws {
        let store = ReservationStore(session)
        let reasons: [SlotReason]?
        if let inputs = try AvailabilityService.inputs(of: record.vendorID, around: record.slot, now: now, on: session) {
            reasons = try AvailabilityService.unavailability(of: record.slot, inputs: inputs, excluding: record.id, now: now)
        } else {
            reasons = [SlotReason(code: "vendor_gone", message: "The vendor no longer exists.")]
        }
        if let reasons, !reasons.isEmpty {
            let reason = "slot no longer available: " + reasons.map(\.code).joined(separator: ",")
            try VendorStore(session).bumpRevision(id: record.vendorID)
            try store.move(
                record, to: .failedAvailabilityChanged, trigger: .system, reason: reason, now: now, failureReason: reason,
                signalPayments: false)
            return
        }
        _ = try store.assignBookingID(reservationID: record.id)
        try store.move(record, to: .commitInProgress, trigger: .system, reason: "slot revalidated; commit begun", now: now, signalPayments: false)
    }

    /// What Stripe says about an intent, from an event: applied when it is news (a later status,
    /// a decline, a cancellation), then the driver is woken. Events arrive late and out of order,
    /// so an older status never overwrites a newer one; a charge event only marks the intent to
    /// be fetched again.
    /// - Returns: false when the intent is not one of ours.
    @discardableResult
    public func applyEvent(_ intent: PaymentIntentSnapshot?, chargeOfIntent: String? = nil, now: Int64) throws -> Bool {
        guard let intentID = intent?.id ?? chargeOfIntent else { return false }
        return try database.transaction(attempts: 3) { session in
            let legs = PaymentLegStore(session)
            guard let (reservationID, side) = try legs.owner(intentID: intentID) else { return false }
            // Most events repeat what the driver already recorded from Stripe's answer. A leg
            // only moves forward, so an event that is no news now never becomes news: it is
            // settled without locking the leg (a batch of events would hold every lock it took
            // until it commits, and the driver's next write would queue behind it).
            if let intent, let seen = try legs.legs(reservationID: reservationID)[side], !Self.isNews(intent, over: seen) { return true }
            // The reservation before its legs (see record(_:on:session:now:)).
            guard let price = try ReservationStore(session).lock(id: reservationID)?.price,
                  let leg = try legs.legs(reservationID: reservationID, forUpdate: true)[side]
            else { return false }
            let change: PaymentLegStore.Change?
            if let intent {
                change = Self.isNews(intent, over: leg) ? .intent(intent) : nil
            } else {
                change = .uncertain
            }
            if let change {
                try legs.apply(change, reservationID: reservationID, side: side, price: price, now: now)
                try ReservationStore(session).signalPaymentDriver(reservationID: reservationID)
            }
            return true
        }
    }

    static func isNews(_ intent: PaymentIntentSnapshot, over leg: PaymentLeg) -> Bool {
        guard let current = leg.status else { return true }
        if current == .succeeded || current == .canceled { return false }
        if intent.status == .canceled { return true }
        if intent.declineCode != nil && intent.status.progress == 0 { return current.progress <= 1 && leg.declineCode == nil }
        return intent.status.progress > current.progress
    }

    /// What one reconciliation run did.
    public struct Reconciliation: Sendable, Hashable {
        /// Ended reservations whose money was not settled yet, handed back to the driver.
        public var unsettled: Int
        /// Reservations in their payment phase that nothing was driving (lost event or signal, a
        /// commit left by a crash), handed back with their waiting intents to be fetched again.
        public var stalled: Int
        /// Reservations with an authorization older than the stale age, expired if still active.
        public var staleAuthorizations: Int
    }

    /// The reconciliation job's run (spec: "Repair Logic"): every reservation whose payments need
    /// the driver and do not have it is signalled. With `staleAuthorizationAge`, the daily cleanup
    /// as well: reservations holding an authorization older than that are expired (if still
    /// active) and compensated.
    public func reconcile(now: Int64, quietSeconds: Int64 = 60, staleAuthorizationAge: Int64? = nil) throws -> Reconciliation {
        try database.transaction { session in
            let legs = PaymentLegStore(session), reservations = ReservationStore(session)
            // The stale reservations are locked before the queries below mark any legs, in id
            // order: a reservation before its legs, as every other writer takes them.
            var stale: [String] = [], staleLocked: [ReservationRecord] = []
            if let age = staleAuthorizationAge {
                stale = try legs.staleAuthorizations(now: now, ageSeconds: age, limit: 1000)
                staleLocked = try stale.sorted().compactMap { try reservations.lock(id: $0) }
            }
            let unsettled = try legs.unsettled(limit: 1000)
            let stalled = try legs.stalled(now: now, quietSeconds: quietSeconds, limit: 1000)
            if let age = staleAuthorizationAge {
                for record in staleLocked where record.state.isActive {
                    try reservations.move(
                        record, to: .expired, trigger: .timeout, reason: "authorization older than \(age / 86400) days",
                        now: now, failureReason: "the payment authorization went stale")
                }
            }
            for id in Set(unsettled + stalled + stale) { try reservations.signalPaymentDriver(reservationID: id) }
            return Reconciliation(unsettled: unsettled.count, stalled: stalled.count, staleAuthorizations: stale.count)
        }
    }

}

import BookijiCore
import Coordinator
import Foundation
import Integrations
import Logging
import Store
import Telemetry

/// Drives each reservation's payments (issue 12): handles `payment.advance` rows, one pending row
/// per reservation, so one reservation is driven from one place at a time. For a row it asks
/// ``PaymentPlan`` for the next step and performs it, again and again, until the plan says wait
/// (for a payment method, 3-D Secure, an event) or done.
///
/// Every call to Stripe is bracketed by ``PaymentFlow``: its recovery point (operation, key,
/// parameters) is committed before the call and its result after, so a worker killed at any
/// instant is resumed from the last recovery point by whichever worker takes the row next, with
/// the same idempotency key. A call without a definite answer (no response, 5xx, 409, 429) ends
/// the row's turn with an error: the dispatcher runs it again under ``retryPolicy`` (1 s doubling
/// to 60 s, ±20%), never giving up, so a compensation is retried until Stripe confirms it.
/// Captures count their attempts on the leg and fail the commit after
/// ``PaymentPlan/maxCaptureAttempts``.
public struct PaymentDriver: OutboxHandler {
    public let topics = [ReservationStore.paymentAdvanceTopic]
    public let concurrency: Int
    /// The spec's backoff without an end: a row is never parked while money may be held.
    public var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: .max) }

    private let stripe: StripeClient
    private let pool: DatabasePool
    private let crashPoints: CrashPoints
    private let logger: Logger

    /// - Parameters:
    ///   - concurrency: reservations driven at once (each mostly waits on Stripe).
    ///   - crashPoints: test builds only: where to kill the process (see ``CrashPoints``).
    public init(
        databaseURL: String, stripe: StripeClient, concurrency: Int = 32, crashPoints: CrashPoints = CrashPoints(),
        logger: Logger
    ) {
        self.concurrency = concurrency
        self.stripe = stripe
        self.pool = DatabasePool(url: databaseURL, size: max(2, min(8, concurrency / 4)), label: "payments")
        self.crashPoints = crashPoints
        self.logger = logger
    }

    public func handle(_ row: OutboxRow) async throws {
        guard let reservationID = row.reservationID else { return }
        // Each turn records the last call's outcome and opens the next call's recovery point in
        // one transaction. Bounded, so a step that keeps deciding the same thing cannot spin; the
        // next signal or reconciliation picks it up.
        var finished: FinishedCall?
        for _ in 0..<24 {
            let last = finished, now = Self.now()
            let turn = try await flow { try $0.advance(reservationID: reservationID, finishing: last, now: now, plan: Self.plan) }
            finished = nil
            switch turn {
            case .wait:
                return
            case .done(let state, let settled):
                if state == .committed {
                    logger.info("reservation committed", metadata: ["reservation": "\(reservationID)"])
                } else if settled.compensationAnnounced || settled.abandonedCalls > 0 {
                    logger.info("payments settled", metadata: [
                        "reservation": "\(reservationID)", "state": "\(state.rawValue)",
                        "abandonedCalls": "\(settled.abandonedCalls)", "compensated": "\(settled.compensationAnnounced)",
                    ])
                }
                return
            case .call(let snapshot, let record):
                finished = try await perform(snapshot, record)
            }
        }
        if let finished {
            let now = Self.now()
            try await flow { try $0.record(finished, now: now) }
        }
        logger.warning("payment steps did not settle in one turn", metadata: ["reservation": "\(reservationID)"])
    }

    /// The call a step makes: its operation, parameters and the leg changes committed with its
    /// recovery point. Pure: it runs inside ``PaymentFlow/advance(reservationID:finishing:now:plan:)``'s transaction.
    @Sendable static func plan(_ snapshot: PaymentSnapshot) throws -> PlannedCall? {
        let reservation = snapshot.reservation
        switch snapshot.step {
        case .create(let side):
            guard let price = reservation.price else { return nil }
            // Never confirmed at creation, even when a payment method is waiting: an intent whose
            // creation answer was lost and is created again under a new key then holds no money,
            // whatever happened to the first.
            let parameters = PaymentIntentParameters(
                amount: price.amount(for: side), currency: price.currency, captureMethod: "manual",
                metadata: ["reservation_id": reservation.id, "partner_id": reservation.partnerID, "attempt": "1", "side": side.rawValue],
                transferDestination: side == .requester ? price.vendorStripeAccount : nil,
                applicationFeeAmount: side == .requester && price.platformFee > 0 ? price.platformFee : nil,
                paymentMethod: nil, confirm: false,
                description: side == .vendor ? "Bookiji deposit for reservation \(reservation.id)" : "Bookiji reservation \(reservation.id)")
            return PlannedCall(side.authOperation, side: side, parametersJSON: try json(parameters), changes: [.createStarted])
        case .confirm(let side, let paymentMethod):
            return PlannedCall(side.confirmOperation, side: side, parametersJSON: try json(["payment_method": paymentMethod]))
        case .capture(let side):
            let metadata = reservation.bookingID.map { ["booking_id": $0] } ?? [:]
            return PlannedCall(side.captureOperation, side: side, parametersJSON: try json(["metadata": metadata]), changes: [.captureStarted])
        case .release(let side):
            return PlannedCall(side.cancelOperation, side: side, parametersJSON: try json(["cancellation_reason": "abandoned"]))
        case .refund(let side):
            guard let intentID = snapshot.legs[side]?.intentID else { return nil }
            return PlannedCall(side.refundOperation, side: side, parametersJSON: try json(["payment_intent": intentID]))
        default:
            return nil
        }
    }

    /// Makes the call of a step whose recovery point is open, and says how it ended. A call
    /// without a definite answer records that in a transaction of its own and throws: the row's
    /// turn ends and the dispatcher runs it again after its backoff.
    private func perform(_ snapshot: PaymentSnapshot, _ record: OperationRecord?) async throws -> FinishedCall? {
        logger.debug("payment step", metadata: ["reservation": "\(snapshot.reservation.id)", "step": "\(snapshot.step)"])
        switch snapshot.step {
        case .create(let side):
            guard let record else { return nil }
            return try await create(side, snapshot, record)
        case .confirm(let side, _):
            guard let record else { return nil }
            return try await confirm(side, snapshot, record)
        case .capture(let side):
            guard let record else { return nil }
            return try await capture(side, snapshot, record)
        case .release(let side):
            guard let record else { return nil }
            return try await release(side, snapshot, record)
        case .refund(let side):
            guard let record else { return nil }
            return try await refund(side, snapshot, record)
        case .refresh(let side):
            guard let intentID = snapshot.legs[side]?.intentID else { return nil }
            let intent = try await call { try await stripe.retrievePaymentIntent(intentID) }
            return FinishedCall(record: nil, side: side, reservationID: snapshot.reservation.id, outcome: .unknown(""), changes: [.intent(Self.snapshot(intent))])
        default:
            return nil
        }
    }

    // MARK: Steps that call Stripe

    /// Creates the side's intent (manual capture; the requester's with the transfer to the vendor
    /// and the platform fee), sending exactly what the recovery point holds.
    private func create(_ side: PaymentSide, _ snapshot: PaymentSnapshot, _ record: OperationRecord) async throws -> FinishedCall {
        guard let sent = try? JSONDecoder().decode(PaymentIntentParameters.self, from: Data(record.parametersJSON.utf8)) else {
            throw StoreError(.invalidData, "the recovery point \(record.idempotencyKey) holds no intent parameters")
        }
        crashPoints.reach(side.authOperation, .beforeCall)
        let result = await attempt { try await stripe.createPaymentIntent(sent, idempotencyKey: record.idempotencyKey) }
        crashPoints.reach(side.authOperation, .afterCall)
        let end = Ending(record: record, side: side, reservationID: snapshot.reservation.id)
        switch result {
        case .success(let intent):
            return end(.succeeded(resultJSON: Self.summary(intent)), [.intent(Self.snapshot(intent))])
        case .failure(let error) where Self.isKeptServerError(error):
            // The next try takes a new key (this one replays the 500).
            try await fail(end(.refused(error.description), []), error)
        case .failure(.api(let error)) where !error.isRetryable:
            return end(.refused(error.description), [.createFailed(error.detail.message ?? error.description)])
        case .failure(let error):
            try await fail(end(.unknown(error.description), []), error)
        }
    }

    /// Confirms the side's intent with the payment method its route sent (server-side authorization).
    private func confirm(_ side: PaymentSide, _ snapshot: PaymentSnapshot, _ record: OperationRecord) async throws -> FinishedCall? {
        guard let intentID = snapshot.legs[side]?.intentID,
              let method = (try? JSONDecoder().decode([String: String].self, from: Data(record.parametersJSON.utf8)))?["payment_method"]
        else { return nil }
        crashPoints.reach(side.confirmOperation, .beforeCall)
        let result = await attempt {
            try await stripe.confirmPaymentIntent(intentID, paymentMethod: method, idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.confirmOperation, .afterCall)
        let end = Ending(record: record, side: side, reservationID: snapshot.reservation.id)
        switch result {
        case .success(let intent):
            return end(.succeeded(resultJSON: Self.summary(intent)), [.confirmStarted(method), .intent(Self.snapshot(intent))])
        case .failure(let error) where Self.isKeptServerError(error):
            // Whether it was confirmed is learnt by fetching the intent; a confirm still needed
            // then takes a new key.
            try await fail(end(.refused(error.description), [.uncertain]), error)
        case .failure(.api(let error)) where !error.isRetryable:
            var changes: [PaymentLegStore.Change] = [.confirmStarted(method)]
            if let intent = error.paymentIntent {
                var seen = Self.snapshot(intent)
                if error.isCardError, seen.declineCode == nil {
                    seen.declineCode = error.detail.declineCode ?? error.detail.code ?? "card_declined"
                    seen.declineMessage = error.detail.message
                }
                changes.append(.intent(seen))
            } else {
                changes.append(.uncertain)
            }
            return end(.refused(error.description), changes)
        case .failure(let error):
            try await fail(end(.unknown(error.description), []), error)
        }
    }

    /// Captures the side's authorization, tagging the intent with the booking's id; every
    /// attempt was counted when its recovery point was opened.
    private func capture(_ side: PaymentSide, _ snapshot: PaymentSnapshot, _ record: OperationRecord) async throws -> FinishedCall? {
        guard let leg = snapshot.legs[side], let intentID = leg.intentID else { return nil }
        let sent = (try? JSONDecoder().decode([String: [String: String]].self, from: Data(record.parametersJSON.utf8)))?["metadata"]
            ?? [:]
        let attempts = leg.captureAttempts + 1
        crashPoints.reach(side.captureOperation, .beforeCall)
        let result = await attempt {
            try await stripe.capturePaymentIntent(intentID, metadata: sent, idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.captureOperation, .afterCall)
        let end = Ending(record: record, side: side, reservationID: snapshot.reservation.id)
        let final = attempts >= PaymentPlan.maxCaptureAttempts
        switch result {
        case .success(let intent):
            return end(.succeeded(resultJSON: Self.summary(intent)), [.intent(Self.snapshot(intent))])
        case .failure(let error) where Self.isKeptServerError(error):
            // A 500 Stripe keeps under the key: the intent is fetched before the next attempt,
            // which (if still needed) takes a new key.
            let ended = end(.refused(error.description), [.captureFailed(error.description, final: final)])
            if final { return ended }
            try await fail(ended, error)
        case .failure(.api(let error)) where !error.isRetryable:
            var changes: [PaymentLegStore.Change] = [.captureFailed(error.description, final: true)]
            if let intent = error.paymentIntent { changes.append(.intent(Self.snapshot(intent))) }
            logger.warning("capture refused", metadata: ["reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)", "error": "\(error)"])
            return end(.refused(error.description), changes)
        case .failure(let error):
            logger.warning("capture failed", metadata: [
                "reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)", "attempt": "\(attempts)",
                "error": "\(error)",
            ])
            // The next turn (after the backoff) fetches the intent first: a capture that went
            // through without an answer is found, not repeated.
            let ended = end(.unknown(error.description), [.captureFailed(error.description, final: final)])
            if final { return ended }
            try await fail(ended, error)
        }
    }

    /// Cancels an uncaptured authorization (compensation). An intent that can no longer be
    /// canceled says why in Stripe's error (it was captured, or is already canceled): the plan
    /// then refunds it or is done.
    private func release(_ side: PaymentSide, _ snapshot: PaymentSnapshot, _ record: OperationRecord) async throws -> FinishedCall? {
        guard let intentID = snapshot.legs[side]?.intentID else { return nil }
        crashPoints.reach(side.cancelOperation, .beforeCall)
        let result = await attempt {
            try await stripe.cancelPaymentIntent(intentID, reason: "abandoned", idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.cancelOperation, .afterCall)
        let end = Ending(record: record, side: side, reservationID: snapshot.reservation.id)
        switch result {
        case .success(let intent):
            logger.info("authorization released", metadata: ["reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)"])
            BookijiMetrics.compensated(.release)
            return end(.succeeded(resultJSON: Self.summary(intent)), [.intent(Self.snapshot(intent))])
        case .failure(.api(let error)) where !error.isRetryable && error.paymentIntent != nil:
            return end(.refused(error.description), [.intent(Self.snapshot(error.paymentIntent!))])
        case .failure(let error):
            try await fail(end(Self.isKeptServerError(error) ? .refused(error.description) : .unknown(error.description), [.uncertain]), error)
        }
    }

    /// Refunds a captured payment (compensation after a half-failed commit).
    private func refund(_ side: PaymentSide, _ snapshot: PaymentSnapshot, _ record: OperationRecord) async throws -> FinishedCall? {
        guard let intentID = snapshot.legs[side]?.intentID else { return nil }
        let metadata = ["reservation_id": snapshot.reservation.id, "reason": snapshot.reservation.failureReason ?? "compensation"]
        crashPoints.reach(side.refundOperation, .beforeCall)
        let result = await attempt {
            try await stripe.createRefund(paymentIntent: intentID, metadata: metadata, idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.refundOperation, .afterCall)
        let end = Ending(record: record, side: side, reservationID: snapshot.reservation.id)
        switch result {
        case .success(let refund):
            logger.info("payment refunded", metadata: ["reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)"])
            BookijiMetrics.compensated(.refund)
            return end(.succeeded(resultJSON: try Self.json(["id": refund.id, "status": refund.status])), [.refunded(refund.id)])
        case .failure(.api(let error)) where error.detail.code == "charge_already_refunded":
            let refunds = try await call { try await stripe.listRefunds(paymentIntent: intentID) }
            guard let first = refunds.first else { throw error }
            return end(.succeeded(resultJSON: try Self.json(["id": first.id, "status": first.status])), [.refunded(first.id)])
        case .failure(let error):
            try await fail(end(Self.isKeptServerError(error) ? .refused(error.description) : .unknown(error.description), [.uncertain]), error)
        }
    }

    // MARK: Recovery points

    /// Builds a call's ending from its outcome and leg changes.
    private struct Ending {
        let record: OperationRecord
        let side: PaymentSide
        let reservationID: String

        func callAsFunction(_ outcome: CallOutcome, _ changes: [PaymentLegStore.Change]) -> FinishedCall {
            FinishedCall(record: record, side: side, reservationID: reservationID, outcome: outcome, changes: changes)
        }
    }

    /// Records a call that ended without a definite result, then ends the row's turn with its
    /// error, so the dispatcher runs the row again after its backoff.
    private func fail(_ finished: FinishedCall, _ error: StripeCallError) async throws -> Never {
        let now = Self.now()
        try await flow { try $0.record(finished, now: now) }
        throw error
    }

    private func flow<T: Sendable>(_ body: @escaping @Sendable (PaymentFlow) throws -> T) async throws -> T {
        try await pool.run { session in try body(PaymentFlow(database: Database(session: session))) }
    }

    private func attempt<T: Sendable>(_ body: () async throws -> T) async -> Result<T, StripeCallError> {
        do {
            return .success(try await body())
        } catch let error as StripeCallError {
            return .failure(error)
        } catch {
            return .failure(.transport(String(describing: error)))
        }
    }

    private func call<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await attempt(body).get()
    }

    /// A 5xx that Stripe says not to retry (`Stripe-Should-Retry: false`): Stripe keeps that
    /// answer under the idempotency key, so repeating the key would only replay it. The call is
    /// closed as refused; the intent is fetched to learn what happened, and a call still needed
    /// takes the next attempt's key.
    static func isKeptServerError(_ error: StripeCallError) -> Bool {
        if case .api(let api) = error, api.status >= 500, !api.isRetryable { return true }
        return false
    }

    // MARK: Conversions

    static func snapshot(_ intent: StripePaymentIntent) -> PaymentIntentSnapshot {
        PaymentIntentSnapshot(
            id: intent.id, status: PaymentIntentStatus(rawValue: intent.status) ?? .processing, clientSecret: intent.clientSecret,
            latestCharge: intent.latestCharge,
            declineCode: intent.lastPaymentError.flatMap { $0.declineCode ?? $0.code },
            declineMessage: intent.lastPaymentError?.message)
    }

    /// What a recovery point keeps of an intent: enough to audit, nothing secret.
    static func summary(_ intent: StripePaymentIntent) -> String {
        (try? json(["id": intent.id, "status": intent.status, "amount": String(intent.amount), "currency": intent.currency]))
            ?? "{}"
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

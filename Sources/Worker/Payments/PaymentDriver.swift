import BookijiCore
import Coordinator
import Foundation
import Integrations
import Logging
import Store

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
        // Bounded, so a step that keeps deciding the same thing cannot spin; the next signal or
        // reconciliation picks it up.
        for _ in 0..<24 {
            guard let snapshot = try await flow({ try $0.snapshot(reservationID: reservationID) }) else { return }
            switch snapshot.step {
            case .wait:
                return
            case .done:
                let settled = try await flow { try $0.settle(reservationID: reservationID, now: Self.now()) }
                if settled.compensationAnnounced || settled.abandonedCalls > 0 {
                    logger.info("payments settled", metadata: [
                        "reservation": "\(reservationID)", "state": "\(snapshot.reservation.state.rawValue)",
                        "abandonedCalls": "\(settled.abandonedCalls)", "compensated": "\(settled.compensationAnnounced)",
                    ])
                }
                return
            default:
                try await perform(snapshot)
            }
        }
        logger.warning("payment steps did not settle in one turn", metadata: ["reservation": "\(reservationID)"])
    }

    private func perform(_ snapshot: PaymentSnapshot) async throws {
        let reservation = snapshot.reservation, now = Self.now()
        logger.debug("payment step", metadata: ["reservation": "\(reservation.id)", "step": "\(snapshot.step)"])
        switch snapshot.step {
        case .wait, .done:
            return
        case .awaitAuthorization, .authorized, .authorizationFailed, .beginCommit, .commit, .commitFailed:
            let step = snapshot.step, state = reservation.state
            _ = try await flow { try $0.move(step, reservationID: reservation.id, expecting: state, now: now) }
            if case .commit = step { logger.info("reservation committed", metadata: ["reservation": "\(reservation.id)"]) }
        case .create(let side):
            try await create(side, snapshot)
        case .confirm(let side, let paymentMethod):
            try await confirm(side, paymentMethod: paymentMethod, snapshot)
        case .capture(let side):
            try await capture(side, snapshot)
        case .release(let side):
            try await release(side, snapshot)
        case .refund(let side):
            try await refund(side, snapshot)
        case .refresh(let side):
            guard let intentID = snapshot.legs[side]?.intentID else { return }
            let intent = try await call { try await stripe.retrievePaymentIntent(intentID) }
            let id = reservation.id
            try await flow { try $0.record([.intent(Self.snapshot(intent))], side: side, reservationID: id, now: Self.now()) }
        }
    }

    // MARK: Steps that call Stripe

    /// Creates the side's intent: manual capture; the requester's with the transfer to the
    /// vendor and the platform fee. Never confirmed at creation, even when a payment method is
    /// waiting: an intent whose creation answer was lost and is created again under a new key
    /// then holds no money, whatever happened to the first.
    private func create(_ side: PaymentSide, _ snapshot: PaymentSnapshot) async throws {
        let reservation = snapshot.reservation
        guard let price = reservation.price else { return }
        let parameters = PaymentIntentParameters(
            amount: price.amount(for: side), currency: price.currency, captureMethod: "manual",
            metadata: ["reservation_id": reservation.id, "partner_id": reservation.partnerID, "attempt": "1", "side": side.rawValue],
            transferDestination: side == .requester ? price.vendorStripeAccount : nil,
            applicationFeeAmount: side == .requester && price.platformFee > 0 ? price.platformFee : nil,
            paymentMethod: nil, confirm: false,
            description: side == .vendor ? "Bookiji deposit for reservation \(reservation.id)" : "Bookiji reservation \(reservation.id)")
        guard let record = try await begin(
            side.authOperation, side, snapshot, parameters: try Self.json(parameters), changes: [.createStarted])
        else { return }
        // A resumed creation sends exactly what the first one did.
        let sent = (try? JSONDecoder().decode(PaymentIntentParameters.self, from: Data(record.parametersJSON.utf8))) ?? parameters
        crashPoints.reach(side.authOperation, .beforeCall)
        let result = await attempt { try await stripe.createPaymentIntent(sent, idempotencyKey: record.idempotencyKey) }
        crashPoints.reach(side.authOperation, .afterCall)
        switch result {
        case .success(let intent):
            try await finish(record, side, .succeeded(resultJSON: Self.summary(intent)), [.intent(Self.snapshot(intent))])
        case .failure(let error) where Self.isKeptServerError(error):
            // The next try takes a new key (this one replays the 500).
            try await finish(record, side, .refused(error.description), [])
            throw error
        case .failure(.api(let error)) where !error.isRetryable:
            try await finish(record, side, .refused(error.description), [.createFailed(error.detail.message ?? error.description)])
        case .failure(let error):
            try await finish(record, side, .unknown(error.description), [])
            throw error
        }
    }

    /// Confirms the side's intent with the payment method its route sent (server-side authorization).
    private func confirm(_ side: PaymentSide, paymentMethod: String, _ snapshot: PaymentSnapshot) async throws {
        guard let intentID = snapshot.legs[side]?.intentID,
              let record = try await begin(
                side.confirmOperation, side, snapshot, parameters: try Self.json(["payment_method": paymentMethod]))
        else { return }
        let method = (try? JSONDecoder().decode([String: String].self, from: Data(record.parametersJSON.utf8)))?["payment_method"]
            ?? paymentMethod
        crashPoints.reach(side.confirmOperation, .beforeCall)
        let result = await attempt {
            try await stripe.confirmPaymentIntent(intentID, paymentMethod: method, idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.confirmOperation, .afterCall)
        switch result {
        case .success(let intent):
            try await finish(record, side, .succeeded(resultJSON: Self.summary(intent)), [.confirmStarted(method), .intent(Self.snapshot(intent))])
        case .failure(let error) where Self.isKeptServerError(error):
            // Whether it was confirmed is learnt by fetching the intent; a confirm still needed
            // then takes a new key.
            try await finish(record, side, .refused(error.description), [.uncertain])
            throw error
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
            try await finish(record, side, .refused(error.description), changes)
        case .failure(let error):
            try await finish(record, side, .unknown(error.description), [])
            throw error
        }
    }

    /// Captures the side's authorization, tagging the intent with the booking's id; every
    /// attempt is counted before it is made.
    private func capture(_ side: PaymentSide, _ snapshot: PaymentSnapshot) async throws {
        let metadata = snapshot.reservation.bookingID.map { ["booking_id": $0] } ?? [:]
        guard let leg = snapshot.legs[side], let intentID = leg.intentID,
              let record = try await begin(
                side.captureOperation, side, snapshot, parameters: try Self.json(["metadata": metadata]), changes: [.captureStarted])
        else { return }
        let sent = (try? JSONDecoder().decode([String: [String: String]].self, from: Data(record.parametersJSON.utf8)))?["metadata"]
            ?? metadata
        let attempts = leg.captureAttempts + 1
        crashPoints.reach(side.captureOperation, .beforeCall)
        let result = await attempt {
            try await stripe.capturePaymentIntent(intentID, metadata: sent, idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.captureOperation, .afterCall)
        switch result {
        case .success(let intent):
            try await finish(record, side, .succeeded(resultJSON: Self.summary(intent)), [.intent(Self.snapshot(intent))])
        case .failure(let error) where Self.isKeptServerError(error):
            // A 500 Stripe keeps under the key: the intent is fetched before the next attempt,
            // which (if still needed) takes a new key.
            let final = attempts >= PaymentPlan.maxCaptureAttempts
            try await finish(record, side, .refused(error.description), [.captureFailed(error.description, final: final)])
            if !final { throw error }
        case .failure(.api(let error)) where !error.isRetryable:
            var changes: [PaymentLegStore.Change] = [.captureFailed(error.description, final: true)]
            if let intent = error.paymentIntent { changes.append(.intent(Self.snapshot(intent))) }
            try await finish(record, side, .refused(error.description), changes)
            logger.warning("capture refused", metadata: ["reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)", "error": "\(error)"])
        case .failure(let error):
            let final = attempts >= PaymentPlan.maxCaptureAttempts
            try await finish(record, side, .unknown(error.description), [.captureFailed(error.description, final: final)])
            logger.warning("capture failed", metadata: [
                "reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)", "attempt": "\(attempts)",
                "error": "\(error)",
            ])
            // The next turn (after the backoff) fetches the intent first: a capture that went
            // through without an answer is found, not repeated.
            if !final { throw error }
        }
    }

    /// Cancels an uncaptured authorization (compensation). An intent that can no longer be
    /// canceled says why in Stripe's error (it was captured, or is already canceled): the plan
    /// then refunds it or is done.
    private func release(_ side: PaymentSide, _ snapshot: PaymentSnapshot) async throws {
        guard let intentID = snapshot.legs[side]?.intentID,
              let record = try await begin(
                side.cancelOperation, side, snapshot, parameters: try Self.json(["cancellation_reason": "abandoned"]))
        else { return }
        crashPoints.reach(side.cancelOperation, .beforeCall)
        let result = await attempt {
            try await stripe.cancelPaymentIntent(intentID, reason: "abandoned", idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.cancelOperation, .afterCall)
        switch result {
        case .success(let intent):
            try await finish(record, side, .succeeded(resultJSON: Self.summary(intent)), [.intent(Self.snapshot(intent))])
            logger.info("authorization released", metadata: ["reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)"])
        case .failure(.api(let error)) where !error.isRetryable && error.paymentIntent != nil:
            try await finish(record, side, .refused(error.description), [.intent(Self.snapshot(error.paymentIntent!))])
        case .failure(let error) where Self.isKeptServerError(error):
            try await finish(record, side, .refused(error.description), [.uncertain])
            throw error
        case .failure(let error):
            try await finish(record, side, .unknown(error.description), [.uncertain])
            throw error
        }
    }

    /// Refunds a captured payment (compensation after a half-failed commit).
    private func refund(_ side: PaymentSide, _ snapshot: PaymentSnapshot) async throws {
        guard let intentID = snapshot.legs[side]?.intentID,
              let record = try await begin(side.refundOperation, side, snapshot, parameters: try Self.json(["payment_intent": intentID]))
        else { return }
        let metadata = ["reservation_id": snapshot.reservation.id, "reason": snapshot.reservation.failureReason ?? "compensation"]
        crashPoints.reach(side.refundOperation, .beforeCall)
        let result = await attempt {
            try await stripe.createRefund(paymentIntent: intentID, metadata: metadata, idempotencyKey: record.idempotencyKey)
        }
        crashPoints.reach(side.refundOperation, .afterCall)
        switch result {
        case .success(let refund):
            try await finish(record, side, .succeeded(resultJSON: try Self.json(["id": refund.id, "status": refund.status] as [String: String])), [.refunded(refund.id)])
            logger.info("payment refunded", metadata: ["reservation": "\(snapshot.reservation.id)", "side": "\(side.rawValue)"])
        case .failure(.api(let error)) where error.detail.code == "charge_already_refunded":
            let refunds = try await call { try await stripe.listRefunds(paymentIntent: intentID) }
            guard let first = refunds.first else { throw error }
            try await finish(record, side, .succeeded(resultJSON: try Self.json(["id": first.id, "status": first.status] as [String: String])), [.refunded(first.id)])
        case .failure(let error) where Self.isKeptServerError(error):
            try await finish(record, side, .refused(error.description), [.uncertain])
            throw error
        case .failure(let error):
            try await finish(record, side, .unknown(error.description), [.uncertain])
            throw error
        }
    }

    // MARK: Recovery points

    private func begin(
        _ operation: ExternalOperation, _ side: PaymentSide, _ snapshot: PaymentSnapshot, parameters: String,
        changes: [PaymentLegStore.Change] = []
    ) async throws -> OperationRecord? {
        let id = snapshot.reservation.id, state = snapshot.reservation.state, now = Self.now()
        return try await flow {
            try $0.begin(operation, side: side, reservationID: id, expecting: state, parametersJSON: parameters, changes: changes, now: now)
        }
    }

    private func finish(
        _ record: OperationRecord, _ side: PaymentSide, _ outcome: CallOutcome, _ changes: [PaymentLegStore.Change]
    ) async throws {
        let now = Self.now()
        try await flow { try $0.finish(record, side: side, outcome: outcome, changes: changes, now: now) }
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

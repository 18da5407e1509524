import Availability
import BookijiCore
import Store

/// What a partner asks for when it places a hold.
public struct HoldRequest: Sendable {
    public var vendorID: String
    public var slot: UTCInterval
    public var requesterID: String
    public var metadataJSON: String
    public var idempotencyKey: String?

    public init(vendorID: String, slot: UTCInterval, requesterID: String, metadataJSON: String = "{}", idempotencyKey: String? = nil) {
        self.vendorID = vendorID
        self.slot = slot
        self.requesterID = requesterID
        self.metadataJSON = metadataJSON
        self.idempotencyKey = idempotencyKey
    }
}

/// The reservation use cases: hold, read, list, cancel, vendor confirm/decline, expire.
///
/// Each runs in one transaction of its own on the caller's ``Database``; `now` is the caller's
/// clock (tests pass their own). Expiry is lazy as well as swept: any use case that touches a
/// reservation past its deadline first records where its deadline took it (``ReservationState/timeoutState``),
/// so a hold stops counting at its deadline whether or not a worker has swept.
public struct ReservationCoordinator {
    let database: Database
    /// Off only in tests that prove the exclusion constraint holds by itself.
    let advisoryLocks: Bool

    public init(database: Database, advisoryLocks: Bool = true) {
        self.database = database
        self.advisoryLocks = advisoryLocks
    }

    /// The longest slot one reservation may cover.
    public static let maximumSlotSeconds: Int64 = 24 * 3600

    /// Places a hold: checks the partner's limits, locks the slot's granules, expires stale
    /// overlapping holds, revalidates the slot against current availability, then in the same
    /// transaction writes it HELD → AWAITING_VENDOR_CONFIRMATION (both transitions logged) with
    /// the vendor notification queued in the outbox.
    public func hold(partnerID: String, _ request: HoldRequest, now: Int64) throws -> ReservationRecord {
        try hold(partnerID: partnerID, request, now: now, beforeCommit: { _, _ in })
    }

    func hold(
        partnerID: String, _ request: HoldRequest, now: Int64, beforeCommit: (Session, ReservationRecord) throws -> Void
    ) throws -> ReservationRecord {
        guard request.slot.end > request.slot.start else {
            throw BookijiError(.invalidParameter, "slotEndTime must be after slotStartTime", details: ["field": "slotEndTime"])
        }
        guard request.slot.duration <= Self.maximumSlotSeconds else {
            throw BookijiError(.invalidParameter, "a reservation may cover at most 24 hours", details: ["field": "slotEndTime"])
        }
        // Four round trips in the common case: limits and locks, what occupies the vendor's
        // time, every write of the hold, and COMMIT (plus BEGIN). Two inserts that conflict
        // through the exclusion constraint can deadlock when they race without the advisory
        // locks; the database aborts one, and running it again gives the loser its real answer
        // (usually 409, now that the winner is visible).
        return try database.transaction(attempts: 3) { conn in
            // Keys from the id as PostgreSQL prints it, so any spelling of one vendor's id
            // takes the same locks.
            let lockKeys = advisoryLocks ? SlotLocks.keys(vendorID: request.vendorID.lowercased(), slot: request.slot) : []
            try checkLimits(partnerID: partnerID, now: now, thenLocking: lockKeys, conn: conn)
            guard let inputs = try AvailabilityService.inputs(of: request.vendorID, around: request.slot, now: now, on: conn) else {
                throw BookijiError(.vendorNotFound, "no vendor with id '\(request.vendorID)'", details: ["vendorId": request.vendorID])
            }
            let reservations = ReservationStore(conn)
            // Holds past their deadline no longer block, but the exclusion constraint sees
            // them until their timeout is recorded.
            if inputs.stale.contains(where: { $0.interval.overlaps(request.slot) }) {
                try reservations.expireStale(now: now, vendorID: inputs.vendor.id, overlapping: request.slot)
            }
            if let reasons = try AvailabilityService.unavailability(of: request.slot, inputs: inputs, now: now) {
                throw Self.slotUnavailable(reasons)
            }
            // The notification row and the vendor's new revision commit with the hold; the
            // worker sends the notification.
            let awaiting: ReservationRecord
            do {
                awaiting = try reservations.insertAwaitingConfirmation(ReservationStore.NewReservation(
                    partnerID: partnerID, vendorID: inputs.vendor.id, requesterID: request.requesterID, slot: request.slot,
                    metadataJSON: request.metadataJSON, idempotencyKey: request.idempotencyKey),
                    now: now, notificationReason: "vendor notification queued", notificationTopic: "vendor.confirmation_requested")
            } catch let error as StoreError where error.code == .exclusionViolation {
                // A path without the locks raced us; the constraint kept capacity 1.
                throw Self.slotUnavailable([SlotReason(code: "reserved", message: "Already held or booked through Bookiji.")])
            } catch let error as StoreError where error.code == .notBookable {
                throw BookijiError(
                    .vendorNotBookable,
                    "vendor \(inputs.vendor.id) cannot be booked yet: it has no payment settings (Stripe account, currency, price, deposit); the operator sets them with `bookiji vendor payments set`",
                    details: ["vendorId": .text(inputs.vendor.id), "missing": ["stripeAccount", "currency", "price", "deposit"]])
            }
            try beforeCommit(conn, awaiting)
            return awaiting
        }
    }

    static func slotUnavailable(_ reasons: [SlotReason]) -> BookijiError {
        BookijiError(
            .slotUnavailable,
            "the slot is not available: " + reasons.map { "\($0.code) (\($0.message))" }.joined(separator: "; "),
            details: ["reasons": .list(reasons.map(\.code))])
    }

    /// Refuses a partner over its hourly limit or at its cap of active holds, then takes the
    /// slot's advisory locks (`lockKeys`) in the same statement.
    private func checkLimits(partnerID: String, now: Int64, thenLocking lockKeys: [Int64], conn: Session) throws {
        let partners = PartnerStore(conn)
        guard var (limits, usage) = try partners.limitsAndUsage(id: partnerID, now: now, thenLocking: lockKeys) else {
            throw BookijiError(.unauthorized, "unknown partner")
        }
        if usage.createdLastHour >= limits.reservationsPerHour {
            let frees = try partners.countedWindowFrees(id: partnerID, now: now) ?? now + 60
            let retryAfter = max(1, Int(frees - now))
            throw BookijiError(
                .rateLimited,
                "this partner may create \(limits.reservationsPerHour) reservations per hour; retry after \(retryAfter) s",
                details: ["limit": .number(limits.reservationsPerHour)], retryAfter: retryAfter)
        }
        if usage.activeHolds >= limits.maxActiveHolds,
           try !ReservationStore(conn).expireStale(now: now, partnerID: partnerID).isEmpty,
           let recounted = try partners.limitsAndUsage(id: partnerID, now: now, thenLocking: []) {
            // The counter included holds past their deadline that nobody had expired yet; they
            // no longer count, so they were recorded as EXPIRED and the holds counted again.
            (limits, usage) = recounted
        }
        if usage.activeHolds >= limits.maxActiveHolds {
            throw BookijiError(
                .holdCapReached,
                "this partner already has \(usage.activeHolds) active holds, the maximum is \(limits.maxActiveHolds); let some complete, expire or cancel them",
                details: ["limit": .number(limits.maxActiveHolds)], retryAfter: 60)
        }
    }

    /// A reservation with its transition history, as the partner that made it sees it.
    public func find(id: String, partnerID: String, now: Int64) throws -> (ReservationRecord, [TransitionRecord], PaymentLegs) {
        try find(id: id, owner: { $0.partnerID == partnerID }, now: now)
    }

    /// A reservation of the vendor's, as the vendor sees it.
    public func findForVendor(id: String, vendorID: String, now: Int64) throws -> (ReservationRecord, [TransitionRecord], PaymentLegs) {
        try find(id: id, owner: { $0.vendorID == vendorID }, now: now)
    }

    private func find(
        id: String, owner: (ReservationRecord) -> Bool, now: Int64
    ) throws -> (ReservationRecord, [TransitionRecord], PaymentLegs) {
        guard var record = try database.read({ try ReservationStore($0).find(id: id) }), owner(record) else {
            throw Self.notFound(id)
        }
        if record.state.isActive, let deadline = record.deadline, deadline <= now {
            record = try database.transaction { conn in
                try lockAndExpire(id: id, now: now, conn: conn) ?? record
            }
        }
        return try database.read { session in
            (record, try ReservationStore(session).history(id: id), try PaymentLegStore(session).legs(reservationID: id))
        }
    }

    /// A page of the partner's reservations (newest first) after lazily expiring its stale ones.
    public func list(
        partnerID: String, vendorID: String?, state: ReservationState?, after cursor: (createdAt: String, id: String)?,
        limit: Int, now: Int64
    ) throws -> [ReservationRecord] {
        try database.readPreferringReplicaUnlessStale(state: state, now: now, { conn in
            try ReservationStore(conn).list(partnerID: partnerID, vendorID: vendorID, state: state, after: cursor, limit: limit)
        }, onPrimary: { conn in
            let store = ReservationStore(conn)
            try store.expireStale(now: now, partnerID: partnerID)
            return try store.list(partnerID: partnerID, vendorID: vendorID, state: state, after: cursor, limit: limit)
        })
    }

    /// The partner cancels its reservation, with the text it gives as `reason` (checked by the
    /// caller against ``ReservationCancellation/noteLimit``).
    public func cancel(id: String, partnerID: String, note: String? = nil, now: Int64) throws -> ReservationRecord {
        try change(id: id, now: now, requested: .cancelled, owner: { $0.partnerID == partnerID }) { record, conn in
            // Once the captures have begun, the commit decides: it ends COMMITTED or compensates.
            guard record.state != .commitInProgress else {
                throw BookijiError(
                    .invalidTransition,
                    "the reservation is COMMIT_IN_PROGRESS: its payments are being captured, and it ends COMMITTED or FAILED_COMMIT (with refunds) within seconds",
                    details: ["currentState": record.state.rawValue, "requestedState": ReservationState.cancelled.rawValue])
            }
            try VendorStore(conn).bumpRevision(id: record.vendorID)
            return .done(try ReservationStore(conn).move(
                record, to: .cancelled, trigger: .partner, reason: "cancelled by partner", now: now, failureReason: "cancelled by partner",
                cancellation: ReservationCancellation(.partner, note: note)))
        }
    }

    /// The vendor confirms: the slot is revalidated (ignoring this reservation's own hold) and
    /// the deadline extended by 30 minutes. If the slot is gone, the reservation is cancelled.
    public func confirmByVendor(id: String, vendorID: String, now: Int64) throws -> ReservationRecord {
        try change(id: id, now: now, requested: .confirmedByVendor, owner: { $0.vendorID == vendorID }) { record, conn in
            guard record.state.canTransition(to: .confirmedByVendor) else {
                throw Self.invalidTransition(record.state, .confirmedByVendor)
            }
            guard let inputs = try AvailabilityService.inputs(of: vendorID, around: record.slot, now: now, on: conn) else {
                throw Self.notFound(id)
            }
            if let reasons = try AvailabilityService.unavailability(
                of: record.slot, inputs: inputs, excluding: record.id, now: now) {
                let reason = "slot no longer available: " + reasons.map(\.code).joined(separator: ",")
                try VendorStore(conn).bumpRevision(id: vendorID)
                try ReservationStore(conn).move(
                    record, to: .cancelled, trigger: .system, reason: reason, now: now, failureReason: reason,
                    cancellation: ReservationCancellation(.slotUnavailable))
                return .fail(Self.slotUnavailable(reasons))
            }
            // The deposit's authorization is asked for at once; the worker creates its intent.
            let store = ReservationStore(conn)
            let confirmed = try store.move(
                record, to: .confirmedByVendor, trigger: .vendor, reason: "confirmed by vendor", now: now, signalPayments: false)
            return .done(try store.move(
                confirmed, to: .awaitingVendorAuth, trigger: .system, reason: "vendor deposit authorization requested", now: now))
        }
    }

    /// The vendor declines: the reservation fails (CANCELLED by the vendor) and frees the slot.
    public func declineByVendor(id: String, vendorID: String, note: String? = nil, now: Int64) throws -> ReservationRecord {
        try change(id: id, now: now, requested: .cancelled, owner: { $0.vendorID == vendorID }) { record, conn in
            guard record.state == .awaitingVendorConfirmation || record.state == .held else {
                throw Self.invalidTransition(record.state, .cancelled)
            }
            try VendorStore(conn).bumpRevision(id: vendorID)
            return .done(try ReservationStore(conn).move(
                record, to: .cancelled, trigger: .vendor, reason: "declined by vendor", now: now, failureReason: "declined by vendor",
                cancellation: ReservationCancellation(.vendorDeclined, note: note)))
        }
    }

    /// One sweep: records the timeout of every active reservation past its deadline (each move
    /// logged with `triggeredBy: timeout` and announced in the outbox). Idempotent, and safe to
    /// run on several machines at once (rows are claimed with SKIP LOCKED).
    public func expireAll(now: Int64, batch: Int = 1000) throws -> Int {
        var total = 0
        while true {
            let expired = try database.transaction { conn in
                try ReservationStore(conn).expireStale(now: now, limit: batch)
            }
            total += expired.count
            if expired.count < batch { break }
        }
        _ = try database.read { try PartnerStore($0).pruneUsageCounters(now: now) }
        return total
    }

    /// The earliest deadline of any active reservation, or nil when none has one: when the next
    /// sweep has work.
    public func nextDeadline() throws -> Int64? {
        try database.read { try ReservationStore($0).nextDeadline() }
    }

    enum Outcome {
        case done(ReservationRecord)
        /// Commit what was written, then report this error.
        case fail(BookijiError)
    }

    /// Locks the reservation, lazily expires it, checks ownership (another owner's id is
    /// "not found", like an unknown one), applies `body`, and commits before reporting.
    private func change(
        id: String, now: Int64, requested: ReservationState, owner: (ReservationRecord) -> Bool,
        _ body: (ReservationRecord, Session) throws -> Outcome
    ) throws -> ReservationRecord {
        let outcome = try database.transaction { conn -> Outcome in
            guard let locked = try ReservationStore(conn).lock(id: id), owner(locked) else { throw Self.notFound(id) }
            let record = try expireIfPastDeadline(locked, now: now, conn: conn)
            if record.state.isTerminal {
                return .fail(Self.invalidTransition(record.state, requested))
            }
            return try body(record, conn)
        }
        switch outcome {
        case .done(let record): return record
        case .fail(let error): throw error
        }
    }

    private func lockAndExpire(id: String, now: Int64, conn: Session) throws -> ReservationRecord? {
        guard let record = try ReservationStore(conn).lock(id: id) else { return nil }
        return try expireIfPastDeadline(record, now: now, conn: conn)
    }

    /// Lazy expiry: a locked reservation whose deadline has passed is moved where its deadline
    /// takes it (``ReservationState/timeoutState``) now, exactly as the sweep would.
    func expireIfPastDeadline(_ record: ReservationRecord, now: Int64, conn: Session) throws -> ReservationRecord {
        guard let target = record.state.timeoutState, let deadline = record.deadline, deadline <= now else { return record }
        return try ReservationStore(conn).move(
            record, to: target, trigger: .timeout, reason: "deadline passed", now: now,
            failureReason: "deadline of \(record.state.rawValue) passed")
    }

    static func notFound(_ id: String) -> BookijiError {
        BookijiError(.reservationNotFound, "no reservation with id '\(id)'", details: ["reservationId": id])
    }

    static func invalidTransition(_ from: ReservationState, _ to: ReservationState) -> BookijiError {
        BookijiError(
            .invalidTransition,
            "the reservation is \(from.rawValue)\(from.isTerminal ? ", which is final" : ""); it cannot move to \(to.rawValue)",
            details: ["currentState": from.rawValue, "requestedState": to.rawValue])
    }
}

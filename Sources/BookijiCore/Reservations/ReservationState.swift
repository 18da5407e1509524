/// Where a reservation stands in the booking workflow; raw values are the spec's state names,
/// which is also how the state is stored and shown to partners.
///
/// Eight states are terminal (``isTerminal``): `COMMITTED`, the five `FAILED_*`, `EXPIRED` and
/// `CANCELLED`. The other nine are active: they hold the slot and each has a deadline (see
/// ``ReservationTTL``). The allowed moves are in `ReservationState+Transitions.swift`.
public enum ReservationState: String, Sendable, CaseIterable, Codable {
    /// Created but not yet held. The spec's workflow creates reservations directly as `HELD`;
    /// this state still blocks the slot and carries the initial-hold deadline, so a row left in
    /// it can neither double-book nor live forever.
    case intentCreated = "INTENT_CREATED"
    /// Slot held, vendor not yet notified.
    case held = "HELD"
    /// Vendor notified, awaiting their answer.
    case awaitingVendorConfirmation = "AWAITING_VENDOR_CONFIRMATION"
    /// Vendor approved.
    case confirmedByVendor = "CONFIRMED_BY_VENDOR"
    /// Vendor deposit authorization requested.
    case awaitingVendorAuth = "AWAITING_VENDOR_AUTH"
    /// Vendor deposit authorized (not captured).
    case vendorAuthorized = "VENDOR_AUTHORIZED"
    /// Requester payment authorization requested.
    case awaitingRequesterAuth = "AWAITING_REQUESTER_AUTH"
    /// Both payments authorized; the final availability check and commit come next.
    case authorizedBoth = "AUTHORIZED_BOTH"
    /// Captures under way. Leaving this state other than by `COMMITTED` / `FAILED_COMMIT` is
    /// allowed by the table (cancel/expire apply to every active state) but the caller must first
    /// settle any capture that went through, or money is taken for a booking that does not exist.
    case commitInProgress = "COMMIT_IN_PROGRESS"
    /// Booking final, money captured. Terminal, and still occupies the slot.
    case committed = "COMMITTED"
    /// Vendor did not answer in time.
    case failedVendorTimeout = "FAILED_VENDOR_TIMEOUT"
    /// Vendor deposit authorization was declined or errored.
    case failedVendorAuth = "FAILED_VENDOR_AUTH"
    /// Requester payment authorization was declined or errored.
    case failedRequesterAuth = "FAILED_REQUESTER_AUTH"
    /// The mandatory final availability check found the slot taken.
    case failedAvailabilityChanged = "FAILED_AVAILABILITY_CHANGED"
    /// A capture failed; compensation (refund / release) is owed.
    case failedCommit = "FAILED_COMMIT"
    /// A deadline passed.
    case expired = "EXPIRED"
    /// Explicitly cancelled.
    case cancelled = "CANCELLED"

    /// No transition leaves this state.
    public var isTerminal: Bool {
        // Exhaustive on purpose: a new state must be classified here, not defaulted.
        switch self {
        case .intentCreated, .held, .awaitingVendorConfirmation, .confirmedByVendor,
             .awaitingVendorAuth, .vendorAuthorized, .awaitingRequesterAuth, .authorizedBoth,
             .commitInProgress:
            return false
        case .committed, .failedVendorTimeout, .failedVendorAuth, .failedRequesterAuth,
             .failedAvailabilityChanged, .failedCommit, .expired, .cancelled:
            return true
        }
    }

    /// Non-terminal: the reservation is in flight, holds its slot and has a deadline.
    public var isActive: Bool { !isTerminal }

    /// The reservation occupies its slot: every active state, plus `COMMITTED`.
    ///
    /// This is the predicate the database exclusion constraint must cover; generate its SQL from
    /// ``slotBlockingStates`` rather than retyping the list. An active reservation past its
    /// deadline still has a blocking state until it is swept: readers that must free the slot at
    /// the deadline combine this with ``ReservationTTL/isPastDeadline(_:timeline:at:)``.
    public var blocksSlot: Bool { isActive || self == .committed }

    /// Every state for which ``blocksSlot`` is true, in declaration order.
    public static let slotBlockingStates: [ReservationState] = allCases.filter(\.blocksSlot)
}

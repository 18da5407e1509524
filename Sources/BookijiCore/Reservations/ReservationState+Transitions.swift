/// The transition table: the spec's "Valid Transitions" list, where `[ANY]` is read as any
/// active (non-terminal) state, because terminal states never move.
///
/// Failure states are reachable only from the state the spec lists them under:
///
/// | from                           | failure                        |
/// |--------------------------------|--------------------------------|
/// | `AWAITING_VENDOR_CONFIRMATION` | `FAILED_VENDOR_TIMEOUT`        |
/// | `AWAITING_VENDOR_AUTH`         | `FAILED_VENDOR_AUTH`           |
/// | `AWAITING_REQUESTER_AUTH`      | `FAILED_REQUESTER_AUTH`        |
/// | `AUTHORIZED_BOTH`              | `FAILED_AVAILABILITY_CHANGED`  |
/// | `COMMIT_IN_PROGRESS`           | `FAILED_COMMIT`                |
///
/// So a `HELD` reservation whose vendor never answers ends `EXPIRED`, not
/// `FAILED_VENDOR_TIMEOUT`: that failure needs the vendor to have been notified. No state moves
/// to itself, so a repeated request (a retry) is detected as a no-op by the caller, not here.
extension ReservationState {
    /// The states this one may move to, in declaration order; empty for terminal states.
    public var allowedTransitions: [ReservationState] {
        Self.allCases.filter { canTransition(to: $0) }
    }

    /// Whether the table allows moving from this state to `next`.
    public func canTransition(to next: ReservationState) -> Bool {
        guard isActive else { return false }
        return next == .cancelled || next == .expired || forwardMoves.contains(next)
    }

    /// Checks the move against the table.
    ///
    /// - Returns: `next`, so a caller can write `state = try state.transition(to: .held)`.
    /// - Throws: ``ReservationStateError`` with code `invalid_transition` when the table forbids it.
    @discardableResult
    public func transition(to next: ReservationState) throws(ReservationStateError) -> ReservationState {
        guard canTransition(to: next) else {
            throw ReservationStateError(invalidTransitionFrom: self, to: next)
        }
        return next
    }

    /// The listed moves other than the universal `CANCELLED` / `EXPIRED`.
    private var forwardMoves: [ReservationState] {
        switch self {
        case .intentCreated: return [.held]
        case .held: return [.awaitingVendorConfirmation]
        case .awaitingVendorConfirmation: return [.confirmedByVendor, .failedVendorTimeout]
        case .confirmedByVendor: return [.awaitingVendorAuth]
        case .awaitingVendorAuth: return [.vendorAuthorized, .failedVendorAuth]
        case .vendorAuthorized: return [.awaitingRequesterAuth]
        case .awaitingRequesterAuth: return [.authorizedBoth, .failedRequesterAuth]
        case .authorizedBoth: return [.commitInProgress, .failedAvailabilityChanged]
        case .commitInProgress: return [.committed, .failedCommit]
        case .committed, .failedVendorTimeout, .failedVendorAuth, .failedRequesterAuth,
             .failedAvailabilityChanged, .failedCommit, .expired, .cancelled:
            return []
        }
    }
}

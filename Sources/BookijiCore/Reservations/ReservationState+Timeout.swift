extension ReservationState {
    /// Where a reservation goes when its deadline passes in this state (the spec's table):
    /// a vendor that was notified and never answered is `FAILED_VENDOR_TIMEOUT`; every other
    /// stage is `EXPIRED`. Nil for terminal states, which have no deadline.
    public var timeoutState: ReservationState? {
        switch self {
        case .awaitingVendorConfirmation: .failedVendorTimeout
        case _ where isActive: .expired
        default: nil
        }
    }

    /// The outbox topic of the event a move into this state announces, where there is one:
    /// the spec's webhook event names.
    public var eventTopic: String? {
        switch self {
        case .awaitingVendorConfirmation: "reservation.created"
        case .confirmedByVendor: "reservation.vendor_confirmed"
        case .vendorAuthorized: "reservation.vendor_authorized"
        case .authorizedBoth: "reservation.authorized_both"
        case .committed: "reservation.committed"
        case .failedVendorTimeout, .failedVendorAuth, .failedRequesterAuth, .failedAvailabilityChanged, .failedCommit:
            "reservation.failed"
        case .expired: "reservation.expired"
        case .cancelled: "reservation.cancelled"
        case .intentCreated, .held, .awaitingVendorAuth, .awaitingRequesterAuth, .commitInProgress: nil
        }
    }
}

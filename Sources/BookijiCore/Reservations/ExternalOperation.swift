/// A call to the payment provider that must be made at most once per attempt, named as in the
/// spec's idempotency keys (`{operation}-{reservationId}-{attempt}`).
///
/// The release and refund operations are the compensation matrix's actions: a failed step before
/// commit releases (cancels) authorizations; a half-failed commit refunds the capture that went
/// through. No operation's raw value is a prefix of another's followed by `-`, so the operation
/// can be read back from a key unambiguously.
public enum ExternalOperation: String, Sendable, Hashable, CaseIterable, Codable {
    /// Authorize the vendor's deposit (step 4).
    case vendorAuth = "vendor-auth"
    /// Authorize the requester's payment (step 5).
    case requesterAuth = "requester-auth"
    /// Confirm the vendor's intent with the payment method the vendor sent (server-side authorization).
    case vendorConfirm = "vendor-confirm"
    /// Confirm the requester's intent with the payment method the partner sent.
    case requesterConfirm = "requester-confirm"
    /// Capture the vendor's authorization (step 7).
    case vendorCapture = "vendor-capture"
    /// Capture the requester's authorization (step 7).
    case requesterCapture = "requester-capture"
    /// Release the vendor's uncaptured authorization.
    case vendorCancel = "vendor-cancel"
    /// Release the requester's uncaptured authorization.
    case requesterCancel = "requester-cancel"
    /// Refund the vendor's captured deposit (commit failed after it was captured).
    case vendorRefund = "vendor-refund"
    /// Refund the requester's captured payment (commit failed after it was captured).
    case requesterRefund = "requester-refund"

    /// The idempotency key for one attempt of this operation, e.g. `vendor-auth-<id>-1`.
    ///
    /// A retry of the same request reuses its key; a new attempt (after a definite failure) takes
    /// the next number, so the provider treats it as a new request.
    /// - Parameters:
    ///   - reservationID: The reservation's id as stored; must not be empty.
    ///   - attempt: Counts from 1.
    public func idempotencyKey(reservationID: String, attempt: Int) -> String {
        precondition(!reservationID.isEmpty, "idempotency key needs a reservation id")
        precondition(attempt >= 1, "idempotency key attempts count from 1")
        return "\(rawValue)-\(reservationID)-\(attempt)"
    }
}

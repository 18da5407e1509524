/// Who caused a state transition; the spec's `StateTransitionLog.triggeredBy`.
public enum TransitionTrigger: String, Sendable, Hashable, CaseIterable, Codable {
    /// The service itself, e.g. after a successful external call.
    case system
    /// The vendor, e.g. confirming or declining.
    case vendor
    /// The person booking, e.g. authorizing payment.
    case requester
    /// The partner integration, through the Partner API.
    case partner
    /// A deadline passing (the expiry sweep).
    case timeout
}

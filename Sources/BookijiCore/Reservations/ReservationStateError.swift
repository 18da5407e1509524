/// A state change the transition table forbids.
///
/// The message names only state names (no partner data), so it can go to a partner as is.
public struct ReservationStateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal this is; stable strings for the API's error mapping.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The snake_case code as it appears in API errors and logs.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The requested state is not reachable from the current one.
        public static let invalidTransition = Code("invalid_transition")

        public var description: String { rawValue }
    }

    public let code: Code
    /// The state the reservation is in.
    public let from: ReservationState
    /// The state that was requested.
    public let to: ReservationState
    /// What went wrong and what is allowed instead.
    public let message: String

    init(invalidTransitionFrom from: ReservationState, to: ReservationState) {
        self.code = .invalidTransition
        self.from = from
        self.to = to
        let why: String
        if from.isTerminal {
            why = "\(from.rawValue) is final"
        } else {
            let allowed = from.allowedTransitions.map(\.rawValue).joined(separator: ", ")
            why = "from \(from.rawValue) it may move to \(allowed)"
        }
        self.message = "cannot move a reservation from \(from.rawValue) to \(to.rawValue) (\(why))"
    }

    public var description: String { "\(code): \(message)" }
}

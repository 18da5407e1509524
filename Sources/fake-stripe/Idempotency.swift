/// Stripe's idempotent requests: a key replays the first answer for the same parameters, refuses
/// other parameters, and refuses a second request while the first is still running.
struct IdempotencyStore: Sendable {
    /// Stripe prunes keys after 24 hours.
    static let retention = 24 * 3600

    enum Decision: Sendable, Equatable {
        case proceed
        case replay(APIResponse)
        case reject(StripeError)
    }

    private struct Entry: Sendable {
        var fingerprint: String
        var created: Int
        var response: APIResponse?
    }

    private var entries: [String: Entry] = [:]

    init() {}

    /// Decides what a request under `key` does; on `.proceed` the key is held until
    /// ``finish(_:with:)`` or ``release(_:)``.
    /// - Parameter fingerprint: the method, path and parameters, so that a key reused for another
    ///   request is caught.
    mutating func begin(_ key: String, fingerprint: String, now: Int) -> Decision {
        entries = entries.filter { now - $0.value.created < Self.retention }
        guard let entry = entries[key] else {
            entries[key] = Entry(fingerprint: fingerprint, created: now)
            return .proceed
        }
        guard entry.fingerprint == fingerprint else {
            return .reject(
                StripeError(
                    type: "idempotency_error", status: 400,
                    message: "Keys for idempotent requests can only be used with the same parameters they were first "
                        + "used with. Try using a key other than '\(key)' if you meant to execute a different request."))
        }
        guard var response = entry.response else {
            var error = StripeError.invalidRequest(
                code: "idempotency_key_in_use",
                message: "There is currently another in-progress request using this Idempotent Key (that probably "
                    + "means you submitted twice, and the other request is still going through): \(key). Please try "
                    + "again later.",
                status: 409)
            error.shouldRetry = true
            return .reject(error)
        }
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Original-Request"] = key
        return .replay(response)
    }

    /// Stores the answer that later requests with `key` replay.
    mutating func finish(_ key: String, with response: APIResponse) {
        entries[key]?.response = response
    }

    /// Forgets a key whose request never executed (Stripe saves nothing for those), so that a retry runs.
    mutating func release(_ key: String) {
        if entries[key]?.response == nil { entries[key] = nil }
    }
}

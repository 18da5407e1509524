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
    /// Keys in the order they were stored, oldest first, for pruning without a scan: a request
    /// drops only the keys that have expired since the last one. A key released and used again
    /// is listed twice; the stale record is skipped when its entry is not yet expired.
    private var order: [(created: Int, key: String)] = []
    /// Where `order` starts; the prefix before it is dropped in batches.
    private var head = 0

    init() {}

    /// Decides what a request under `key` does; on `.proceed` the key is held until
    /// ``finish(_:with:)`` or ``release(_:)``.
    /// - Parameter fingerprint: the method, path and parameters, so that a key reused for another
    ///   request is caught.
    mutating func begin(_ key: String, fingerprint: String, now: Int) -> Decision {
        prune(now: now)
        guard let entry = entries[key], !Self.expired(entry, now: now) else {
            entries[key] = Entry(fingerprint: fingerprint, created: now)
            order.append((now, key))
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

    private static func expired(_ entry: Entry, now: Int) -> Bool { now - entry.created >= retention }

    /// Forgets the keys older than ``retention``, oldest first, stopping at the first one that is not.
    private mutating func prune(now: Int) {
        while head < order.count, now - order[head].created >= Self.retention {
            let key = order[head].key
            if let entry = entries[key], Self.expired(entry, now: now) { entries[key] = nil }
            head += 1
        }
        if head >= 1024 && head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// Forgets a key whose request never executed (Stripe saves nothing for those), so that a retry runs.
    mutating func release(_ key: String) {
        if entries[key]?.response == nil { entries[key] = nil }
    }
}

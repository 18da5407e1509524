/// A partner's webhook endpoint as the system of record holds it.
public struct WebhookEndpoint: Sendable, Hashable {
    public var id: String
    public var partnerID: String
    public var url: String
    /// The event types it receives; nil for all.
    public var events: [String]?
    public var secret: String
    /// The secret before the last rotation, still signing until ``previousSecretUntil``.
    public var previousSecret: String?
    public var previousSecretUntil: Int64?
    public var enabled: Bool
    public var disabledReason: String?
    public var disabledAt: Int64?
    public var failingSince: Int64?
    public var createdAt: Int64

    public init(
        id: String, partnerID: String, url: String, events: [String]?, secret: String, previousSecret: String?,
        previousSecretUntil: Int64?, enabled: Bool, disabledReason: String?, disabledAt: Int64?, failingSince: Int64?,
        createdAt: Int64
    ) {
        self.id = id
        self.partnerID = partnerID
        self.url = url
        self.events = events
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretUntil = previousSecretUntil
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.disabledAt = disabledAt
        self.failingSince = failingSince
        self.createdAt = createdAt
    }

    /// The secrets that sign a message sent at `now`: the current one, and the previous one
    /// during the 24 hours after a rotation.
    public func signingSecrets(at now: Int64) -> [String] {
        if let previous = previousSecret, let until = previousSecretUntil, now < until { return [secret, previous] }
        return [secret]
    }

    /// The spec's eight event types, the only ones an endpoint can ask for.
    public static let eventTypes = [
        "reservation.created", "reservation.vendor_confirmed", "reservation.vendor_authorized", "reservation.authorized_both",
        "reservation.committed", "reservation.failed", "reservation.expired", "reservation.cancelled",
    ]
}

/// One event on its way to one endpoint.
public struct WebhookDelivery: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case pending, succeeded, failed
    }

    public var id: Int64
    public var endpointID: String
    public var eventID: String
    public var eventType: String
    public var reservationID: String?
    public var sequence: Int64
    /// The exact bytes every attempt sends.
    public var body: String
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Int64?
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Int64
    public var finishedAt: Int64?

    public init(
        id: Int64, endpointID: String, eventID: String, eventType: String, reservationID: String?, sequence: Int64, body: String,
        status: Status, attempts: Int, nextAttemptAt: Int64?, lastStatus: Int?, lastError: String?, createdAt: Int64,
        finishedAt: Int64?
    ) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.eventType = eventType
        self.reservationID = reservationID
        self.sequence = sequence
        self.body = body
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}

/// When a failed delivery is tried again: the Standard Webhooks schedule (immediately, then 5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), each delay varied by ±20%, a server's `Retry-After`
/// (on 429 and 503) taking its place when longer. After the last attempt the delivery has failed.
public enum WebhookRetrySchedule {
    /// Seconds to wait after attempt n (1-based) failed; nil once attempts are used up.
    public static let delays: [Int64] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000]

    /// How long an endpoint may fail without a success before it is disabled.
    public static let disableAfterSeconds: Int64 = 5 * 86_400

    public static func delay(afterAttempt attempt: Int, retryAfter: Int64?, random: () -> Double = { Double.random(in: 0..<1) }) -> Int64? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let base = Double(delays[attempt - 1])
        let varied = Int64((base * (1 + 0.2 * (2 * random() - 1))).rounded())
        if let retryAfter, retryAfter > varied { return min(retryAfter, 36_000) }
        return max(1, varied)
    }
}

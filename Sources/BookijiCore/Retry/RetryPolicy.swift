/// Bounded exponential backoff with jitter, per the spec's "Idempotency & Retries" section:
/// at most 5 attempts, first delay 1 s, doubling up to 60 s, each delay varied by ±20%.
///
/// One policy for every retry: outside calls (Integrations' HTTP client, where a server's
/// `Retry-After` replaces the computed delay when it is within ``maxDelay``) and the worker's
/// outbox rows (where a row that exhausts it is parked as a dead letter).
public struct RetryPolicy: Sendable {
    /// Total attempts, the first included.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// The fraction by which a computed delay varies either way (0.2 is ±20%).
    public var jitter: Double
    /// A uniform random number in [0, 1); replaceable so tests can pin the jitter.
    public var random: @Sendable () -> Double

    public init(
        maxAttempts: Int = 5, initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60),
        jitter: Double = 0.2, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        precondition(maxAttempts >= 1, "at least one attempt")
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.random = random
    }

    /// The spec's policy.
    public static var standard: RetryPolicy { RetryPolicy() }

    /// True when attempt number `attempt` (1-based) was the last one allowed.
    public func isExhausted(afterAttempt attempt: Int) -> Bool { attempt >= maxAttempts }

    /// ``delay(afterAttempt:)`` in seconds.
    public func delaySeconds(afterAttempt attempt: Int) -> Double {
        seconds(delay(afterAttempt: attempt))
    }

    /// The wait after failed attempt number `attempt` (1-based) when the server named none:
    /// `initialDelay × 2^(attempt-1)`, capped at `maxDelay`, then varied by the jitter and capped again.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let base = seconds(initialDelay) * Double(1 << min(max(attempt - 1, 0), 30))
        let capped = min(base, seconds(maxDelay))
        let varied = capped * (1 + jitter * (2 * random() - 1))
        return .milliseconds(Int64((min(varied, seconds(maxDelay)) * 1000).rounded()))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

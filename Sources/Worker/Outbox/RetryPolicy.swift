/// Bounded exponential backoff with jitter (the spec's retry policy: 5 attempts, 1 s first
/// delay doubling up to 60 s, ±20 % jitter).
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var initialDelaySeconds: Double
    public var maxDelaySeconds: Double
    /// The fraction of the delay added or taken away at random (0.2: ±20 %).
    public var jitter: Double

    public init(maxAttempts: Int, initialDelaySeconds: Double, maxDelaySeconds: Double, jitter: Double) {
        self.maxAttempts = maxAttempts
        self.initialDelaySeconds = initialDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.jitter = jitter
    }

    public static let standard = RetryPolicy(maxAttempts: 5, initialDelaySeconds: 1, maxDelaySeconds: 60, jitter: 0.2)

    /// True when the row has had its last attempt.
    public func isExhausted(afterAttempt attempt: Int) -> Bool { attempt >= maxAttempts }

    /// The wait before the attempt after `attempt` (1-based), jittered.
    public func delaySeconds(afterAttempt attempt: Int) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let base = min(maxDelaySeconds, initialDelaySeconds * pow2(exponent))
        return max(0, base * (1 + Double.random(in: -jitter...jitter)))
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}

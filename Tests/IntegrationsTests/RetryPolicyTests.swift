import BookijiCore
import Integrations
import Testing

@Suite("Retry policy and Retry-After parsing")
struct RetryPolicyTests {
    /// The spec's "Idempotency & Retries": 5 attempts, 1 s doubling to 60 s, ±20% jitter.
    @Test func standardPolicyIsTheSpecs() {
        let standard = RetryPolicy.standard
        #expect(standard.maxAttempts == 5)
        #expect(standard.initialDelay == .seconds(1))
        #expect(standard.maxDelay == .seconds(60))
        #expect(standard.jitter == 0.2)
    }

    @Test func backoffDoublesFromOneSecondAndCapsAtSixty() {
        let middle = RetryPolicy(random: { 0.5 })  // no jitter
        #expect((1...8).map { middle.delay(afterAttempt: $0) }.map { $0.components.seconds } == [1, 2, 4, 8, 16, 32, 60, 60])
    }

    @Test(arguments: [(0.0, 0.8), (0.999_999, 1.2)])
    func jitterVariesTheDelayByTwentyPercent(random: Double, factor: Double) {
        let policy = RetryPolicy(random: { random })
        for attempt in 1...5 {
            let expected = Double(1 << (attempt - 1)) * factor
            let got = policy.delay(afterAttempt: attempt)
            let seconds = Double(got.components.seconds) + Double(got.components.attoseconds) / 1e18
            #expect(abs(seconds - expected) < 0.002, "attempt \(attempt): \(seconds) vs \(expected)")
        }
    }

    @Test func jitteredDelayNeverExceedsTheMaximum() {
        let high = RetryPolicy(random: { 0.999_999 })
        #expect(high.delay(afterAttempt: 12) == .seconds(60))
        let low = RetryPolicy(random: { 0 })
        #expect(low.delay(afterAttempt: 12) == .seconds(48))
    }

    @Test func retryAfterInSecondsIsTakenAsIs() {
        #expect(RetryAfter.delay("1", now: 0) == 1)
        #expect(RetryAfter.delay(" 120 ", now: 1_000) == 120)
        #expect(RetryAfter.delay("0", now: 5) == 0)
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850
        "Sun Nov  6 08:49:37 1994",  // asctime
    ])
    func retryAfterAsAnyHTTPDateFormat(text: String) {
        // 1994-11-06T08:49:37Z, the example date of RFC 9110 §5.6.7.
        let instant: Int64 = 784_111_777
        #expect(RetryAfter.httpDate(text) == instant)
        #expect(RetryAfter.delay(text, now: Double(instant) - 30) == 30)
        #expect(RetryAfter.delay(text, now: Double(instant) + 30) == 0, "a past date means retry now")
    }

    @Test(arguments: ["", "soon", "-5", "1.5", "Sun, 31 Feb 2026 08:49:37 GMT", "Sun, 06 Nov 1994 25:00:00 GMT"])
    func invalidRetryAfterIsIgnored(text: String) {
        #expect(RetryAfter.delay(text, now: 0) == nil)
    }
}

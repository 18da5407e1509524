import BookijiCore
import Testing
@testable import Worker

/// The outbox's retry policy, in process.
struct OutboxRetryPolicyTests {
    @Test(arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (40, 60.0)])
    func delayDoublesFromOneSecondUpToSixty(attempt: Int, expected: Double) {
        let policy = RetryPolicy.standard
        for _ in 0..<50 {
            let delay = policy.delaySeconds(afterAttempt: attempt)
            #expect(delay >= expected * 0.8 && delay <= expected * 1.2, "attempt \(attempt): \(delay)")
        }
    }

    @Test func withoutJitterTheDelayIsExact() {
        let policy = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(200), maxDelay: .seconds(1), jitter: 0)
        #expect([1, 2, 3, 4].map { policy.delaySeconds(afterAttempt: $0) } == [0.2, 0.4, 0.8, 1])
    }

    @Test func aRowIsExhaustedAfterItsLastAttempt() {
        let policy = RetryPolicy.standard
        #expect((1...4).allSatisfy { !policy.isExhausted(afterAttempt: $0) })
        #expect(policy.isExhausted(afterAttempt: 5))
        #expect(policy.isExhausted(afterAttempt: 6), "a row claimed by crashed workers past its limit")
    }

    @Test func errorsAreLoggedOnOneLine() {
        struct Multiline: Error, CustomStringConvertible {
            var description = "server closed the connection unexpectedly\n\tThis probably means\n"
        }
        #expect(oneLine(Multiline()) == "server closed the connection unexpectedly This probably means")
    }
}

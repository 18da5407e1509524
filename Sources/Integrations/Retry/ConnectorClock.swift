#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Wall-clock time and waiting, injectable so tests neither wait for real backoff delays nor
/// depend on when they run.
public struct ConnectorClock: Sendable {
    /// Seconds since the Unix epoch, fractional. Token expiry and `Retry-After` dates use it.
    public var now: @Sendable () -> Double
    /// Waits for the given duration; throws `CancellationError` if the task is cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// Real time and real waiting.
    public static let system = ConnectorClock(
        now: { Date().timeIntervalSince1970 },
        sleep: { try await Task.sleep(for: $0) }
    )

    /// Real time, but every wait takes `factor` times as long (0.01 makes a 1 s backoff 10 ms),
    /// so tests exercise the real retry schedule quickly.
    public static func scaled(by factor: Double) -> ConnectorClock {
        ConnectorClock(
            now: { Date().timeIntervalSince1970 },
            sleep: { try await Task.sleep(for: $0 * factor) }
        )
    }
}

import Synchronization

/// Set once when the service group begins a graceful shutdown; read by loops between units of
/// work (a claimed row, a sweep, a wait slice) so in-flight work finishes and nothing new starts.
final class ShutdownFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    init() {}

    func raise() { raised.store(true, ordering: .releasing) }

    var isRaised: Bool { raised.load(ordering: .acquiring) }

    /// Returns once the flag is raised (checked every 100 ms).
    func waitUntilRaised() async {
        while !isRaised { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// Sleeps up to `seconds`, returning early (within 100 ms) once the flag is raised.
    func sleep(seconds: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, seconds) * 1000))
        while !isRaised {
            let left = deadline - ContinuousClock.now
            if left <= .zero { return }
            try? await Task.sleep(for: min(left, .milliseconds(100)))
        }
    }
}

/// Whole milliseconds since `start`, for log lines.
func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
    let elapsed = ContinuousClock.now - start
    return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
}

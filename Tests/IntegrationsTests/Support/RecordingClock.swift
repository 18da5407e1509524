import Integrations
import Foundation

/// A ``ConnectorClock`` that records every requested wait and sleeps only `scale` of it.
final class RecordingClock: Sendable {
    private let state = Mutex()
    let scale: Double

    init(scale: Double = 0.01) { self.scale = scale }

    var clock: ConnectorClock {
        ConnectorClock(
            now: { Date().timeIntervalSince1970 },
            sleep: { [state, scale] duration in
                state.append(duration)
                try await Task.sleep(for: duration * scale)
            })
    }

    /// Requested waits in seconds, in order.
    var sleeps: [Double] {
        state.values.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
    }

    final class Mutex: @unchecked Sendable {  // every access holds the lock
        private let lock = NSLock()
        private var durations: [Duration] = []
        func append(_ duration: Duration) { lock.withLock { durations.append(duration) } }
        var values: [Duration] { lock.withLock { durations } }
    }
}

import BookijiCore
import Store
import Synchronization

/// Whether this process can reach its database, as its work finds it: an outage starts with the
/// first failure to reach the database after a success and ends with the first success after
/// that, whichever thread sees it. The process is told of each change once (``observe(_:)``),
/// so an outage is two log lines, not one error per request.
public enum DatabaseOutage {
    public enum Change: Sendable, Equatable {
        /// The database could not be reached; `cause` is the first failure's message, on one line.
        case started(cause: String)
        /// The database answers again after `seconds` of outage.
        case ended(seconds: Double)
    }

    /// Sets the one function told of every change (the process's logger). Called at startup.
    public static func observe(_ observer: @escaping @Sendable (Change) -> Void) {
        state.withLock { $0.observer = observer }
    }

    /// Whether this process is in an outage now.
    public static var isOngoing: Bool { down.load(ordering: .relaxed) }

    static func recordSuccess() {
        // The common case is one relaxed load; the lock is taken only when an outage ends.
        guard down.load(ordering: .relaxed) else { return }
        let change: (Change, (@Sendable (Change) -> Void)?)? = state.withLock { state in
            guard down.load(ordering: .relaxed) else { return nil }
            down.store(false, ordering: .relaxed)
            let seconds = Double(SystemTime.monotonicNanos() - state.startedAt) / 1e9
            return (.ended(seconds: seconds), state.observer)
        }
        if let (change, observer) = change { observer?(change) }
    }

    static func recordFailure(_ error: StoreError) {
        guard !down.load(ordering: .relaxed) else { return }
        let change: (Change, (@Sendable (Change) -> Void)?)? = state.withLock { state in
            guard !down.load(ordering: .relaxed) else { return nil }
            down.store(true, ordering: .relaxed)
            state.startedAt = SystemTime.monotonicNanos()
            return (.started(cause: oneLine(error.message)), state.observer)
        }
        if let (change, observer) = change { observer?(change) }
    }

    /// libpq's messages span lines ("…failed: No such file or directory\n\tIs the server
    /// running…"); a log line holds one.
    public static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    private struct State {
        var startedAt: UInt64 = 0
        var observer: (@Sendable (Change) -> Void)?
    }

    private static let down = Atomic<Bool>(false)
    private static let state = Mutex(State())
}

extension BookijiError {
    /// True when this error means the database could not be reached (an outage, which
    /// ``DatabaseOutage`` reports once), not a failure of this request alone.
    public var isDatabaseOutage: Bool {
        (underlying as? StoreError)?.code == .unavailable
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var s = self
        while s.first == character { s.removeFirst() }
        while s.last == character { s.removeLast() }
        return s
    }
}

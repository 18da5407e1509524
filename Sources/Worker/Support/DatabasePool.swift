import Synchronization
import Store

/// A few database sessions shared by handlers that run many rows at once: each call goes to the
/// next session in turn, on that session's own serial queue (libpq blocks its thread). Calls are
/// short statements and transactions, never held across a network call, so a handful of sessions
/// serves dozens of rows in flight.
final class DatabasePool: Sendable {
    private let executors: [DatabaseExecutor]
    private let next = Atomic<UInt>(0)

    init(url: String, size: Int, label: String) {
        precondition(size >= 1, "a pool needs a session")
        executors = (0..<size).map { DatabaseExecutor(url: url, label: "\(label).\($0)", recordsWait: true) }
    }

    /// Runs `body` with one of the pool's sessions.
    func run<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        let index = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(executors.count))
        return try await executors[index].run(body)
    }
}

import Dispatch
import Store
import Telemetry

/// One database session owned by one job, used only on the job's own serial queue.
///
/// libpq calls block their thread (a statement, a `poll` for notifications), so they run on a
/// dispatch queue rather than on Swift's small cooperative pool, where one job's wait would
/// starve the others. The session is opened on first use and dropped after a connection
/// failure (or any error that is not a statement's), so the next call reconnects; `onConnect` runs on every new session (LISTEN again).
final class DatabaseExecutor: @unchecked Sendable {  // `session` is touched only on `queue`
    private let url: String
    private let queue: DispatchQueue
    private let onConnect: @Sendable (Session) throws -> Void
    /// Records how long each call waited for the queue (a pool's sessions, where calls compete).
    private let recordsWait: Bool
    private var session: Session?

    init(
        url: String, label: String, recordsWait: Bool = false, onConnect: @escaping @Sendable (Session) throws -> Void = { _ in }
    ) {
        self.url = url
        self.recordsWait = recordsWait
        self.queue = DispatchQueue(label: "bookiji.worker.\(label)")
        self.onConnect = onConnect
    }

    /// Runs `body` with the session on the job's queue and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        let queued = ContinuousClock.now
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                if self.recordsWait { BookijiMetrics.workerDatabaseWait(ContinuousClock.now - queued) }
                continuation.resume(with: Result { try self.runOnQueue(body) })
            }
        }
    }

    private func runOnQueue<T>(_ body: (Session) throws -> T) throws -> T {
        let current: Session
        if let session {
            current = session
        } else {
            let opened = try Session(url: url)
            try onConnect(opened)
            session = opened
            current = opened
        }
        do {
            return try body(current)
        } catch let error as StoreError where error.code != .unavailable {
            throw error  // the statement failed; the connection is fine
        } catch {
            // A broken connection, or an error that does not say what it was: start over with a
            // new session next time.
            session = nil
            throw error
        }
    }
}

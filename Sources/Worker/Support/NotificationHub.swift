import Logging
import ServiceLifecycle
import Store
import Synchronization

/// The worker's one LISTEN session, shared by every loop that waits for a NOTIFY.
///
/// PostgreSQL wakes every session that listens in a database for every NOTIFY, whatever its
/// channel, and each reads the shared queue in a transaction of its own. With a LISTEN session
/// per loop, every outbox row written woke each of them in each worker (about 250 backend
/// transactions per booking in `Benchmarks/bookings`). So a worker listens once, on every channel
/// its loops use, and hands each notification to the ``Subscription``s that want it.
///
/// Run it as the first service of the worker's group, so it stops last.
public final class NotificationHub: Service, Sendable {
    private let database: DatabaseExecutor
    private let subscriptions = Mutex<[Subscription]>([])
    private let logger: Logger

    /// - Parameter databaseURL: the worker's database; when the process goes through a
    ///   transaction pooler, the hub listens on the direct URL instead (``Session/ownSessionURL(for:)``),
    ///   since a pooler forwards no notifications.
    public init(databaseURL: String, channels: [String], logger: Logger) {
        self.logger = logger
        self.database = DatabaseExecutor(url: Session.ownSessionURL(for: databaseURL), label: "notifications") { session in
            for channel in channels { try NotificationListener(session: session).listen(channel) }
        }
    }

    /// A mailbox for one loop: it keeps the notifications `wakes` accepts until the loop waits.
    func subscribe(_ wakes: @escaping @Sendable (DatabaseNotification) -> Bool) -> Subscription {
        let subscription = Subscription(wakes: wakes)
        subscriptions.withLock { $0.append(subscription) }
        return subscription
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        await withGracefulShutdownHandler {
            var listening = false
            while !shutdown.isRaised {
                do {
                    let received = try await database.run { session in try NotificationListener(session: session).wait(timeout: 0.25) }
                    if !listening {
                        // Whatever was sent before the LISTEN (or while reconnecting) is unknown.
                        listening = true
                        wakeAll()
                    }
                    let all = subscriptions.withLock { $0 }
                    for notification in received {
                        for subscription in all where subscription.wakes(notification) { subscription.deliver() }
                    }
                } catch {
                    listening = false
                    logger.error("notification listener failed", metadata: ["error": "\(oneLine(error))"])
                    wakeAll()
                    await shutdown.sleep(seconds: 1)
                }
            }
        } onGracefulShutdown: {
            shutdown.raise()
        }
    }

    private func wakeAll() {
        for subscription in subscriptions.withLock({ $0 }) { subscription.deliver() }
    }
}

/// One loop's mailbox at the ``NotificationHub``: a notification that arrives while the loop is
/// busy is kept, so its next wait returns at once and no wake-up is lost.
final class Subscription: Sendable {
    let wakes: @Sendable (DatabaseNotification) -> Bool
    private let state = Mutex<State>(State())

    private struct State {
        var pending = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Bool, Never>)?
        var nextID: UInt64 = 0
    }

    init(wakes: @escaping @Sendable (DatabaseNotification) -> Bool) {
        self.wakes = wakes
    }

    /// Waits up to `seconds` (at least ``DatabaseExecutor/minimumWaitSeconds``) for a
    /// notification, returning at once if one came since the last wait; in 0.25 s slices, so
    /// shutdown is noticed.
    func wait(seconds: Double, shutdown: ShutdownFlag) async {
        var remaining = max(seconds, DatabaseExecutor.minimumWaitSeconds)
        while remaining > 0, !shutdown.isRaised {
            let slice = min(remaining, 0.25)
            if await wait(upTo: slice) { return }
            remaining -= slice
        }
    }

    /// Marks a notification; resumes the loop if it is waiting.
    func deliver() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: true)
    }

    /// True when a notification came (before or during the wait), false when `seconds` passed.
    private func wait(upTo seconds: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { state -> UInt64? in
                if state.pending {
                    state.pending = false
                    return nil
                }
                state.nextID += 1
                state.waiter = (state.nextID, continuation)
                return state.nextID
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                self.expire(id)
            }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: false)
    }
}

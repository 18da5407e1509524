import BookijiCore
import Foundation
import Store
import Synchronization
import Telemetry

/// The responder's one LISTEN session on ``VendorStore/revisionChannel``: it tells the process's
/// ``AvailabilityCache`` at once when another process (a responder, the worker, the CLI) changes
/// a vendor's availability, so a cached answer is served only while the revision it was computed
/// at is still the vendor's, without asking the database for every answer.
///
/// A trigger (migration 0019) NOTIFYs `<vendor id>:<new revision>` at the commit of every
/// transaction that bumps a vendor's revision. While this session listens, a revision read after
/// it came up is trusted until a notification says otherwise (``AvailabilityCache/recentRevision(of:at:)``).
/// A LISTEN session hears nothing when its connection dies quietly (a firewall or NAT that drops
/// an idle connection, a host that vanished), so it makes a round trip every
/// ``heartbeatSeconds`` and vouches for revisions only while one came back within the trust
/// interval. When the connection is lost every revision read so far is forgotten (what changed
/// meanwhile was never announced), revisions are trusted for the trust interval only, and it
/// connects again with backoff; once it listens again, revisions read before are forgotten too.
///
/// It runs on a thread of its own: it blocks in `poll(2)` and must never hold one of Swift's
/// cooperative threads.
public final class VendorRevisionListener: Sendable {
    /// What the listener reports to its owner's log.
    public enum Event: Sendable, Equatable {
        /// Listening (again): cached answers are checked against notifications from now on.
        case connected
        /// The connection was lost or could not be made; reported once per loss, not per retry.
        case lost(cause: String)
    }

    /// The database to listen on: a server session of its own (a transaction pooler forwards
    /// no notifications), so the direct URL when the process goes through one
    /// (``Session/ownSessionURL(for:)``, as the worker's notification hub does).
    public let url: String
    /// Seconds between the round trips that show the session is alive: half the revision trust
    /// interval, between 50 ms and 1 s.
    public let heartbeatSeconds: Double
    private let cache: AvailabilityCache
    private let onEvent: @Sendable (Event) -> Void
    private let stopping = Atomic<Bool>(false)

    /// The first wait before connecting again; it doubles up to ``maximumBackoffSeconds``.
    static let initialBackoffSeconds = 0.05
    static let maximumBackoffSeconds = 5.0

    public init(url: String, cache: AvailabilityCache, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.url = Session.ownSessionURL(for: url)
        self.cache = cache
        self.onEvent = onEvent
        self.heartbeatSeconds = min(1, max(0.05, Double(cache.revisionTrustNanos) / 2e9))
    }

    /// Whether a listener is of use: only with the cache on and revisions trusted at all (with a
    /// trust interval of 0 every cached answer reads the revision anyway).
    public static func isUseful(for cache: AvailabilityCache) -> Bool {
        cache.isEnabled && cache.revisionTrustNanos > 0
    }

    /// Starts listening on a thread of its own; it keeps reconnecting until ``stop()``.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "bookiji-revisions"
        thread.start()
    }

    /// Ends the listening thread within a heartbeat or a backoff step; its cache then trusts
    /// revisions for the trust interval only.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func run() {
        var backoff = Self.initialBackoffSeconds
        var lossReported = false
        while !isStopping {
            var listening = false
            do {
                let listener = NotificationListener(session: try Session(url: url))
                try listener.listen(VendorStore.revisionChannel)
                cache.listenerConnected(at: SystemTime.monotonicNanos())
                listening = true
                lossReported = false
                backoff = Self.initialBackoffSeconds
                onEvent(.connected)
                try serve(listener)
            } catch {
                // Only a connection that listened can lose what it vouched for: a failed attempt
                // to reconnect forgets nothing more (revisions read since the loss are trusted
                // for the trust interval, as without a listener).
                if listening { cache.listenerLost(at: SystemTime.monotonicNanos()) }
                if !lossReported {
                    lossReported = true
                    onEvent(.lost(cause: listening ? "lost the connection: \(error)" : "cannot listen: \(error)"))
                }
                // Jittered, so responders that lost the database together do not return in step.
                pause(seconds: backoff * Double.random(in: 0.5...1))
                backoff = min(backoff * 2, Self.maximumBackoffSeconds)
            }
        }
        cache.listenerLost(at: SystemTime.monotonicNanos())
    }

    /// Applies notifications as they arrive and makes a round trip every heartbeat, until
    /// stopped (returns) or the connection fails (throws).
    private func serve(_ listener: NotificationListener) throws {
        let heartbeatNanos = UInt64(heartbeatSeconds * 1e9)
        while !isStopping {
            // LISTEN again is a no-op for the server and a round trip for us: the server sends
            // every notification committed before it ahead of its answer.
            let startedAt = SystemTime.monotonicNanos()
            try listener.listen(VendorStore.revisionChannel)
            apply(try listener.wait(timeout: 0))
            cache.listenerHeard(at: startedAt)
            while !isStopping {
                let now = SystemTime.monotonicNanos()
                guard now < startedAt + heartbeatNanos else { break }
                apply(try listener.wait(timeout: Double(startedAt + heartbeatNanos - now) / 1e9))
            }
        }
    }

    private func apply(_ notifications: [DatabaseNotification]) {
        guard !notifications.isEmpty else { return }
        let heardAt = SystemTime.monotonicNanos()
        for notification in notifications where notification.channel == VendorStore.revisionChannel {
            BookijiMetrics.availabilityRevisionNotification()
            if let (vendorID, revision) = Self.parse(notification.payload) {
                cache.revisionAnnounced(revision, of: vendorID, at: heardAt)
            } else {
                // Not the trigger's (a NOTIFY by hand): which vendor changed is unknown.
                cache.forgetRevisions(at: heardAt)
            }
        }
    }

    /// `<vendor id>:<revision>` as the trigger sends it; the id lowercased, as the cache keys it.
    static func parse(_ payload: String) -> (vendorID: String, revision: Int64)? {
        guard let colon = payload.lastIndex(of: ":"), let revision = Int64(payload[payload.index(after: colon)...]),
              colon > payload.startIndex else { return nil }
        return (payload[..<colon].lowercased(), revision)
    }

    private func pause(seconds: Double) {
        let until = SystemTime.monotonicNanos() + UInt64(seconds * 1e9)
        while !isStopping {
            let now = SystemTime.monotonicNanos()
            guard now < until else { return }
            usleep(UInt32(min(until - now, 100_000_000) / 1000))
        }
    }
}

import BookijiCore
import Foundation
import Store
import Synchronization
import Telemetry

/// Which reads of a responder may go to a streaming replica (`bookiji serve --read-database`),
/// shared by the process's threads.
///
/// Only reads that opt in (``Database/readPreferringReplica(_:acceptable:onPrimary:)``) go there:
/// availability and reservation lists. Every write, every hold's revalidation, every commit,
/// authentication, limits and idempotency run on the primary, and so does a single reservation's
/// read (the one a partner polls after changing it; a primary-key lookup the primary hardly
/// notices), so it is never older than what any responder wrote.
///
/// **What the replica is known to hold.** One monitor thread per process measures, every
/// `probeInterval` (100 ms), an instant `visibleUpTo`: every transaction committed before it is
/// applied on the replica. It first reads the primary's WAL insert position (a trivial statement),
/// then the replica's replay position and the age of the newest commit it applied
/// (`now() - pg_last_xact_replay_timestamp()`):
/// - replay position at or past that insert position: the replica has everything committed before
///   the primary was asked, so `visibleUpTo` is the instant the monitor asked it;
/// - otherwise: the newest applied commit is that old, so `visibleUpTo` is then minus its age.
///
/// The replay timestamp alone cannot tell a lagging replica from a caught-up one on an idle
/// primary (nothing committed for a minute makes it a minute old), and
/// `pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()` only says the replica applied what
/// reached it, not that everything reached it (a broken stream looks caught up). The primary's
/// insert position settles both: an idle, caught-up replica is used at once, and one that lost
/// its stream is bypassed once the lag bound passes. The cost is one statement a probe on the
/// primary, 10 a second per process, whatever the request rate.
///
/// **Routing.** A read goes to the replica when `now - visibleUpTo` is at most `--max-replica-lag`
/// (so a stale monitor, a hung replica or a lagging one is bypassed within the bound), the replica
/// did not just fail a read, and the caller has no write through this process after `visibleUpTo`
/// (read-your-writes: a partner's own holds and cancels are on every replica read it gets from
/// this responder). A read the replica cannot answer (it fails, is not a standby, or lacks the row)
/// is run again on the primary, so a stopped replica costs a request one refused connection
/// (or the connect timeout for an unreachable host), never an error.
public final class ReplicaRouting: Sendable {
    public let url: String
    public let maxLagNanos: UInt64
    let probeIntervalNanos: UInt64

    /// Monotonic nanoseconds; every commit before it is on the replica. 0: nothing known yet.
    private let visibleUpTo = Atomic<UInt64>(0)
    /// Set when a read or a probe failed on the replica; cleared by the next successful probe.
    private let down = Atomic<Bool>(true)
    /// The caller's latest write through this process (monotonic ns), by caller.
    private let writes = Mutex<[String: UInt64]>([:])
    private let observer: (@Sendable (Change) -> Void)?

    /// What the process is told when the replica stops or starts being usable (for its log).
    public enum Change: Sendable, Equatable {
        case unavailable(cause: String)
        case available
    }

    /// Where a read goes and why.
    public enum Decision: Sendable, Equatable {
        case replica
        case primary(reason: String)
    }

    /// - Parameters:
    ///   - url: the replica's libpq URL.
    ///   - primaryURL: the primary's, which the monitor asks for its WAL insert position.
    ///   - maxLagSeconds: a replica further behind than this is bypassed until it catches up.
    ///   - probeIntervalSeconds: how often the monitor measures.
    public init(
        url: String, primaryURL: String, maxLagSeconds: Double, probeIntervalSeconds: Double = 0.1,
        observer: (@Sendable (Change) -> Void)? = nil
    ) {
        self.url = url
        self.maxLagNanos = UInt64(max(0, maxLagSeconds) * 1e9)
        self.probeIntervalNanos = UInt64(max(0.001, probeIntervalSeconds) * 1e9)
        self.observer = observer
        let monitor = ReplicaMonitor(routing: self, primaryURL: primaryURL)
        let thread = Thread { monitor.run() }
        thread.name = "bookiji-replica-monitor"
        thread.start()
    }

    /// Where a read by `caller` (nil: anonymous) should go now.
    public func decision(for caller: String?, at now: UInt64 = SystemTime.monotonicNanos()) -> Decision {
        if down.load(ordering: .acquiring) { return .primary(reason: "unavailable") }
        let visible = visibleUpTo.load(ordering: .acquiring)
        guard visible > 0, now &- visible <= maxLagNanos || visible > now else { return .primary(reason: "lag") }
        if let caller, let written = writes.withLock({ $0[caller] }), written >= visible {
            return .primary(reason: "own_write")
        }
        return .replica
    }

    /// `caller` has just written (its transaction committed before now).
    public func recordWrite(by caller: String, at now: UInt64 = SystemTime.monotonicNanos()) {
        let horizon = now &- maxLagNanos
        writes.withLock { writes in
            if writes.count >= 50_000 {
                // A write older than the lag bound can no longer send a read to the primary: a
                // replica is used only when visibleUpTo is within the bound, so after such a write.
                writes = writes.filter { $0.value > horizon }
            }
            writes[caller] = now
        }
    }

    /// The replica's lag as the responder sees it now, in seconds (nil while nothing is known).
    public func lagSeconds(at now: UInt64 = SystemTime.monotonicNanos()) -> Double? {
        let visible = visibleUpTo.load(ordering: .acquiring)
        guard visible > 0, !down.load(ordering: .acquiring) else { return nil }
        return now > visible ? Double(now - visible) / 1e9 : 0
    }

    /// A read on the replica failed: bypass it until the monitor reaches it again.
    func replicaFailed(_ error: Error) {
        markDown(cause: "\(error)")
    }

    fileprivate func markDown(cause: String) {
        if !down.exchange(true, ordering: .acquiringAndReleasing) {
            observer?(.unavailable(cause: DatabaseOutage.oneLine(cause)))
        }
    }

    fileprivate func measured(visibleUpTo candidate: UInt64?) {
        if let candidate {
            // Only forward: what the replica applied stays applied.
            var current = visibleUpTo.load(ordering: .relaxed)
            while candidate > current {
                let (exchanged, original) = visibleUpTo.compareExchange(
                    expected: current, desired: candidate, ordering: .acquiringAndReleasing)
                if exchanged { break }
                current = original
            }
        }
        if down.exchange(false, ordering: .acquiringAndReleasing) { observer?(.available) }
        if let lag = lagSeconds() { BookijiMetrics.replicaLag(seconds: lag) }
    }
}

/// The thread that measures the replica (see ``ReplicaRouting``). Its two connections are its
/// own and it runs until the process exits.
private final class ReplicaMonitor: @unchecked Sendable {
    // @unchecked: the Databases are used by the monitor thread only, after init hands them over.
    let routing: ReplicaRouting
    let primary: Database
    let replica: Database

    init(routing: ReplicaRouting, primaryURL: String) {
        self.routing = routing
        self.primary = Database(url: primaryURL, reportsOutages: false)
        self.replica = Database(url: routing.url, reportsOutages: false)
    }

    func run() {
        while true {
            probe()
            usleep(useconds_t(routing.probeIntervalNanos / 1000))
        }
    }

    func probe() {
        let askedPrimary = SystemTime.monotonicNanos()
        // Without the primary (down, or unreachable from here) the replay timestamp still bounds the lag.
        let inserted = try? primary.read { try ReplicationStore($0).primaryInsertPosition() }
        let askedReplica = SystemTime.monotonicNanos()
        let state: ReplayState
        do {
            state = try replica.read { try ReplicationStore($0).replayState() }
        } catch {
            routing.markDown(cause: "\(error)")
            BookijiMetrics.replicaLag(seconds: -1)
            return
        }
        guard state.inRecovery, let replayed = state.replayedPosition else {
            routing.markDown(cause: "the read database is not a standby (pg_is_in_recovery() is false); reads stay on the primary")
            return
        }
        if let inserted, Self.hasApplied(replayed, insertPosition: inserted.position, pageSize: inserted.pageSize) {
            routing.measured(visibleUpTo: askedPrimary)
        } else if let age = state.newestAppliedCommitAge {
            // The age was read after askedReplica, so askedReplica - age is no later than the
            // newest applied commit.
            let ageNanos = UInt64(max(0, age) * 1e9)
            routing.measured(visibleUpTo: askedReplica > ageNanos ? askedReplica - ageNanos : nil)
        } else {
            routing.measured(visibleUpTo: nil)
        }
    }

    /// Whether a replica that applied WAL up to `replayed` holds everything before
    /// `insertPosition`. At a page boundary the insert position points past the next page's
    /// header while the last record applied ends at the boundary: no record lies between.
    static func hasApplied(_ replayed: Int64, insertPosition: Int64, pageSize: Int64) -> Bool {
        if replayed >= insertPosition { return true }
        let intoPage = pageSize > 0 ? insertPosition % pageSize : 0
        // The long header that opens a segment is 40 bytes; a page's short one 24.
        return intoPage <= 40 && replayed >= insertPosition - intoPage
    }
}

extension Database {
    /// A page of reservations, from the replica when it is fresh enough. A list on the primary
    /// first expires the caller's holds past their deadline (a write, which a standby refuses);
    /// on the replica a page holding such a row is read again on the primary, and a list of the
    /// states expiry leads to (whose rows-to-be the replica shows in their old state) is read on
    /// the primary at once. Other pages are unaffected by pending expiries: expiry changes
    /// neither a row's other states nor the list's order.
    func readPreferringReplicaUnlessStale(
        state: ReservationState?, now: Int64, _ body: (Session) throws -> [ReservationRecord],
        onPrimary: @escaping (Session) throws -> [ReservationRecord]
    ) throws -> [ReservationRecord] {
        if state == .expired || state == .failedVendorTimeout { return try read(onPrimary) }
        return try readPreferringReplica(body, acceptable: { records in
            !records.contains { record in record.deadline.map { $0 <= now } ?? false }
        }, onPrimary: onPrimary)
    }
}

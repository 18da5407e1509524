import Synchronization

/// When a dispatcher's next pending row falls due, asked of the database at most once a second.
///
/// Under load most claims come back empty (the rows due are in other hands) and each is followed
/// by a wait, whose length depends on the next-due query, which steps over every pending row of
/// the topics: asked every time, it ran about 140 times a second in `Benchmarks/bookings`. A new
/// row wakes the dispatcher by notification anyway; only backoffs and lapsing leases need the
/// query, and they are not that urgent. A failure the dispatcher records (a new backoff) makes
/// it ask again.
final class NextDue: Sendable {
    private let known = Mutex<(askedAt: ContinuousClock.Instant, dueAt: ContinuousClock.Instant?)?>(nil)
    private let maxAge: Duration

    init(maxAge: Duration = .seconds(1)) {
        self.maxAge = maxAge
    }

    /// Seconds until the next row falls due (0 when one is due now), nil when none is pending.
    func seconds(asking query: () async throws -> Double?) async throws -> Double? {
        let now = ContinuousClock.now
        if let known = known.withLock({ $0 }), now - known.askedAt < maxAge {
            return known.dueAt.map { max(0, Self.seconds(now.duration(to: $0))) }
        }
        let seconds = try await query()
        known.withLock { $0 = (now, seconds.map { now + .milliseconds(Int64($0 * 1000)) }) }
        return seconds
    }

    /// Forgets the last answer: the next wait asks again.
    func forget() {
        known.withLock { $0 = nil }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

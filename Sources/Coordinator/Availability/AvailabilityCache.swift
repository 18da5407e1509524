import Synchronization

/// Rendered availability answers shared by the responder's threads, keyed by everything that
/// decides the answer: vendor, its revision, the query, and the minute of "now".
///
/// The revision changes in the same transaction as any input, so a stale revision is never
/// served. The answer also depends on time itself: minimum notice and horizon move with "now"
/// (they are rounded to the rules' granule, at least a minute, so the minute is in the key), and
/// a counted hold stops blocking at its deadline, so an entry lives until the earliest of its
/// time-to-live (5 minutes, the spec's) and that deadline.
public final class AvailabilityCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var vendorID: String
        public var revision: Int64
        public var start: Int64
        public var end: Int64
        public var slotMinutes: Int
        public var includeConfidence: Bool
        public var onlyAvailable: Bool
        public var minute: Int64

        public init(
            vendorID: String, revision: Int64, start: Int64, end: Int64, slotMinutes: Int,
            includeConfidence: Bool, onlyAvailable: Bool, now: Int64
        ) {
            self.vendorID = vendorID
            self.revision = revision
            self.start = start
            self.end = end
            self.slotMinutes = slotMinutes
            self.includeConfidence = includeConfidence
            self.onlyAvailable = onlyAvailable
            // ceil(now / 60): the engine rounds notice and horizon boundaries up to the granule.
            self.minute = (now + 59) / 60
        }
    }

    public struct Entry: Sendable {
        public var body: [UInt8]
        public var etag: String
        public var expiresAt: Int64
    }

    public let timeToLiveSeconds: Int64
    public let capacity: Int
    private let storage = Mutex<[Key: Entry]>([:])

    /// - Parameters:
    ///   - timeToLiveSeconds: 0 disables the cache.
    ///   - capacity: entries kept at most; expired entries go first when it is reached.
    public init(timeToLiveSeconds: Int64 = 300, capacity: Int = 50_000) {
        self.timeToLiveSeconds = timeToLiveSeconds
        self.capacity = capacity
    }

    public var isEnabled: Bool { timeToLiveSeconds > 0 }

    public func lookup(_ key: Key, now: Int64) -> Entry? {
        guard isEnabled else { return nil }
        return storage.withLock { entries in
            guard let entry = entries[key] else { return nil }
            if entry.expiresAt <= now {
                entries[key] = nil
                return nil
            }
            return entry
        }
    }

    /// Stores an answer computed at `now`; `validUntil` is when it stops being true by itself.
    public func store(_ key: Key, body: [UInt8], etag: String, now: Int64, validUntil: Int64?) {
        guard isEnabled else { return }
        let expiresAt = min(now + timeToLiveSeconds, validUntil ?? Int64.max)
        guard expiresAt > now else { return }
        storage.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expiresAt > now }
                if entries.count >= capacity {
                    // Still full of live entries: drop an arbitrary tenth rather than grow.
                    for key in entries.keys.prefix(capacity / 10 + 1) { entries[key] = nil }
                }
            }
            entries[key] = Entry(body: body, etag: etag, expiresAt: expiresAt)
        }
    }

    public var count: Int { storage.withLock { $0.count } }
}

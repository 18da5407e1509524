import Synchronization

/// Rendered availability answers shared by the responder's threads.
///
/// One entry per (vendor, query string). An entry is served only while it is still the answer.
/// It records the vendor revision it was computed at (the revision changes in the same
/// transaction as any input, so a stale revision is never served) and the "now" it was computed
/// for, and it is served from that instant until the earliest of its time-to-live (5 minutes,
/// the spec's), the deadline of a hold it counts (a hold stops blocking at its deadline) and the
/// instant minimum notice or the horizon reaches another granule of its window (the engine's
/// `changesAt`; for a window neither boundary is crossing, later than the time-to-live). A newer
/// answer replaces the entry in place, so old revisions do not pile up; the total body bytes are
/// capped as well.
///
/// The revision an answer is checked against is read from the database, or taken from a note of
/// the last read while that is trusted: while the process's ``VendorRevisionListener`` listens,
/// until a notification announces a change, else for the revision trust interval.
public final class AvailabilityCache: Sendable {
    /// A vendor and the request's query string as sent. Keyed by the text, not the parsed
    /// query, so a hit skips parsing: only a valid query is ever stored, and the same text
    /// always parses the same way. (The same query spelled differently is another entry.)
    public struct Key: Hashable, Sendable {
        public var vendorID: String
        public var query: String

        public init(vendorID: String, query: String) {
            self.vendorID = vendorID
            self.query = query
        }
    }

    public struct Entry: Sendable {
        public var body: [UInt8]
        /// The body gzipped, once a client that accepts gzip has asked for it.
        public var gzipBody: [UInt8]?
        public var etag: String
        public var revision: Int64
        /// The "now" the answer was computed for; it is the answer from then until `expiresAt`.
        public var computedAt: Int64
        public var expiresAt: Int64
    }

    public let timeToLiveSeconds: Int64
    public let maximumBytes: Int
    /// How long a vendor revision read from the database is trusted without reading it again.
    public let revisionTrustNanos: UInt64
    /// Entries and revision notes live in shards chosen by vendor, each behind its own lock: with
    /// one lock, four threads serving cached answers (about 25k a second) spent a fifth of their
    /// time waiting for it (`perf`: `_MutexHandle._lockSlow`).
    private let shards: [Shard]
    private static let shardCount = 16

    private final class Shard: Sendable {
        let storage = Mutex<(entries: [Key: Entry], bytes: Int)>(([:], 0))
        let revisions = Mutex<[String: RevisionNote]>([:])
    }

    /// The shard of a vendor: FNV-1a over the id's last bytes (random hex in a UUID).
    private func shard(of vendorID: String) -> Shard {
        var hash: UInt32 = 2_166_136_261
        for byte in vendorID.utf8.suffix(8) { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return shards[Int(hash % UInt32(Self.shardCount))]
    }

    /// Body bytes one shard keeps at most.
    private var shardBytes: Int { maximumBytes / Self.shardCount }

    /// - Parameters:
    ///   - timeToLiveSeconds: 0 disables the cache.
    ///   - maximumBytes: body bytes kept at most, a sixteenth per shard of vendors; expired entries
    ///     go first when a shard reaches its part, and an answer over a quarter of it is not kept.
    ///   - revisionTrustSeconds: how long a vendor's revision, once read, is trusted without
    ///     asking the database again (``recentRevision(of:at:)``) when no revision listener
    ///     vouches for it. Changes made through this process invalidate it at once
    ///     (``invalidateRevision(of:at:)``), changes announced to the listener as soon as they
    ///     are heard (``revisionAnnounced(_:of:at:)``); without a listener, changes made by other
    ///     processes (the CLI, another responder) are seen within this time. 0 reads the
    ///     revision for every cached answer, listener or not.
    public init(timeToLiveSeconds: Int64 = 300, maximumBytes: Int = 256 << 20, revisionTrustSeconds: Double = 1) {
        self.timeToLiveSeconds = timeToLiveSeconds
        self.maximumBytes = maximumBytes
        self.revisionTrustNanos = UInt64(max(0, revisionTrustSeconds) * 1e9)
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    // MARK: - Vendor revisions

    /// What this process knows of one vendor's revision.
    private struct RevisionNote {
        var revision: Int64
        /// When the read that produced `revision` started (monotonic ns); 0 when invalidated.
        var readAt: UInt64
        /// When this process last changed the vendor, or heard that it changed (monotonic ns).
        var invalidatedAt: UInt64
        /// The highest revision a notification announced for the vendor; 0 when none has.
        var announced: Int64 = 0
    }

    /// The revision listener as the notes see it, in monotonic ns: since when it has listened
    /// without a break (0 while it does not), when its last round trip to the server began, and
    /// when every note was last forgotten. Atomics, since every cached answer reads them.
    private let listeningSince = Atomic<UInt64>(0)
    private let listenerHeardAt = Atomic<UInt64>(0)
    private let forgottenAt = Atomic<UInt64>(0)

    /// The vendor's revision if the one read last is still trusted, or nil: then read it and
    /// ``noteRevision(_:of:readAt:)``. A revision stops being trusted as soon as this process
    /// changes the vendor (``invalidateRevision(of:at:)``) or hears that it changed
    /// (``revisionAnnounced(_:of:at:)``); until then it is trusted
    /// - for the trust interval after its read started (all there is without a listener), and
    /// - beyond it while the revision listener vouches for it: the listener has listened without
    ///   a break since before the read started and was heard from within the trust interval, so
    ///   any change since would have been announced.
    public func recentRevision(of vendorID: String, at nowNanos: UInt64) -> Int64? {
        guard isEnabled, revisionTrustNanos > 0 else { return nil }
        let since = listeningSince.load(ordering: .sequentiallyConsistent)
        let heardAt = listenerHeardAt.load(ordering: .sequentiallyConsistent)
        let forgotten = forgottenAt.load(ordering: .sequentiallyConsistent)
        let vouching = since > 0 && (nowNanos <= heardAt || nowNanos - heardAt < revisionTrustNanos)
        return shard(of: vendorID).revisions.withLock { notes in
            guard let note = notes[vendorID], note.readAt > forgotten else { return nil }
            if nowNanos &- note.readAt < revisionTrustNanos { return note.revision }
            if vouching, note.readAt >= since { return note.revision }
            return nil
        }
    }

    /// Records a revision read by a database read that started at `readAt` (monotonic ns). Not
    /// recorded: a read that started before this process last changed the vendor or heard of a
    /// change (it may predate the change) or before the notes were last forgotten, and a
    /// revision lower than one announced (read from a replica that lags). Revisions only grow,
    /// so an older one never replaces a newer one.
    public func noteRevision(_ revision: Int64, of vendorID: String, readAt: UInt64) {
        guard isEnabled, revisionTrustNanos > 0, readAt > forgottenAt.load(ordering: .sequentiallyConsistent) else { return }
        shard(of: vendorID).revisions.withLock { notes in
            var note = notes[vendorID] ?? RevisionNote(revision: revision, readAt: readAt, invalidatedAt: 0)
            guard readAt > note.invalidatedAt, revision >= note.announced else { return }
            if revision >= note.revision || note.readAt == 0 {
                note.revision = revision
                note.readAt = max(note.readAt, readAt)
            }
            Self.makeRoom(in: &notes)
            notes[vendorID] = note
        }
    }

    /// Forgets the vendor's revision: this process has just changed (or may have changed) an
    /// input of its availability, so the next answer reads the revision again.
    public func invalidateRevision(of vendorID: String, at nowNanos: UInt64) {
        guard isEnabled, revisionTrustNanos > 0 else { return }
        shard(of: vendorID).revisions.withLock { notes in
            let announced = notes[vendorID]?.announced ?? 0
            notes[vendorID] = RevisionNote(revision: 0, readAt: 0, invalidatedAt: nowNanos, announced: announced)
        }
    }

    /// A notification, heard at `nowNanos`, says the vendor's revision became `revision`. The
    /// note is dropped unless it already holds that revision or a later one, and a read that
    /// started before now is not recorded: its snapshot may predate the change.
    public func revisionAnnounced(_ revision: Int64, of vendorID: String, at nowNanos: UInt64) {
        guard isEnabled else { return }
        shard(of: vendorID).revisions.withLock { notes in
            var note = notes[vendorID] ?? RevisionNote(revision: 0, readAt: 0, invalidatedAt: 0)
            note.announced = max(note.announced, revision)
            if note.readAt == 0 || note.revision < revision {
                note.revision = 0
                note.readAt = 0
                note.invalidatedAt = max(note.invalidatedAt, nowNanos)
            }
            Self.makeRoom(in: &notes)
            notes[vendorID] = note
        }
    }

    /// The highest revision notifications have announced for the vendor, or nil when none has
    /// been heard (or its note was dropped to bound memory). A lower bound of the vendor's
    /// current revision: a revision read elsewhere that is lower (from a replica that lags) is
    /// older than the primary's.
    public func knownRevision(of vendorID: String) -> Int64? {
        shard(of: vendorID).revisions.withLock { notes in
            guard let announced = notes[vendorID]?.announced, announced > 0 else { return nil }
            return announced
        }
    }

    /// Notes are dropped all at once at a million vendors: a bound on memory, at the cost of one
    /// revision read per vendor.
    private static func makeRoom(in notes: inout [String: RevisionNote]) {
        if notes.count >= 1_000_000 / shardCount { notes.removeAll(keepingCapacity: true) }
    }

    // MARK: - Revision listener

    /// The revision listener listens (again) from `nowNanos`: every revision read before is
    /// forgotten, since a change made while it was not listening was never announced, and one
    /// read from now on is trusted until an announcement says otherwise, while the listener is
    /// heard from (``listenerHeard(at:)``).
    public func listenerConnected(at nowNanos: UInt64) {
        forgottenAt.store(nowNanos, ordering: .sequentiallyConsistent)
        listenerHeardAt.store(nowNanos, ordering: .sequentiallyConsistent)
        listeningSince.store(nowNanos, ordering: .sequentiallyConsistent)
    }

    /// A round trip of the listener's that began at `startedAt` came back and every notification
    /// it brought was applied: each change committed before `startedAt` has been announced.
    public func listenerHeard(at startedAt: UInt64) {
        listenerHeardAt.store(startedAt, ordering: .sequentiallyConsistent)
    }

    /// The listener lost its connection (or stopped): changes since it was last heard from may
    /// never be announced, so every revision read so far is forgotten, and until it listens
    /// again a revision is trusted for the trust interval only.
    public func listenerLost(at nowNanos: UInt64) {
        listeningSince.store(0, ordering: .sequentiallyConsistent)
        forgetRevisions(at: nowNanos)
    }

    /// Forgets every revision read before `nowNanos` (a notification that names no vendor).
    public func forgetRevisions(at nowNanos: UInt64) {
        forgottenAt.store(nowNanos, ordering: .sequentiallyConsistent)
    }

    /// Whether a revision listener is listening, so revisions can be trusted beyond the interval.
    public var isListening: Bool { listeningSince.load(ordering: .sequentiallyConsistent) > 0 }

    public var isEnabled: Bool { timeToLiveSeconds > 0 }

    /// The cached answer for `key` if it is still the answer at `revision` and `now`.
    public func lookup(_ key: Key, revision: Int64, now: Int64) -> Entry? {
        guard isEnabled else { return nil }
        return shard(of: key.vendorID).storage.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            // Not before it was computed either: a thread whose clock reading came first, or a
            // clock stepped back, must not see an answer computed past a notice or horizon step.
            guard entry.revision == revision, entry.computedAt <= now, now < entry.expiresAt else { return nil }
            return entry
        }
    }

    /// Stores an answer computed at `now` from inputs at `revision`; `validUntil` is when it
    /// stops being true by itself.
    public func store(
        _ key: Key, body: [UInt8], gzipBody: [UInt8]? = nil, etag: String, revision: Int64, now: Int64, validUntil: Int64?
    ) {
        guard isEnabled, body.count <= shardBytes / 4 else { return }
        let expiresAt = min(now + timeToLiveSeconds, validUntil ?? Int64.max)
        guard expiresAt > now else { return }
        let entry = Entry(body: body, gzipBody: gzipBody, etag: etag, revision: revision, computedAt: now, expiresAt: expiresAt)
        let size = entry.size
        let limit = shardBytes
        shard(of: key.vendorID).storage.withLock { state in
            if let old = state.entries[key] {
                // A concurrent thread may have stored a newer revision meanwhile; keep the newer.
                if old.revision > revision { return }
                state.bytes -= old.size
            }
            if state.bytes + size > limit {
                state.entries = state.entries.filter { $0.value.expiresAt > now }
                state.bytes = state.entries.values.reduce(0) { $0 + $1.size }
                while state.bytes + size > limit, let victim = state.entries.first {
                    state.bytes -= victim.value.size
                    state.entries[victim.key] = nil
                }
            }
            state.entries[key] = entry
            state.bytes += size
        }
    }

    /// Keeps the gzipped body of the entry whose ETag is `etag`, if it is still cached.
    public func attachGzip(_ gzipBody: [UInt8], to key: Key, etag: String) {
        guard isEnabled else { return }
        let limit = shardBytes
        shard(of: key.vendorID).storage.withLock { state in
            guard var entry = state.entries[key], entry.etag == etag, entry.gzipBody == nil,
                  state.bytes + gzipBody.count <= limit else { return }
            entry.gzipBody = gzipBody
            state.entries[key] = entry
            state.bytes += gzipBody.count
        }
    }

    public var count: Int { shards.reduce(0) { total, shard in total + shard.storage.withLock { $0.entries.count } } }

    public var bytes: Int { shards.reduce(0) { total, shard in total + shard.storage.withLock { $0.bytes } } }
}

extension AvailabilityCache.Entry {
    /// The bytes this entry counts against the cap.
    var size: Int { body.count + (gzipBody?.count ?? 0) }
}

@testable import Coordinator
import Testing

/// An entry is the answer from the "now" it was computed for until the earliest of its
/// time-to-live and its own `validUntil`, for its revision only.
struct AvailabilityCacheTests {
    static let key = AvailabilityCache.Key(vendorID: "v", query: "startTime=a&endTime=b")

    static func cache() -> AvailabilityCache {
        AvailabilityCache(timeToLiveSeconds: 300, revisionTrustSeconds: 0)
    }

    @Test func anEntryIsServedFromItsComputationUntilItsValidUntil() {
        let cache = Self.cache()
        cache.store(Self.key, body: [1, 2, 3], etag: "\"e\"", revision: 7, now: 1_000, validUntil: 1_060)
        #expect(cache.lookup(Self.key, revision: 7, now: 999) == nil, "computed for a later now")
        #expect(cache.lookup(Self.key, revision: 7, now: 1_000)?.body == [1, 2, 3])
        #expect(cache.lookup(Self.key, revision: 7, now: 1_059)?.body == [1, 2, 3])
        #expect(cache.lookup(Self.key, revision: 7, now: 1_060) == nil, "validUntil is exclusive")
        #expect(cache.lookup(Self.key, revision: 8, now: 1_030) == nil, "another revision")
    }

    @Test func withoutValidUntilTheTimeToLiveEndsIt() {
        let cache = Self.cache()
        cache.store(Self.key, body: [1], etag: "\"e\"", revision: 1, now: 1_000, validUntil: nil)
        #expect(cache.lookup(Self.key, revision: 1, now: 1_299) != nil)
        #expect(cache.lookup(Self.key, revision: 1, now: 1_300) == nil)
        cache.store(Self.key, body: [2], etag: "\"f\"", revision: 1, now: 2_000, validUntil: 2_000)
        #expect(cache.lookup(Self.key, revision: 1, now: 2_000)?.body != [2], "an answer already past its end is not stored")
    }

    @Test func aDisabledCacheKeepsNothing() {
        let cache = AvailabilityCache(timeToLiveSeconds: 0)
        cache.store(Self.key, body: [1], etag: "\"e\"", revision: 1, now: 1_000, validUntil: nil)
        #expect(cache.lookup(Self.key, revision: 1, now: 1_000) == nil)
        #expect(cache.count == 0)
    }
}

/// Which vendor revision a cached answer may be checked against without reading it again: the
/// revision trust interval alone without a listener; while the revision listener listens and is
/// heard from, any revision read after it came up, until a notification announces a change.
/// Times are monotonic nanoseconds.
struct AvailabilityCacheRevisionTests {
    static let second: UInt64 = 1_000_000_000
    static let vendor = "3f0c9a51-9d1e-4b8a-a0c2-7e5d4b3a2f10"

    static func cache(trustSeconds: Double = 1) -> AvailabilityCache {
        AvailabilityCache(timeToLiveSeconds: 300, revisionTrustSeconds: trustSeconds)
    }

    static func at(_ seconds: Double) -> UInt64 { UInt64(seconds * 1e9) }

    @Test func withoutAListenerARevisionIsTrustedForTheIntervalOnly() {
        let cache = Self.cache()
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(100))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(100.9)) == 5)
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(101)) == nil)
        #expect(!cache.isListening)
    }

    @Test func whileTheListenerIsHeardFromARevisionReadAfterItCameUpIsTrustedBeyondTheInterval() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(11))
        for heard in stride(from: 11.0, through: 99.0, by: 0.5) { cache.listenerHeard(at: Self.at(heard)) }
        #expect(cache.isListening)
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(99.9)) == 5, "88 s after the read, heard 0.9 s ago")
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(100)) == nil, "not heard from for the trust interval")
        cache.listenerHeard(at: Self.at(100))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(100.1)) == 5, "heard from again")
    }

    @Test func aRevisionReadBeforeTheListenerCameUpIsForgotten() {
        let cache = Self.cache()
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(9.5))
        cache.listenerConnected(at: Self.at(10))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(10.1)) == nil, "a change before the LISTEN was never announced")
        // A read that began before the LISTEN and ended after it is not recorded either.
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(9.9))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(10.2)) == nil)
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(10.3))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(10.4)) == 5)
    }

    @Test func anAnnouncementStopsTheRevisionAndAReadThatBeganBeforeItIsNotRecorded() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(11))
        cache.revisionAnnounced(6, of: Self.vendor, at: Self.at(11.5))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(11.6)) == nil, "within the interval, yet announced stale")
        // Began before the notification arrived: its snapshot may predate the change, whatever it read.
        cache.noteRevision(6, of: Self.vendor, readAt: Self.at(11.4))
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(11.49))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(11.7)) == nil)
        cache.noteRevision(6, of: Self.vendor, readAt: Self.at(11.8))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(11.9)) == 6)
        #expect(cache.knownRevision(of: Self.vendor) == 6)
        #expect(cache.knownRevision(of: "another-vendor") == nil)
    }

    @Test func anAnnouncementOfARevisionAlreadyHeldKeepsIt() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.noteRevision(7, of: Self.vendor, readAt: Self.at(11))
        // This process's own hold: read back before its notification arrived.
        cache.revisionAnnounced(7, of: Self.vendor, at: Self.at(11.2))
        cache.revisionAnnounced(6, of: Self.vendor, at: Self.at(11.3))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(11.4)) == 7)
        #expect(cache.knownRevision(of: Self.vendor) == 7)
    }

    @Test func aRevisionBelowTheAnnouncedOneIsNotRecorded() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.revisionAnnounced(9, of: Self.vendor, at: Self.at(11))
        // Read later, yet older than announced: a replica that lags.
        cache.noteRevision(8, of: Self.vendor, readAt: Self.at(12))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(12.1)) == nil)
        cache.noteRevision(9, of: Self.vendor, readAt: Self.at(12.2))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(12.3)) == 9)
    }

    @Test func losingTheListenerForgetsEveryRevisionAndFallsBackToTheInterval() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(19.8))
        cache.listenerLost(at: Self.at(20))
        #expect(!cache.isListening)
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(20.1)) == nil, "read 0.3 s ago, but changes may have gone unheard")
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(19.9))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(20.1)) == nil, "a read that began before the loss")
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(20.5))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(21.4)) == 5)
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(21.5)) == nil, "the interval only, while down")
        // Listening again: what was read while down is forgotten too, then trusted past the interval.
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(21.6))
        cache.listenerConnected(at: Self.at(22))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(22.1)) == nil)
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(22.2))
        cache.listenerHeard(at: Self.at(40))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(40.5)) == 5)
    }

    @Test func aNotificationNamingNoVendorForgetsThemAll() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(11))
        cache.noteRevision(3, of: "other", readAt: Self.at(11))
        cache.forgetRevisions(at: Self.at(12))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(12.1)) == nil)
        #expect(cache.recentRevision(of: "other", at: Self.at(12.1)) == nil)
        #expect(cache.isListening, "still listening: only the notes are forgotten")
    }

    @Test func aChangeThroughThisProcessKeepsTheAnnouncedRevision() {
        let cache = Self.cache()
        cache.listenerConnected(at: Self.at(10))
        cache.revisionAnnounced(4, of: Self.vendor, at: Self.at(11))
        cache.noteRevision(4, of: Self.vendor, readAt: Self.at(12))
        cache.invalidateRevision(of: Self.vendor, at: Self.at(13))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(13.1)) == nil)
        #expect(cache.knownRevision(of: Self.vendor) == 4)
        cache.noteRevision(3, of: Self.vendor, readAt: Self.at(14))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(14.1)) == nil, "below the announced revision")
    }

    @Test func aTrustOfZeroReadsEveryRevisionEvenWhileListening() {
        let cache = Self.cache(trustSeconds: 0)
        cache.listenerConnected(at: Self.at(10))
        cache.noteRevision(5, of: Self.vendor, readAt: Self.at(11))
        #expect(cache.recentRevision(of: Self.vendor, at: Self.at(11)) == nil)
        #expect(!VendorRevisionListener.isUseful(for: cache))
        #expect(VendorRevisionListener.isUseful(for: Self.cache()))
        #expect(!VendorRevisionListener.isUseful(for: AvailabilityCache(timeToLiveSeconds: 0)))
    }

    @Test(arguments: [
        ("3f0c9a51-9d1e-4b8a-a0c2-7e5d4b3a2f10:42", "3f0c9a51-9d1e-4b8a-a0c2-7e5d4b3a2f10", Int64(42)),
        ("3F0C9A51-9D1E-4B8A-A0C2-7E5D4B3A2F10:7", "3f0c9a51-9d1e-4b8a-a0c2-7e5d4b3a2f10", Int64(7)),
    ])
    func theTriggersPayloadNamesTheVendorAndItsRevision(payload: String, vendor: String, revision: Int64) throws {
        let parsed = try #require(VendorRevisionListener.parse(payload))
        #expect(parsed.vendorID == vendor)
        #expect(parsed.revision == revision)
    }

    @Test(arguments: ["", "42", ":42", "vendor:", "vendor:x", "vendor:4.5"])
    func aPayloadThatIsNotTheTriggersIsRefused(payload: String) {
        #expect(VendorRevisionListener.parse(payload) == nil)
    }

    @Test func theHeartbeatIsHalfTheTrustIntervalWithinBounds() {
        #expect(VendorRevisionListener(url: "", cache: Self.cache(trustSeconds: 1)).heartbeatSeconds == 0.5)
        #expect(VendorRevisionListener(url: "", cache: Self.cache(trustSeconds: 60)).heartbeatSeconds == 1)
        #expect(VendorRevisionListener(url: "", cache: Self.cache(trustSeconds: 0.01)).heartbeatSeconds == 0.05)
    }
}

import Coordinator
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

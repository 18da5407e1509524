import BookijiCore
import CLibical

/// UTC offsets of one time zone, answered by libical and cached per six-hour bucket.
///
/// Local-to-UTC conversion follows RFC 5545 section 3.3.5 (libical's own conversion does not):
/// a wall-clock time inside a DST gap is read with the offset in force before the gap, and an
/// ambiguous time inside a DST overlap means its first occurrence.
///
/// All methods must be called with ``LibicalLock`` held.
// @unchecked Sendable: the libical zone and the cache are only touched under LibicalLock.
final class ZoneRules: @unchecked Sendable {
    /// The name the zone was resolved from (a TZID, an IANA name, or "UTC").
    let name: String
    /// `nil` for UTC.
    private let zone: OpaquePointer?
    /// True when the zone was built from the file's VTIMEZONE and must be freed here.
    private let owned: Bool
    private var buckets: [Int64: Bucket] = [:]

    private struct Bucket {
        var offsetBefore: Int32
        var transition: Int64
        var offsetAfter: Int32
    }

    private static let bucketSeconds: Int64 = 21_600
    /// libical only knows transitions for a bounded range of years; clamp queries to it.
    private static let earliest: Int64 = -5_364_662_400  // 1800-01-01
    private static let latest: Int64 = 7_258_118_400  // 2200-01-01

    static let utc = ZoneRules(name: "UTC", zone: nil, owned: false)

    init(name: String, zone: OpaquePointer?, owned: Bool) {
        self.name = name
        self.zone = zone
        self.owned = owned
    }

    deinit {
        if owned, let zone {
            LibicalLock.withLock { icaltimezone_free(zone, 1) }
        }
    }

    var isUTC: Bool { zone == nil }

    /// Seconds to add to UTC to get local time at the UTC instant `u`.
    func offset(atUTC u: Int64) -> Int64 {
        guard zone != nil else { return 0 }
        let key = u >= 0 ? u / Self.bucketSeconds : (u - Self.bucketSeconds + 1) / Self.bucketSeconds
        if let b = buckets[key] {
            return Int64(u < b.transition ? b.offsetBefore : b.offsetAfter)
        }
        let start = key * Self.bucketSeconds
        let end = start + Self.bucketSeconds - 1
        let o0 = libicalOffset(start)
        let o1 = libicalOffset(end)
        var bucket = Bucket(offsetBefore: o0, transition: Int64.max, offsetAfter: o0)
        if o0 != o1 {
            // Binary search for the first second carrying the new offset.
            var lo = start
            var hi = end
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if libicalOffset(mid) == o0 { lo = mid + 1 } else { hi = mid }
            }
            bucket = Bucket(offsetBefore: o0, transition: lo, offsetAfter: o1)
        }
        buckets[key] = bucket
        return Int64(u < bucket.transition ? bucket.offsetBefore : bucket.offsetAfter)
    }

    /// The UTC instant of the wall-clock reading `localSeconds` (see ``LocalDateTime/localSeconds``).
    func instant(forLocal localSeconds: Int64) -> Int64 {
        guard zone != nil else { return localSeconds }
        // Offsets a day either side bracket at most one transition in every real zone.
        let before = offset(atUTC: localSeconds - 86_400)
        let after = offset(atUTC: localSeconds + 86_400)
        let candidateBefore = localSeconds - before
        if before == after { return candidateBefore }
        let candidateAfter = localSeconds - after
        // Valid before the transition (includes the first of two readings in an overlap), or in
        // a gap where neither reading is valid: both use the offset before the transition.
        if offset(atUTC: candidateBefore) == before { return candidateBefore }
        if offset(atUTC: candidateAfter) == after { return candidateAfter }
        return candidateBefore
    }

    /// The wall-clock reading, in local seconds, of the UTC instant `u`.
    func local(forInstant u: Int64) -> Int64 { u + offset(atUTC: u) }

    private func libicalOffset(_ u: Int64) -> Int32 {
        let clamped = min(max(u, Self.earliest), Self.latest)
        let civil = LocalDateTime(localSeconds: clamped)
        var tt = icaltime_null_time()
        tt.year = Int32(civil.year)
        tt.month = Int32(civil.month)
        tt.day = Int32(civil.day)
        tt.hour = Int32(civil.hour)
        tt.minute = Int32(civil.minute)
        tt.second = Int32(civil.second)
        tt.is_date = 0
        tt.zone = icaltimezone_get_utc_timezone()
        var isDaylight: Int32 = 0
        return icaltimezone_get_utc_offset_of_utc_time(zone, &tt, &isDaylight)
    }
}

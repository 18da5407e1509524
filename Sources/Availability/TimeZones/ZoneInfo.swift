import BookijiCore

/// One IANA zone as a flat table of UTC offset changes, read from the system tzdata (TZif).
///
/// The footer rule of the file is expanded up to ``ZoneInfo/lastExpandedYear`` when the zone is
/// loaded, so looking up an offset is one binary search and walking the constant-offset pieces of
/// a window is a slice of two arrays. Loaded once per zone per process by ``ZoneCache``.
final class ZoneInfo: Sendable {
    /// Transitions are expanded through this year; later instants keep the last offset.
    static let lastExpandedYear = 2200

    let identifier: String
    /// UTC instants at which the offset changes, strictly ascending.
    let transitions: [Int64]
    /// `offsets[0]` applies before the first transition, `offsets[i + 1]` from `transitions[i]`.
    let offsets: [Int32]
    /// Distinct offsets in force at any time from 2000-01-01 on (used to validate granules).
    let offsetsSince2000: [Int32]

    init(identifier: String, transitions: [Int64], offsets: [Int32]) {
        precondition(offsets.count == transitions.count + 1)
        self.identifier = identifier
        self.transitions = transitions
        self.offsets = offsets
        let y2000: Int64 = 946_684_800
        var since: Set<Int32> = [offsets[Self.countAtOrBefore(y2000, in: transitions)]]
        for (i, t) in transitions.enumerated() where t > y2000 { since.insert(offsets[i + 1]) }
        self.offsetsSince2000 = since.sorted()
    }

    /// Number of transitions at or before `instant` (the index into `offsets`).
    static func countAtOrBefore(_ instant: Int64, in transitions: [Int64]) -> Int {
        var lo = 0, hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= instant { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Seconds east of UTC in force at `instant`.
    func offset(at instant: Int64) -> Int {
        Int(offsets[Self.countAtOrBefore(instant, in: transitions)])
    }

    /// Calls `body(pieceStart, pieceEnd, offset)` for each maximal constant-offset piece of
    /// `[from, to)`, in ascending order; pieces are clipped to the range.
    func forEachPiece(from: Int64, to: Int64, _ body: (Int64, Int64, Int) -> Void) {
        guard from < to else { return }
        var index = Self.countAtOrBefore(from, in: transitions)
        var start = from
        while start < to {
            let end = index < transitions.count ? min(transitions[index], to) : to
            if end > start { body(start, end, Int(offsets[index])) }
            start = end
            index += 1
        }
    }

    /// `+05:30`-style text for messages.
    static func formatOffset(_ seconds: Int32) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let magnitude = Int(seconds.magnitude)
        let h = magnitude / 3600, m = magnitude / 60 % 60
        return sign + (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}

extension ZoneInfo {
    /// Why a TZif file could not be used.
    struct LoadError: Error, Sendable, Equatable {
        var message: String
    }

    /// Builds the table from the bytes of a TZif file (RFC 8536, versions 1 to 4).
    static func parse(identifier: String, tzif data: [UInt8]) throws(LoadError) -> ZoneInfo {
        var reader = ByteReader(bytes: data)
        func fail(_ why: String) -> LoadError { LoadError(message: "\(identifier): not a usable TZif file (\(why))") }
        guard let header = reader.header() else { throw fail("bad header") }
        var counts = header.counts
        var timeSize = 4
        if header.version >= 2 {
            // Skip the 32-bit block and read the 64-bit one that follows.
            guard reader.skip(counts.v1BodySize), let second = reader.header() else { throw fail("truncated v1 data") }
            counts = second.counts
            timeSize = 8
        }
        var rawTimes: [Int64] = []
        for _ in 0..<counts.time {
            guard let t = timeSize == 8 ? reader.int64() : reader.int32().map(Int64.init) else { throw fail("truncated") }
            rawTimes.append(t)
        }
        var typeIndices: [Int] = []
        for _ in 0..<counts.time {
            guard let b = reader.byte() else { throw fail("truncated") }
            typeIndices.append(Int(b))
        }
        var typeOffsets: [Int32] = []
        for _ in 0..<counts.type {
            guard let off = reader.int32(), reader.skip(2) else { throw fail("truncated") }
            typeOffsets.append(off)
        }
        guard !typeOffsets.isEmpty, typeIndices.allSatisfy({ $0 < typeOffsets.count }) else {
            throw fail("bad local time types")
        }
        let skipRest = counts.char + counts.leap * (timeSize + 4) + counts.isStd + counts.isUT
        guard reader.skip(skipRest) else { throw fail("truncated") }

        var transitions: [Int64] = []
        var offsets: [Int32] = [typeOffsets[0]]
        func append(_ at: Int64, _ offset: Int32) {
            if let last = transitions.last, at <= last {
                // Equal instants: the later definition wins.
                if at == last { offsets[offsets.count - 1] = offset }
                return
            }
            if offset == offsets.last! { return }  // a name-only change is not an offset change
            transitions.append(at)
            offsets.append(offset)
        }
        for (t, type) in zip(rawTimes, typeIndices) { append(t, typeOffsets[type]) }

        if header.version >= 2 {
            guard let footer = reader.footer() else { throw fail("missing footer") }
            guard !footer.isEmpty else { return ZoneInfo(identifier: identifier, transitions: transitions, offsets: offsets) }
            guard let rule = PosixTZRule(footer) else { throw fail("bad footer '\(footer)'") }
            let lastExplicit = rawTimes.last ?? Int64.min
            let firstYear = max(1970, lastExplicit == Int64.min ? 1970 : Int(RFC3339.civilFromDays(lastExplicit / 86_400).year))
            var generated: [(at: Int64, offset: Int)] = []
            for year in firstYear...lastExpandedYear { generated += rule.transitions(in: year) }
            // Stable by construction order, so on ties the later-generated change wins.
            let ordered = generated.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            if rule.daylightOffset == nil, rawTimes.isEmpty { offsets[0] = Int32(rule.standardOffset) }
            for (_, change) in ordered where change.at > lastExplicit { append(change.at, Int32(change.offset)) }
            if rule.daylightOffset == nil, !rawTimes.isEmpty { append(lastExplicit + 1, Int32(rule.standardOffset)) }
        }
        return ZoneInfo(identifier: identifier, transitions: transitions, offsets: offsets)
    }

    private struct Counts {
        var isUT = 0, isStd = 0, leap = 0, time = 0, type = 0, char = 0
        var v1BodySize: Int { time * 5 + type * 6 + char + leap * 8 + isStd + isUT }
    }

    private struct ByteReader {
        let bytes: [UInt8]
        var i = 0

        mutating func skip(_ n: Int) -> Bool {
            guard n >= 0, i + n <= bytes.count else { return false }
            i += n
            return true
        }

        mutating func byte() -> UInt8? {
            guard i < bytes.count else { return nil }
            defer { i += 1 }
            return bytes[i]
        }

        mutating func int32() -> Int32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 { v = v << 8 | UInt32(bytes[i + k]) }
            i += 4
            return Int32(bitPattern: v)
        }

        mutating func int64() -> Int64? {
            guard i + 8 <= bytes.count else { return nil }
            var v: UInt64 = 0
            for k in 0..<8 { v = v << 8 | UInt64(bytes[i + k]) }
            i += 8
            return Int64(bitPattern: v)
        }

        mutating func header() -> (version: Int, counts: Counts)? {
            guard i + 44 <= bytes.count, Array(bytes[i..<i + 4]) == Array("TZif".utf8) else { return nil }
            let versionByte = bytes[i + 4]
            let version = versionByte == 0 ? 1 : Int(versionByte) - 48
            guard (1...9).contains(version) else { return nil }
            i += 20
            var c = Counts()
            guard let ut = int32(), let std = int32(), let leap = int32(), let time = int32(), let type = int32(),
                  let char = int32(), ut >= 0, std >= 0, leap >= 0, time >= 0, type >= 0, char >= 0 else { return nil }
            (c.isUT, c.isStd, c.leap, c.time, c.type, c.char) = (Int(ut), Int(std), Int(leap), Int(time), Int(type), Int(char))
            return (version, c)
        }

        /// The text between the newlines that close a v2+ file.
        mutating func footer() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\n") else { return nil }
            let start = i + 1
            guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }
}

import Testing
import BookijiCore

struct UTCIntervalTests {
    @Test func touchingIntervalsDoNotOverlap() {
        let a = UTCInterval(start: 0, end: 10)
        #expect(!a.overlaps(UTCInterval(start: 10, end: 20)))
        #expect(!UTCInterval(start: 10, end: 20).overlaps(a))
        #expect(a.overlaps(UTCInterval(start: 9, end: 20)))
        #expect(a.overlaps(UTCInterval(start: -5, end: 1)))
        #expect(a.overlaps(UTCInterval(start: 2, end: 3)))
        #expect(UTCInterval(start: 2, end: 3).overlaps(a))
    }

    @Test func emptyOrInvertedIntervalsOverlapNothing() {
        // Same rule as Postgres ranges (`'empty' && anything` is false), so the Swift check and the
        // database exclusion constraint agree.
        let span = UTCInterval(start: 0, end: 10)
        for odd in [UTCInterval(start: 5, end: 5), UTCInterval(start: 8, end: 2)] {
            #expect(odd.isEmpty)
            #expect(!odd.overlaps(span))
            #expect(!span.overlaps(odd))
            #expect(!odd.overlaps(odd))
        }
    }

    @Test func containsIsHalfOpen() {
        let a = UTCInterval(start: -10, end: 10)
        #expect(a.contains(-10))
        #expect(a.contains(9))
        #expect(!a.contains(10))
        #expect(!a.contains(-11))
        #expect(a.duration == 20)
        #expect(!UTCInterval(start: 3, end: 3).contains(3))
    }

    @Test func sortsByStartThenEnd() {
        let intervals = [
            UTCInterval(start: 5, end: 9), UTCInterval(start: -1, end: 4), UTCInterval(start: 5, end: 6),
        ]
        #expect(intervals.sorted().map(\.end) == [4, 6, 9])
    }

    @Test func describesItselfInRFC3339() {
        #expect(UTCInterval(start: -1, end: 0).description == "[1969-12-31T23:59:59Z, 1970-01-01T00:00:00Z)")
    }

    @Test func busyIntervalsOrderByIntervalThenStatusThenUID() {
        let a = BusyInterval(start: 0, end: 10, status: .tentative, uid: "b")
        let b = BusyInterval(start: 0, end: 10, status: .busy, uid: "z")
        let c = BusyInterval(start: 0, end: 10, status: .busy, uid: "a")
        let d = BusyInterval(start: -5, end: 0, status: .tentative)
        #expect([a, b, c, d].sorted() == [d, c, b, a])
    }
}

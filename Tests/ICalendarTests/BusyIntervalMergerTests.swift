import BookijiCore
import Testing

@testable import ICalendar

struct BusyIntervalMergerTests {
    @Test func mergesOverlappingAndTouchingIntervalsPerStatus() {
        let merged = BusyIntervalMerger.merge([
            busy("2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z", uid: "a"),
            busy("2024-03-01T09:30:00Z", "2024-03-01T11:00:00Z", uid: "b"),
            busy("2024-03-01T11:00:00Z", "2024-03-01T11:30:00Z", uid: "c"),
            busy("2024-03-01T13:00:00Z", "2024-03-01T14:00:00Z", uid: "d"),
            tentative("2024-03-01T10:00:00Z", "2024-03-01T12:00:00Z", uid: "t"),
            tentative("2024-03-01T08:00:00Z", "2024-03-01T09:00:00Z", uid: "u"),
        ])
        #expect(merged == [
            tentative("2024-03-01T08:00:00Z", "2024-03-01T09:00:00Z", uid: nil),
            busy("2024-03-01T09:00:00Z", "2024-03-01T11:30:00Z", uid: nil),
            tentative("2024-03-01T10:00:00Z", "2024-03-01T12:00:00Z", uid: nil),
            busy("2024-03-01T13:00:00Z", "2024-03-01T14:00:00Z", uid: nil),
        ])
    }

    @Test func containedIntervalsDisappearIntoTheirContainer() {
        let merged = BusyIntervalMerger.merge([
            busy("2024-03-01T09:00:00Z", "2024-03-01T17:00:00Z"), busy("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z"),
        ])
        #expect(merged == [busy("2024-03-01T09:00:00Z", "2024-03-01T17:00:00Z", uid: nil)])
        #expect(BusyIntervalMerger.merge([]).isEmpty)
    }
}

import BookijiCore
import Integrations
import Testing

@Suite("Google freebusy.query connector")
struct GoogleFreeBusyConnectorTests {
    @Test func returnsBusyTimeOfEachCalendarClippedToAWindowWithOddEdges() async throws {
        let fake = try await FakeCalendarServer.start()
        let (fixture, google) = Fixture.google(fake)
        // 09:30 on the first day to 10:15 three days later: cuts into the first and last busy blocks.
        let window = UTCInterval(start: Fixture.start + 9 * 3600 + 1800, end: Fixture.start + 3 * 86_400 + 10 * 3600 + 900)
        let ids = ["alice@example.com", "bob@example.com", "primary"]

        let result = try await google.fetch(calendars: ids, window: window)

        #expect(result.window == window)
        #expect(Set(result.calendars.keys) == Set(ids))
        for id in ids {
            let expected = FakeCalendarData.google(id, window)
            #expect(!expected.isEmpty)
            #expect(result.calendars[id]?.intervals == expected, "calendar \(id)")
            #expect(result.calendars[id]?.isComplete == true)
        }
        let requests = try await fake.requests("google")
        #expect(requests.count == 1)
        #expect(requests.first?.body["timeZone"] as? String == "UTC")
        #expect(requests.first?.authorization?.hasPrefix("Bearer ya29.fake-") == true)
        #expect(await fixture.tokens.refreshCount == 1)
    }

    @Test func splitsOneHundredTwentyCalendarsIntoBatchesOfFifty() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, google) = Fixture.google(fake)
        let ids = (0..<120).map { "cal\($0)@example.com" }
        let window = Fixture.window(days: 7)

        let result = try await google.fetch(calendars: ids + ["cal3@example.com"], window: window)

        let requests = try await fake.requests("google")
        #expect(requests.count == 3)
        #expect(requests.map(\.calendarIDs.count) == [50, 50, 20])
        #expect(requests.flatMap(\.calendarIDs) == ids, "each calendar asked once, in order")
        #expect(result.calendars.count == 120)
        for id in ["cal0@example.com", "cal77@example.com", "cal119@example.com"] {
            #expect(result.calendars[id]?.intervals == FakeCalendarData.google(id, window))
        }
    }

    @Test func splitsATwoHundredDayWindowIntoChunksOfAtMostNinetyDaysAndMergesAcrossThem() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, google) = Fixture.google(fake)
        let window = Fixture.window(days: 200)
        let id = "vendor@example.com"

        let result = try await google.fetch(calendars: [id], window: window)

        let windows = try await fake.requests("google").compactMap(\.window)
        #expect(windows.count == 3)
        #expect(windows.first?.start == window.start && windows.last?.end == window.end)
        for (a, b) in zip(windows, windows.dropFirst()) { #expect(a.end == b.start, "chunks are contiguous") }
        #expect(windows.allSatisfy { $0.end - $0.start <= 90 * 86_400 })
        let expected = FakeCalendarData.google(id, window)
        let boundary = windows[0].end
        #expect(
            expected.contains { $0.interval.start < boundary && boundary < $0.interval.end },
            "a busy block straddles the chunk boundary, so merging is exercised")
        #expect(result.calendars[id]?.intervals == expected)
    }

    @Test func surfacesPerCalendarNotFoundInEveryChunkWithoutDroppingOthers() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, google) = Fixture.google(fake)
        let window = Fixture.window(days: 100)

        let result = try await google.fetch(calendars: ["ok@example.com", "missing-room@example.com"], window: window)

        let missing = try #require(result.calendars["missing-room@example.com"])
        #expect(missing.intervals.isEmpty)
        #expect(missing.errors.map(\.reason) == ["notFound", "notFound"])
        #expect(missing.errors.allSatisfy { $0.domain == "global" })
        #expect(missing.errors.map(\.window.start) == [window.start, window.start + 90 * 86_400])
        #expect(result.incompleteCalendars == ["missing-room@example.com"])
        #expect(result.calendars["ok@example.com"]?.intervals == FakeCalendarData.google("ok@example.com", window))
    }

    @Test func requestTheAPIRefusesIsABadRequestAndNotRetried() async throws {
        let fake = try await FakeCalendarServer.start()
        let (fixture, _) = Fixture.google(fake)
        // Misconfigured to exceed the 90-day limit: the fake answers 400 timeRangeTooLong.
        let google = GoogleFreeBusyConnector(
            tokens: fixture.tokens, configuration: .init(baseURL: fake.googleAPI, maxWindowSeconds: 100 * 86_400),
            clock: fixture.recorder.clock)

        let error = await connectorError { _ = try await google.fetch(calendars: ["a"], window: Fixture.window(days: 100)) }

        #expect(error?.code == .badRequest)
        #expect(error?.httpStatus == 400)
        #expect(error?.message.contains("timeRangeTooLong") == true)
        #expect(try await fake.requests("google").count == 1)
        #expect(fixture.recorder.sleeps.isEmpty)
    }

    @Test func emptyWindowIsRefusedBeforeAnyRequest() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, google) = Fixture.google(fake)
        let error = await connectorError {
            _ = try await google.fetch(calendars: ["a"], window: UTCInterval(start: 100, end: 100))
        }
        #expect(error?.code == .invalidInput)
        #expect(try await fake.requests().isEmpty)
    }
}

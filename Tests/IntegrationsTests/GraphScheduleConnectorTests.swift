import BookijiCore
import Integrations
import Testing

@Suite("Microsoft Graph getSchedule connector")
struct GraphScheduleConnectorTests {
    @Test func mapsStatusesAndReadsOffsetlessTimesAsUTC() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, graph) = Fixture.graph(fake)
        let window = Fixture.window(days: 12)
        let ids = ["adele@contoso.com", "megan@contoso.com"]

        let result = try await graph.fetch(calendars: ids, window: window)

        for id in ids {
            let got = try #require(result.calendars[id]).intervals
            #expect(got == FakeCalendarData.graph(id, window), "calendar \(id)")
            #expect(got.contains { $0.status == .tentative })
            // workingElsewhere 07:00-08:00 on days ≡ 0 (mod 4) and free 18:00-19:00 leave no interval.
            #expect(!got.contains { ($0.interval.start % 86_400) == 7 * 3600 })
            #expect(!got.contains { ($0.interval.start % 86_400) == 18 * 3600 })
        }
        let request = try #require(try await fake.requests("graph").first)
        #expect(request.path == "/graph/v1.0/me/calendar/getSchedule")
        #expect(request.prefer == "outlook.timezone=\"UTC\"")
        #expect(request.body["availabilityViewInterval"] as? Int == 60)
        #expect((request.body["startTime"] as? [String: Any])?["timeZone"] as? String == "UTC")
    }

    @Test func workingElsewhereCanBeCountedAsTentative() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, graph) = Fixture.graph(fake) { $0.statusMapping = .init(workingElsewhere: .tentative) }
        let window = Fixture.window(days: 8)
        let result = try await graph.fetch(calendars: ["adele@contoso.com"], window: window)
        #expect(
            result.calendars["adele@contoso.com"]?.intervals
                == FakeCalendarData.graph("adele@contoso.com", window, workingElsewhere: .tentative))
    }

    @Test func splitsFortyFiveSchedulesIntoBatchesOfTwenty() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, graph) = Fixture.graph(fake)
        let ids = (0..<45).map { "room\($0)@contoso.com" }
        let window = Fixture.window(days: 3)

        let result = try await graph.fetch(calendars: ids, window: window)

        let requests = try await fake.requests("graph")
        #expect(requests.map(\.calendarIDs.count) == [20, 20, 5])
        #expect(requests.flatMap(\.calendarIDs) == ids)
        #expect(result.calendars["room44@contoso.com"]?.intervals == FakeCalendarData.graph("room44@contoso.com", window))
    }

    @Test func splitsAHundredDayWindowIntoChunksUnderFortyTwoDaysAndMergesAcrossThem() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, graph) = Fixture.graph(fake)
        let window = Fixture.window(days: 100)
        let id = "adele@contoso.com"

        let result = try await graph.fetch(calendars: [id], window: window)

        let windows = try await fake.requests("graph").compactMap(\.window)
        #expect(windows.count == 3)
        #expect(windows.allSatisfy { $0.end - $0.start < 42 * 86_400 })
        #expect(windows.first?.start == window.start && windows.last?.end == window.end)
        for (a, b) in zip(windows, windows.dropFirst()) { #expect(a.end == b.start) }
        let expected = FakeCalendarData.graph(id, window)
        let boundary = windows[0].end
        #expect(expected.contains { $0.interval.start < boundary && boundary < $0.interval.end })
        #expect(result.calendars[id]?.intervals == expected)
    }

    @Test func surfacesAScheduleErrorAndMatchesAddressesCaseInsensitively() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, graph) = Fixture.graph(fake)
        let window = Fixture.window(days: 2)
        try await fake.control(["graphLowercaseIds": true])

        let result = try await graph.fetch(calendars: ["missing@contoso.com", "Adele@Contoso.com"], window: window)

        let missing = try #require(result.calendars["missing@contoso.com"])
        #expect(missing.errors.map(\.reason) == ["ErrorMailRecipientNotFound"])
        #expect(missing.errors.first?.message?.contains("could not be found") == true)
        #expect(result.incompleteCalendars == ["missing@contoso.com"])
        #expect(result.calendars.keys.sorted() == ["Adele@Contoso.com", "missing@contoso.com"], "the caller's spelling")
        let adele = try #require(result.calendars["Adele@Contoso.com"])
        #expect(adele.isComplete)
        #expect(adele.intervals == FakeCalendarData.graph("Adele@Contoso.com", window))
    }

    @Test func fakeEnforcesGraphLimitsSoTheConnectorDefaultsAreMeaningful() async throws {
        let fake = try await FakeCalendarServer.start()
        let (_, tooLong) = Fixture.graph(fake) { $0.maxWindowSeconds = 42 * 86_400 }
        let longError = await connectorError {
            _ = try await tooLong.fetch(calendars: ["a@contoso.com"], window: Fixture.window(days: 50))
        }
        #expect(longError?.code == .badRequest)
        #expect(longError?.message.contains("ErrorTimeIntervalTooBig") == true)

        let (_, tooMany) = Fixture.graph(fake) { $0.maxSchedulesPerRequest = 21 }
        let manyError = await connectorError {
            _ = try await tooMany.fetch(calendars: (0..<21).map { "p\($0)@contoso.com" }, window: Fixture.window(days: 1))
        }
        #expect(manyError?.code == .badRequest)
        #expect(manyError?.message.contains("ErrorInvalidParameter") == true)
    }
}

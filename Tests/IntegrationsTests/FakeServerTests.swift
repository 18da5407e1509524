import Testing

/// The fake must refuse what the real APIs refuse, or the connector tests prove little.
@Suite("Fake calendar APIs follow the documented shapes")
struct FakeServerTests {
    static let day = ["timeMin": "2026-03-01T00:00:00Z", "timeMax": "2026-03-02T00:00:00Z"]

    @Test func googleRejectsAMissingTimeMinWithItsErrorShape() async throws {
        let fake = try await FakeCalendarServer.start()
        let token = try await fake.issueToken(google: true)
        let (status, body) = try await fake.post(
            "/google/calendar/v3/freeBusy", json: ["timeMax": "2026-03-02T00:00:00Z", "items": [["id": "a"]]], token: token)
        #expect(status == 400)
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["code"] as? Int == 400)
        let first = try #require((error["errors"] as? [[String: Any]])?.first)
        #expect(first["reason"] as? String == "required")
        #expect(first["domain"] as? String == "global")
    }

    @Test func googleRejectsMoreThanFiftyCalendarsAndOverNinetyDays() async throws {
        let fake = try await FakeCalendarServer.start()
        let token = try await fake.issueToken(google: true)
        var many: [String: Any] = Self.day
        many["items"] = (0..<51).map { ["id": "c\($0)"] }
        #expect(try await fake.post("/google/calendar/v3/freeBusy", json: many, token: token).status == 400)
        let long: [String: Any] = [
            "timeMin": "2026-01-01T00:00:00Z", "timeMax": "2026-04-02T00:00:00Z", "items": [["id": "a"]],
        ]
        #expect(try await fake.post("/google/calendar/v3/freeBusy", json: long, token: token).status == 400)
        var fifty: [String: Any] = Self.day
        fifty["items"] = (0..<50).map { ["id": "c\($0)"] }
        #expect(try await fake.post("/google/calendar/v3/freeBusy", json: fifty, token: token).status == 200)
    }

    @Test func graphRejectsTwentyOneSchedulesAndFortyTwoDaysWithItsErrorShape() async throws {
        let fake = try await FakeCalendarServer.start()
        let token = try await fake.issueToken(google: false)
        func body(_ schedules: Int, days: Int) -> [String: Any] {
            [
                "schedules": (0..<schedules).map { "p\($0)@contoso.com" },
                "startTime": ["dateTime": "2026-03-01T00:00:00", "timeZone": "UTC"],
                "endTime": ["dateTime": days == 42 ? "2026-04-12T00:00:00" : "2026-03-02T00:00:00", "timeZone": "UTC"],
                "availabilityViewInterval": 60,
            ]
        }
        let path = "/graph/v1.0/me/calendar/getSchedule"
        let tooMany = try await fake.post(path, json: body(21, days: 1), token: token)
        #expect(tooMany.status == 400)
        #expect((tooMany.body["error"] as? [String: Any])?["code"] as? String == "ErrorInvalidParameter")
        let tooLong = try await fake.post(path, json: body(1, days: 42), token: token)
        #expect(tooLong.status == 400)
        #expect((tooLong.body["error"] as? [String: Any])?["code"] as? String == "ErrorTimeIntervalTooBig")
        #expect(try await fake.post(path, json: body(20, days: 1), token: token).status == 200)
    }

    @Test func apisAnswer401WithoutAnIssuedToken() async throws {
        let fake = try await FakeCalendarServer.start()
        var body: [String: Any] = Self.day
        body["items"] = [["id": "a"]]
        let google = try await fake.post("/google/calendar/v3/freeBusy", json: body, token: "made-up")
        #expect(google.status == 401)
        let graph = try await fake.post("/graph/v1.0/me/calendar/getSchedule", json: [:], token: nil)
        #expect(graph.status == 401)
        #expect((graph.body["error"] as? [String: Any])?["code"] as? String == "InvalidAuthenticationToken")
    }
}

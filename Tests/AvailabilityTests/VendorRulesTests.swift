import Availability
import Foundation
import Testing

struct VendorRulesTests {
    static let documentedExample = """
        {
          "timeZone": "Europe/Berlin",
          "weeklyHours": {
            "monday":  [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "tuesday": [{"start": "09:00", "end": "17:00"}]
          },
          "dateOverrides": [
            {"date": "2026-12-24", "hours": []},
            {"date": "2026-12-31", "hours": [{"start": "10:00", "end": "14:00"}]}
          ],
          "slotMinutes": 30,
          "bufferBeforeMinutes": 0,
          "bufferAfterMinutes": 10,
          "minimumNoticeMinutes": 120,
          "bookingHorizonDays": 60,
          "granuleMinutes": 5
        }
        """

    static func decode(_ json: String) throws -> VendorRules {
        try JSONDecoder().decode(VendorRules.self, from: Data(json.utf8))
    }

    static var valid: VendorRules {
        VendorRules(
            timeZone: "Europe/Berlin",
            weeklyHours: WeeklyHours([LocalTimeRange("09:00", "12:00"), LocalTimeRange("13:00", "17:00")],
                                     on: [.monday, .tuesday, .wednesday, .thursday, .friday]),
            slotMinutes: 30)
    }

    @Test func documentedJSONDecodesToTheExpectedRules() throws {
        let rules = try Self.decode(Self.documentedExample)
        #expect(rules.timeZone == "Europe/Berlin")
        #expect(rules.weeklyHours.monday == [LocalTimeRange("09:00", "12:00"), LocalTimeRange("13:00", "17:00")])
        #expect(rules.weeklyHours.wednesday.isEmpty)
        #expect(rules.dateOverrides == [
            .closed(LocalDate(year: 2026, month: 12, day: 24)),
            DateOverride(date: LocalDate(year: 2026, month: 12, day: 31), hours: [LocalTimeRange("10:00", "14:00")]),
        ])
        #expect(rules.bufferAfterMinutes == 10 && rules.minimumNoticeMinutes == 120 && rules.bookingHorizonDays == 60)
        try rules.validate()
    }

    @Test func encodingRoundTripsAndWritesEveryKey() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rules = try Self.decode(Self.documentedExample)
        let data = try encoder.encode(rules)
        #expect(try JSONDecoder().decode(VendorRules.self, from: data) == rules)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == [
            "timeZone", "weeklyHours", "dateOverrides", "slotMinutes", "bufferBeforeMinutes", "bufferAfterMinutes",
            "minimumNoticeMinutes", "bookingHorizonDays", "granuleMinutes",
        ])
        let week = try #require(object["weeklyHours"] as? [String: Any])
        #expect(week.count == 7)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#"{"end":"12:00","start":"09:00"}"#))
        #expect(text.contains(#""date":"2026-12-24""#))
    }

    @Test func optionalKeysTakeTheirDefaults() throws {
        let rules = try Self.decode(#"{"timeZone": "UTC", "weeklyHours": {}, "slotMinutes": 60}"#)
        #expect(rules == VendorRules(timeZone: "UTC", weeklyHours: WeeklyHours(), slotMinutes: 60))
        #expect(rules.granuleMinutes == 5 && rules.bookingHorizonDays == 365 && rules.dateOverrides.isEmpty)
    }

    @Test(arguments: [
        (#"{"timeZone": "UTC", "weeklyHours": {}, "slotMinutes": 60, "bufferAfter": 5}"#, "bufferAfter"),
        (#"{"timeZone": "UTC", "weeklyHours": {"munday": []}, "slotMinutes": 60}"#, "munday"),
        (#"{"timeZone": "UTC", "weeklyHours": {"monday": [{"start": "9:00", "end": "10:00"}]}, "slotMinutes": 60}"#, "9:00"),
        (#"{"timeZone": "UTC", "weeklyHours": {"monday": [{"start": "09:00", "end": "24:30"}]}, "slotMinutes": 60}"#, "24:30"),
        (#"{"timeZone": "UTC", "weeklyHours": {"monday": [{"start": "09:00"}]}, "slotMinutes": 60}"#, "end"),
        (#"{"timeZone": "UTC", "weeklyHours": {}, "slotMinutes": 60, "dateOverrides": [{"date": "2026-02-30", "hours": []}]}"#, "2026-02-30"),
        (#"{"timeZone": "UTC", "weeklyHours": {}, "slotMinutes": 60, "dateOverrides": [{"date": "2026-02-03", "closed": true}]}"#, "closed"),
        (#"{"weeklyHours": {}, "slotMinutes": 60}"#, "timeZone"),
    ])
    func malformedDocumentsFailToDecodeNamingTheProblem(json: String, mention: String) {
        do {
            _ = try Self.decode(json)
            Issue.record("decoded: \(json)")
        } catch {
            #expect(String(describing: error).contains(mention), "\(error)")
        }
    }

    static func with(_ change: (inout VendorRules) -> Void) -> VendorRules {
        var rules = valid
        change(&rules)
        return rules
    }

    /// Each mutation of valid rules must fail with this code, field and message.
    @Test(arguments: [
        (Self.with { r in r.weeklyHours.monday = [LocalTimeRange("08:00", "09:00"), LocalTimeRange("10:00", "09:00")] },
         "invalid_interval", "weeklyHours.monday[1]", "weeklyHours.monday[1]: end 09:00 is before start 10:00"),
        (Self.with { r in r.weeklyHours.friday = [LocalTimeRange("09:00", "12:00"), LocalTimeRange("11:00", "13:00")] },
         "overlapping_intervals", "weeklyHours.friday[1]", "weeklyHours.friday[1]: 11:00-13:00 overlaps weeklyHours.friday[0] 09:00-12:00"),
        (Self.with { r in r.weeklyHours.sunday = [LocalTimeRange("13:00", "15:00"), LocalTimeRange("09:00", "18:00")] },
         "overlapping_intervals", "weeklyHours.sunday[1]", "weeklyHours.sunday[1]: 09:00-18:00 overlaps weeklyHours.sunday[0] 13:00-15:00"),
        (Self.with { r in r.weeklyHours.monday = [LocalTimeRange("09:00", "09:00")] },
         "invalid_interval", "weeklyHours.monday[0]", "weeklyHours.monday[0]: end 09:00 equals start; the interval is empty"),
        (Self.with { r in r.weeklyHours.monday = [LocalTimeRange(start: LocalTime(minutes: 540), end: LocalTime(minutes: 1500))] },
         "invalid_time_of_day", "weeklyHours.monday[0]", "weeklyHours.monday[0]: end 25:00 is not a time of day (00:00...24:00)"),
        (Self.with { r in r.weeklyHours.monday = [LocalTimeRange("09:07", "10:00")] },
         "misaligned_to_granule", "weeklyHours.monday[0]", "weeklyHours.monday[0]: start 09:07 is not a multiple of granuleMinutes 5"),
        (Self.with { r in r.timeZone = "Mars/Olympus_Mons" },
         "unknown_time_zone", "timeZone", "timeZone: unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as Europe/Berlin"),
        (Self.with { r in r.timeZone = "../../etc/passwd" },
         "unknown_time_zone", "timeZone", "timeZone: '../../etc/passwd' is not an IANA time zone name (e.g. Europe/Berlin)"),
        (Self.with { r in r.granuleMinutes = 7 },
         "invalid_granule", "granuleMinutes", "granuleMinutes: 7 must divide 60 (one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)"),
        (Self.with { r in r.granuleMinutes = 10; r.slotMinutes = 25 },
         "misaligned_to_granule", "slotMinutes", "slotMinutes: 25 is not a multiple of granuleMinutes 10"),
        (Self.with { r in r.timeZone = "Asia/Kolkata"; r.granuleMinutes = 60; r.slotMinutes = 60 },
         "invalid_granule", "granuleMinutes",
         "granuleMinutes: 60 does not divide the UTC offset +05:30 that Asia/Kolkata uses, so local hours would fall between granules; use a granule that divides it, e.g. 15 or 5"),
        (Self.with { r in r.slotMinutes = 0 },
         "out_of_range", "slotMinutes", "slotMinutes: 0 minutes is outside 1...1440"),
        (Self.with { r in r.bufferAfterMinutes = 12 },
         "misaligned_to_granule", "bufferAfterMinutes", "bufferAfterMinutes: 12 is not a multiple of granuleMinutes 5"),
        (Self.with { r in r.bufferBeforeMinutes = -5 },
         "out_of_range", "bufferBeforeMinutes", "bufferBeforeMinutes: -5 minutes is outside 0...1440"),
        (Self.with { r in r.minimumNoticeMinutes = -1 },
         "out_of_range", "minimumNoticeMinutes", "minimumNoticeMinutes: -1 is outside 0...527040"),
        (Self.with { r in r.bookingHorizonDays = 0 },
         "out_of_range", "bookingHorizonDays", "bookingHorizonDays: 0 is outside 1...3660"),
        (Self.with { r in
            r.dateOverrides = [.closed(LocalDate(year: 2026, month: 5, day: 1)), .closed(LocalDate(year: 2026, month: 5, day: 1))] },
         "duplicate_date", "dateOverrides[1].date", "dateOverrides[1].date: 2026-05-01 already has an override at dateOverrides[0]; merge their hours"),
        (Self.with { r in r.dateOverrides = [.closed(LocalDate(year: 2026, month: 2, day: 29))] },
         "invalid_date", "dateOverrides[0].date", "dateOverrides[0].date: 2026-02-29 is not a calendar date"),
        (Self.with { r in
            r.dateOverrides = [DateOverride(date: LocalDate(year: 2026, month: 5, day: 1), hours: [LocalTimeRange("12:00", "10:00")])] },
         "invalid_interval", "dateOverrides[0].hours[0]", "dateOverrides[0].hours[0]: end 10:00 is before start 12:00"),
    ])
    func invalidRulesAreRefusedNamingTheField(rules: VendorRules, code: String, field: String, description: String) {
        do {
            try rules.validate()
            Issue.record("accepted: \(description)")
        } catch {
            #expect(error.code.rawValue == code)
            #expect(error.field == field)
            #expect(error.description == description)
        }
    }

    @Test func touchingIntervalsAndFullDaysAreValid() throws {
        var rules = Self.valid
        rules.weeklyHours.saturday = [LocalTimeRange("00:00", "12:00"), LocalTimeRange("12:00", "24:00")]
        rules.timeZone = "Australia/Lord_Howe"
        rules.granuleMinutes = 30
        try rules.validate()
        #expect(throws: RuleValidationError.self) {
            var sixty = rules
            sixty.granuleMinutes = 60
            try sixty.validate()
        }
    }
}

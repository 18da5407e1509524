/// Microsoft Graph `dateTimeTimeZone`: a wall-clock time without offset, plus its zone.
struct GraphDateTimeTimeZone: Codable {
    var dateTime: String
    var timeZone: String
}

/// `POST /me/calendar/getSchedule` request body.
struct GraphScheduleRequest: Encodable {
    var schedules: [String]
    var startTime: GraphDateTimeTimeZone
    var endTime: GraphDateTimeTimeZone
    var availabilityViewInterval: Int
}

/// `getSchedule` response: a collection of `scheduleInformation`; only the fields we read.
struct GraphScheduleResponse: Decodable {
    struct Item: Decodable {
        var status: String?
        var start: GraphDateTimeTimeZone
        var end: GraphDateTimeTimeZone
    }
    struct FreeBusyError: Decodable {
        var message: String?
        var responseCode: String?
    }
    struct Information: Decodable {
        var scheduleId: String
        var scheduleItems: [Item]?
        var error: FreeBusyError?
    }
    var value: [Information]
}

/// Graph's JSON error body: `{"error": {"code", "message", "innerError"}}`.
struct GraphErrorBody: Decodable {
    struct Error: Decodable {
        var code: String?
        var message: String?
    }
    var error: Error
}

/// Google Calendar API v3 `freebusy.query` request body.
struct GoogleFreeBusyRequest: Encodable {
    struct Item: Encodable { var id: String }
    var timeMin: String
    var timeMax: String
    var timeZone: String
    var items: [Item]
}

/// `freebusy.query` response (`calendar#freeBusy`); only the fields we read.
struct GoogleFreeBusyResponse: Decodable {
    struct Period: Decodable {
        var start: String
        var end: String
    }
    struct CalendarError: Decodable {
        var domain: String?
        var reason: String?
    }
    struct Calendar: Decodable {
        var busy: [Period]?
        var errors: [CalendarError]?
    }
    var calendars: [String: Calendar]?
}

/// Google's JSON error body: `{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`.
struct GoogleErrorBody: Decodable {
    struct Detail: Decodable {
        var domain: String?
        var reason: String?
        var message: String?
    }
    struct Error: Decodable {
        var code: Int?
        var message: String?
        var errors: [Detail]?
    }
    var error: Error
}

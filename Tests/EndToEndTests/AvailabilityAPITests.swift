import BookijiCore
import Foundation
import Gzip
import Postgres
import Store
import Testing

/// `GET /v1/vendors/{id}/availability` through nginx, with rules set by the CLI and busy time
/// written by the calendar store.
@Suite(.serialized)
struct AvailabilityAPITests {
    /// Monday 2029-11-26 in Berlin (UTC+1): 09:00-12:00 local is 08:00-11:00Z. Years ahead, with a
    /// horizon that reaches it, so that "now" (the responder's clock) is never near the window:
    /// minimum notice and the horizon then mark nothing in it, whatever day the tests run.
    static let mondayRules = """
        {"timeZone":"Europe/Berlin","weeklyHours":{"monday":[{"start":"09:00","end":"12:00"}]},"slotMinutes":30,"bookingHorizonDays":3660}
        """
    static let window = "startTime=2029-11-26T08:00:00Z&endTime=2029-11-26T12:00:00Z&slotDuration=30"

    func setUp(_ service: Service, rules: String = mondayRules) throws -> (key: String, vendor: String) {
        let key = try service.createPartner().key
        let vendor = try service.createVendor()
        let file = service.directoryPath("rules.json")
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", vendor, "--file", file])
        return (key, vendor)
    }

    func slots(_ response: WireResponse) -> [[String: Any]] {
        response.json["slots"] as? [[String: Any]] ?? []
    }

    @Test func workingHoursDecideAvailabilityWithReasonsAndConfidence() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let response = try service.get("/v1/vendors/\(vendor)/availability?\(Self.window)&includeConfidence=true", key: key)
        #expect(response.status == 200)
        let slots = slots(response)
        try #require(slots.count == 8)
        #expect(slots.map { $0["isAvailable"] as? Bool } == [true, true, true, true, true, true, false, false])
        #expect(slots.first?["startTime"] as? String == "2029-11-26T08:00:00Z")
        #expect(slots.last?["endTime"] as? String == "2029-11-26T12:00:00Z")
        #expect(slots[0]["confidence"] as? Double == 1.0)
        #expect(slots[7]["confidence"] as? Double == 0.4)
        #expect(slots[7]["reasons"] as? [String] == ["outside_working_hours"])
        let descriptions = response.json["reasonDescriptions"] as? [String: String]
        #expect(descriptions?["outside_working_hours"]?.isEmpty == false)
        let version = response.json["computedVersion"] as? String
        #expect(version?.count == 22, "128 bits of SHA-256 in base64url")
        #expect(slots.allSatisfy { $0["computedVersion"] as? String == version })
        let metadata = response.json["metadata"] as? [String: Any]
        #expect((metadata?["computationTimeMs"] as? Double ?? -1) >= 0)
        #expect(response.header("etag")?.contains(version ?? "-") == true)
        #expect(response.header("cache-control") == "private, no-cache")

        let plain = try service.get("/v1/vendors/\(vendor)/availability?\(Self.window)", key: key)
        #expect(self.slots(plain).allSatisfy { $0["confidence"] == nil }, "includeConfidence defaults to false")
        let only = try service.get("/v1/vendors/\(vendor)/availability?\(Self.window)&onlyAvailable=true", key: key)
        #expect(self.slots(only).count == 6)
    }

    @Test func busyAndTentativeCalendarTimeBlockSlotsAndChangeTheVersion() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)&includeConfidence=true"
        let before = try service.get(path, key: key)
        let etag = try #require(before.header("etag"))

        let db = try service.sql()
        let calendars = CalendarStore(Session(db))
        try db.transaction { conn in
            let source = try CalendarStore(Session(conn)).findOrCreateSource(vendorID: vendor, name: "work", kind: .icsFile)
            try CalendarStore(Session(conn)).replaceIntervals(
                source: source,
                covered: UTCInterval(start: try RFC3339.parse("2029-11-26T00:00:00Z"), end: try RFC3339.parse("2029-11-27T00:00:00Z")),
                intervals: [
                    BusyInterval(start: try RFC3339.parse("2029-11-26T08:00:00Z"), end: try RFC3339.parse("2029-11-26T08:30:00Z"), status: .busy),
                    BusyInterval(start: try RFC3339.parse("2029-11-26T09:00:00Z"), end: try RFC3339.parse("2029-11-26T09:30:00Z"), status: .tentative),
                ], contentDigest: nil)
        }
        #expect(try calendars.sources(vendorID: vendor).first?.status == "ok")

        let cached = try service.get(path, key: key, headers: ["If-None-Match": etag])
        #expect(cached.status == 200, "a new revision must not answer 304 for the old version")
        let slots = slots(cached)
        try #require(slots.count == 8)
        #expect(slots[0]["reasons"] as? [String] == ["calendar_busy"])
        #expect(slots[0]["confidence"] as? Double == 0.0)
        #expect(slots[2]["reasons"] as? [String] == ["calendar_tentative"])
        #expect(slots[2]["confidence"] as? Double == 0.2)
        #expect(slots[1]["isAvailable"] as? Bool == true)
        #expect(cached.json["computedVersion"] as? String != before.json["computedVersion"] as? String)
    }

    @Test func ifNoneMatchAnswers304WithoutABodyAndChangedRulesAnswer200() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)"
        let first = try service.get(path, key: key)
        let etag = try #require(first.header("etag"))
        let again = try service.get(path, key: key, headers: ["If-None-Match": etag])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(again.header("etag") == etag)

        let file = service.directoryPath("rules2.json")
        try Self.mondayRules.replacingOccurrences(of: "12:00", with: "11:00").write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", vendor, "--file", file])
        let changed = try service.get(path, key: key, headers: ["If-None-Match": etag])
        #expect(changed.status == 200)
        #expect(slots(changed).filter { $0["isAvailable"] as? Bool == true }.count == 4)
    }

    /// A change made by another process (here the CLI) reaches cached answers within the time
    /// the responder trusts a vendor's revision.
    @Test func changesMadeElsewhereShowWithinTheRevisionTrustInterval() throws {
        let service = try Service(responderArguments: ["--availability-revision-seconds", "1"])
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)"
        let etag = try #require(try service.get(path, key: key).header("etag"))
        let file = service.directoryPath("rules2.json")
        try Self.mondayRules.replacingOccurrences(of: "12:00", with: "11:00").write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", vendor, "--file", file])
        let changedAt = Date()
        var changed: WireResponse?
        #expect(eventually(seconds: 10) {
            changed = try? service.get(path, key: key, headers: ["If-None-Match": etag])
            return changed?.status == 200
        })
        #expect(Date().timeIntervalSince(changedAt) < 2, "seen within the 1 s trust interval (plus slack)")
        #expect(slots(try #require(changed)).filter { $0["isAvailable"] as? Bool == true }.count == 4)
    }

    static let week = "startTime=2029-11-26T00:00:00Z&endTime=2029-12-03T00:00:00Z&slotDuration=30&includeConfidence=true"

    /// A client that accepts gzip gets the cached answer compressed, with its own entity tag.
    @Test func gzipIsSentToClientsThatAcceptIt() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.week)"
        let plain = try service.get(path, key: key)
        #expect(plain.status == 200)
        #expect(plain.header("content-encoding") == nil)
        #expect(plain.header("vary") == "Accept-Encoding")
        // Once compressed on first demand, then from the cache.
        for _ in 0..<2 {
            let zipped = try service.get(path, key: key, headers: ["Accept-Encoding": "gzip, deflate"])
            #expect(zipped.status == 200)
            #expect(zipped.header("content-encoding") == "gzip")
            #expect(zipped.header("vary") == "Accept-Encoding")
            #expect(zipped.body.count * 5 < plain.body.count, "\(zipped.body.count) bytes gzipped, \(plain.body.count) plain")
            #expect(Gzip.decompress(zipped.body) == plain.body, "the cached answer, byte for byte")
            let plainTag = try #require(plain.header("etag")), zippedTag = try #require(zipped.header("etag"))
            #expect(zippedTag == String(plainTag.dropLast()) + "-gzip\"")
            // Either tag stands for the same content.
            #expect(try service.get(path, key: key, headers: ["If-None-Match": plainTag, "Accept-Encoding": "gzip"]).status == 304)
            #expect(try service.get(path, key: key, headers: ["If-None-Match": zippedTag]).status == 304)
        }
        // Small answers are not worth compressing.
        let small = try service.get(
            "/v1/vendors/\(vendor)/availability?startTime=2029-11-26T08:00:00Z&endTime=2029-11-26T09:00:00Z&slotDuration=60",
            key: key, headers: ["Accept-Encoding": "gzip"])
        #expect(small.status == 200)
        #expect(small.body.count < 1024)
        #expect(small.header("content-encoding") == nil)
    }

    /// Without the cache an answer is sent once: a gzip client gets it from the fast pass, which
    /// inflates to the plain answer apart from the instant and time it was computed.
    @Test func withTheCacheOffGzipClientsGetTheFastPass() throws {
        let service = try Service(responderArguments: ["--availability-cache-seconds", "0"])
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.week)"
        let zipped = try service.get(path, key: key, headers: ["Accept-Encoding": "gzip"])
        let plain = try service.get(path, key: key)
        #expect(zipped.status == 200)
        #expect(zipped.header("content-encoding") == "gzip")
        #expect(zipped.header("vary") == "Accept-Encoding")
        #expect(plain.header("content-encoding") == nil)
        let inflated = try #require(Gzip.decompress(zipped.body))
        #expect(zipped.body.count * 5 < inflated.count, "\(zipped.body.count) bytes gzipped, \(inflated.count) plain")
        #expect(Self.withoutTimestamps(inflated) == Self.withoutTimestamps(plain.body))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(inflated)) as? [String: Any])
        #expect((json["slots"] as? [Any])?.count == 336)
        let plainTag = try #require(plain.header("etag"))
        #expect(zipped.header("etag") == String(plainTag.dropLast()) + "-gzip\"")
    }

    /// An answer's text without what differs between two computations of the same inputs: when
    /// it was computed and how long that took.
    static func withoutTimestamps(_ body: [UInt8]) -> String {
        String(decoding: body, as: UTF8.self)
            .replacingOccurrences(of: #""computedAt":"[^"]*""#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #""computationTimeMs":[0-9.e-]+"#, with: "", options: .regularExpression)
    }

    @Test func sameInputsGiveTheSameBytesApartFromTimestamps() throws {
        let service = try Service(responderArguments: ["--availability-cache-seconds", "0"])
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)&includeConfidence=true"
        let a = try service.get(path, key: key)
        let b = try service.get(path, key: key)
        #expect(a.status == 200)
        #expect(Self.withoutTimestamps(a.body) == Self.withoutTimestamps(b.body))
        #expect(a.header("etag") == b.header("etag"))
    }

    /// Cached answers read the vendor's revision each time when told to trust it for 0 s, and
    /// not at all while it is trusted.
    @Test(arguments: [0, 600])
    func aCachedAnswerCostsAtMostOneIndexedLookupOfTheVendor(trustSeconds: Int) throws {
        // Without the revision listener, whose LISTEN session this test would end with the
        // others and whose heartbeat the statement log would count (RevisionInvalidationTests).
        let service = try Service(responderArguments: [
            "--threads", "1", "--availability-revision-seconds", String(trustSeconds), "--no-revision-listener",
        ])
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)"
        // Log every statement of this database; the responder's reconnected session picks it up.
        let admin = try service.sql()
        try admin.execute(script: "ALTER DATABASE \(service.database) SET log_statement = 'all'")
        // Listed first and terminated one by one: in one statement the planner may call
        // pg_terminate_backend before checking `pid <> pg_backend_pid()` and end this session.
        let others = try admin.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).map { try $0.int(0) }
        for pid in others { try admin.query("SELECT pg_terminate_backend($1)", [pid]) }
        #expect(eventually(seconds: 5) {
            (try? admin.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").first!.int(0)) == 0
        })
        // Stay clear of a minute boundary, in case the window's notice boundary is moving.
        while Int(Date().timeIntervalSince1970) % 60 > 45 { usleep(500_000) }
        #expect(try service.get(path, key: key).status == 200)  // computes, caches, caches the key
        let marker = "marker_\(UUID().uuidString.prefix(8))"
        let logAdmin = try service.sql()
        try logAdmin.query("SELECT $1::text", ["\(marker)_begin"])
        for _ in 0..<5 { #expect(try service.get(path, key: key).status == 200) }
        try logAdmin.query("SELECT $1::text", ["\(marker)_end"])

        let log = try String(contentsOfFile: service.cluster.directory + "/postgres.log", encoding: .utf8)
        let between = log.components(separatedBy: "\(marker)_begin").last?.components(separatedBy: "\(marker)_end").first ?? ""
        let statements = between.split(separator: "\n")
            .filter { ($0.contains("LOG:  execute") || $0.contains("LOG:  statement")) && !$0.contains("SELECT $1::text") }
        let expected = trustSeconds == 0 ? 5 : 0
        #expect(statements.count == expected, "\(expected) statements for 5 cached requests:\n\(statements.joined(separator: "\n"))")
        #expect(statements.allSatisfy { $0.contains("SELECT revision FROM vendors WHERE id = $1::uuid") })
        #expect(log.contains("\(marker)_end"), "the log holds the end marker, so the count covers the requests")
    }

    @Test(arguments: [
        ("endTime=2029-11-26T12:00:00Z", "startTime"),
        ("startTime=2029-11-26&endTime=2029-11-26T12:00:00Z", "startTime"),
        ("startTime=2029-11-26T12:00:00Z&endTime=2029-11-26T08:00:00Z", "endTime"),
        ("startTime=2029-11-26T12:00:00Z&endTime=2029-11-26T12:00:00Z", "endTime"),
        ("startTime=2029-11-26T00:00:00Z&endTime=2030-01-28T00:00:01Z", "endTime"),
        ("startTime=2029-11-26T08:00:00Z&endTime=2029-11-26T12:00:00Z&slotDuration=0", "slotDuration"),
        ("startTime=2029-11-26T08:00:00Z&endTime=2029-11-26T12:00:00Z&slotDuration=abc", "slotDuration"),
        ("startTime=2029-11-26T08:00:00Z&endTime=2029-11-26T12:00:00Z&includeConfidence=maybe", "includeConfidence"),
    ])
    func badQueriesAre400NamingTheParameter(query: String, parameter: String) throws {
        let service = try Service()
        defer { service.stop() }
        let (key, vendor) = try setUp(service)
        let response = try service.get("/v1/vendors/\(vendor)/availability?\(query)", key: key)
        #expect(response.status == 400)
        #expect(response.errorCode == "invalid_parameter")
        #expect((response.error?["details"] as? [String: Any])?["parameter"] as? String == parameter)
        #expect(response.error?["retryable"] as? Bool == false)
    }

    @Test func windowLimitIsStatedAndUnknownVendorIs404() throws {
        let service = try Service()
        defer { service.stop() }
        let (key, _) = try setUp(service)
        let tooLong = try service.get(
            "/v1/vendors/\(try service.createVendor())/availability?startTime=2029-11-01T00:00:00Z&endTime=2030-01-15T00:00:00Z", key: key)
        #expect(tooLong.status == 400)
        #expect((tooLong.error?["message"] as? String)?.contains("62 days") == true)
        let missing = try service.get("/v1/vendors/00000000-0000-0000-0000-000000000000/availability?\(Self.window)", key: key)
        #expect(missing.status == 404)
        #expect(missing.errorCode == "vendor_not_found")
    }

    @Test func invalidRulesAreRefusedNamingTheField() throws {
        let service = try Service()
        defer { service.stop() }
        let vendor = try service.createVendor()
        let file = service.directoryPath("bad.json")
        try """
            {"timeZone":"Europe/Berlin","weeklyHours":{"monday":[{"start":"09:00","end":"12:00"},{"start":"11:00","end":"13:00"}]},"slotMinutes":30}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            try service.bookiji(["vendor", "rules", "set", vendor, "--file", file])
        } throws: { error in
            "\(error)".contains("weeklyHours.monday")
        }
    }

    @Test func reimportingAWindowKeepsThePartsOfStraddlingIntervalsOutsideIt() throws {
        let service = try Service()
        defer { service.stop() }
        let vendor = try service.createVendor()
        let db = try service.sql()
        let jan1 = try RFC3339.parse("2027-01-01T00:00:00Z"), feb1 = try RFC3339.parse("2027-02-01T00:00:00Z")
        let mar1 = try RFC3339.parse("2027-03-01T00:00:00Z"), apr1 = try RFC3339.parse("2027-04-01T00:00:00Z")
        try db.transaction { conn in
            let store = CalendarStore(Session(conn))
            let source = try store.findOrCreateSource(vendorID: vendor, name: "feed", kind: .icsFile)
            try store.replaceIntervals(
                source: source, covered: UTCInterval(start: jan1, end: mar1),
                intervals: [BusyInterval(start: jan1, end: mar1, status: .busy, uid: "long")], contentDigest: "a")
        }
        try db.transaction { conn in
            let store = CalendarStore(Session(conn))
            let source = try store.findOrCreateSource(vendorID: vendor, name: "feed", kind: .icsFile)
            try store.replaceIntervals(source: source, covered: UTCInterval(start: feb1, end: apr1), intervals: [], contentDigest: "b")
        }
        let left = try VendorStore(Session(db)).occupancy(id: vendor, overlapping: UTCInterval(start: jan1, end: apr1), now: jan1)?.busy
        #expect(left == [BusyInterval(start: jan1, end: feb1, status: .busy)])
        let uids = try db.query("SELECT uid FROM calendar_intervals WHERE vendor_id = $1::uuid", [vendor]).map { try $0.string(0) }
        #expect(uids == ["long"], "the part kept keeps its UID")
    }
}

import BookijiCore
@testable import Coordinator
import FastCGI
import Foundation
@testable import PartnerAPI
import Testing

/// Input a hostile client sends (issue 14, point 5): each is refused with a 4xx that names the
/// field or parameter, never a 500 and never `retryable: true`.
struct HostileInputTests {
    private func refusal(_ text: String) -> BookijiError? {
        #expect(throws: BookijiError.self) { try JSONBody(Array(text.utf8)) }
    }

    // MARK: NUL

    @Test(arguments: [
        (#"{"requesterId":"a\u0000b"}"#, "requesterId"),
        (#"{"metadata":{"note":"x\u0000"}}"#, "metadata.note"),
        (#"{"metadata":{"deep":{"list":["ok","\u0000"]}}}"#, "metadata.deep.list[1]"),
        (#"{"metadata":{"ke\u0000y":"v"}}"#, "metadata.ke"),
        (#"{"events":["reservation.created","\u0000"]}"#, "events[1]"),
    ])
    func nulInAnyStringIsInvalidRequestNamingTheField(_ text: String, _ field: String) {
        let error = refusal(text)
        #expect(error?.code == .invalidRequest)
        #expect(error?.code.isRetryable == false)
        #expect(error?.details["field"] == .text(field), "\(error?.message ?? "accepted")")
        #expect(error?.message.contains("NUL") == true)
    }

    @Test func escapedCharactersOtherThanNULPass() throws {
        let body = try JSONBody(Array(#"{"a":"\u0001\u00e9\u1000"}"#.utf8))
        #expect(try body.string("a") == "\u{1}é\u{1000}")
    }

    @Test func nulInAPathOrQueryParameterIsInvalidParameterNamingIt() {
        func check(path: [String: String], query: String) -> BookijiError? {
            let context = RequestContext(
                request: HTTPRequest(method: "GET", path: "/x", query: query), pathParameters: path, partner: nil)
            return #expect(throws: BookijiError.self) { try RequestInput.refuseNUL(context) }
        }
        let inPath = check(path: ["reservationId": "abc\u{0}"], query: "")
        #expect(inPath?.code == .invalidParameter)
        #expect(inPath?.details == ["parameter": "reservationId"])
        let inQuery = check(path: [:], query: "limit=5&state=HE%00LD")
        #expect(inQuery?.details == ["parameter": "state"])
        let inName = check(path: [:], query: "a%00b=1")
        #expect(inName?.details == ["parameter": "a?b"])
        let clean = RequestContext(request: HTTPRequest(method: "GET", path: "/x", query: "a=%41&b=c"), pathParameters: ["id": "x"], partner: nil)
        #expect(throws: Never.self) { try RequestInput.refuseNUL(clean) }
    }

    // MARK: Cost bounded while scanning

    /// The body that cost 2.1 s of a responder thread (80,000 metadata keys, 1 MiB) is refused at
    /// its 257th key, before Foundation builds anything.
    @Test func manyKeysAreRefusedWhileScanning() {
        let members = (0..<80_000).map { #""k\#($0)":"v""# }.joined(separator: ",")
        let text = #"{"vendorId":"x","metadata":{"# + members + "}}"
        let started = ContinuousClock.now
        let error = refusal(text)
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .invalidRequest)
        #expect(error?.details == ["field": "metadata", "limit": 256])
        #expect(error?.message == "'metadata' has more than 256 members; send fewer")
        #expect(elapsed < .milliseconds(200), "took \(elapsed)")
    }

    @Test func valuesInAllAreBounded() {
        let inner = "[" + Array(repeating: "1", count: 200).joined(separator: ",") + "]"
        let text = #"{"a":["# + Array(repeating: inner, count: 25).joined(separator: ",") + "]}"
        let error = refusal(text)
        #expect(error?.code == .invalidRequest)
        #expect(error?.details["limit"] == 4096)
        #expect(error?.message.hasPrefix("the body has more than 4096 values") == true, "\(error?.message ?? "accepted")")
    }

    @Test func longStringsAreBounded() throws {
        let error = refusal(#"{"note":""# + String(repeating: "x", count: 16_385) + #""}"#)
        #expect(error?.details == ["field": "note", "limit": 16384])
        _ = try JSONBody(Array((#"{"note":""# + String(repeating: "x", count: 16_384) + #""}"#).utf8))
    }

    @Test func metadataLimitsNameTheLimit() throws {
        func check(_ object: [String: Any]) -> BookijiError? {
            #expect(throws: BookijiError.self) { try ReservationMetadata.checkedJSON(object) }
        }
        let keys = Dictionary(uniqueKeysWithValues: (0..<51).map { ("k\($0)", "v" as Any) })
        #expect(check(keys)?.details == ["field": "metadata", "limit": 50])
        #expect(check(["k": String(repeating: "é", count: 501)])?.details == ["field": "metadata.k", "limit": 500])
        #expect(check([String(repeating: "k", count: 41): "v"])?.details == ["field": "metadata", "limit": 40])
        #expect(check(["k": Array(repeating: 1, count: 600)])?.details == ["field": "metadata", "limit": 500])
        // At the limits: 50 keys of 40 code points, values of 500 code points that are fewer Characters.
        let atLimit = Dictionary(uniqueKeysWithValues: (0..<50).map {
            (String(repeating: "e\u{301}", count: 19) + String(format: "%02d", $0), String(repeating: "a", count: 200) as Any)
        })
        #expect(try ReservationMetadata.checkedJSON(atLimit).utf8.count <= 16_384)
        let combining = String(repeating: "e\u{301}", count: 250)
        #expect(combining.count == 250 && combining.unicodeScalars.count == 500)
        _ = try ReservationMetadata.checkedJSON(["k": combining])
        #expect(check(["k": combining + "x"])?.details["limit"] == 500)
    }

    // MARK: Lengths as the database counts them

    /// `length(requester_id) BETWEEN 1 AND 200` counts code points; Swift's `count` counts
    /// grapheme clusters, fewer for combining marks and ZWJ sequences.
    @Test(arguments: [
        (String(repeating: "e\u{301}", count: 100), true),  // 100 Characters, 200 code points
        (String(repeating: "e\u{301}", count: 100) + "x", false),  // 101 Characters, 201 code points
        (String(repeating: "👨‍👩‍👧‍👦", count: 28) + "abcd", true),  // 32 Characters, 200 code points
        (String(repeating: "👨‍👩‍👧‍👦", count: 29), false),  // 29 Characters, 203 code points
        ("", false), (String(repeating: "x", count: 200), true), (String(repeating: "x", count: 201), false),
    ])
    func requesterIDLengthIsCountedInCodePoints(_ requester: String, _ accepted: Bool) throws {
        let object: [String: Any] = [
            "vendorId": "6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f", "slotStartTime": "2026-12-09T10:00:00Z",
            "slotEndTime": "2026-12-09T11:00:00Z", "requesterId": requester,
        ]
        let body = try JSONBody(Array(try JSONSerialization.data(withJSONObject: object)))
        if accepted {
            #expect(try PartnerAPIHandler.holdRequest(body).requesterID == requester)
        } else {
            let error = #expect(throws: BookijiError.self) { try PartnerAPIHandler.holdRequest(body) }
            #expect(error?.code == .invalidRequest)
            #expect(error?.details == ["field": "requesterId", "limit": 200])
        }
    }

    @Test func textLimitCountsCodePoints() {
        let limit = TextLimit(1...3)
        #expect(limit.contains("e\u{301}x"))
        #expect(!limit.contains("e\u{301}e\u{301}"))  // 2 Characters, 4 code points
        #expect(!limit.contains(""))
        #expect(limit.contains("😀😀😀"))  // 12 bytes, 3 code points
    }

    // MARK: Cursors

    @Test func cursorToTheMicrosecondRoundTrips() throws {
        let cursor = ReservationCursor.encode(createdAt: "2026-12-01T10:00:00.123456Z", id: "6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f")
        #expect(cursor.count <= ReservationCursor.maximumLength)
        #expect(ReservationCursor.decode(cursor)?.createdAt == "2026-12-01T10:00:00.123456Z")
    }

    @Test func cursorRoundTrips() throws {
        let cursor = ReservationCursor.encode(createdAt: "2026-12-01T10:00:00.123Z", id: "6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f")
        let decoded = try #require(ReservationCursor.decode(cursor))
        #expect(decoded.createdAt == "2026-12-01T10:00:00.123Z")
        #expect(decoded.id == "6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f")
    }

    @Test(arguments: [
        "garbage!", "%%%", "\u{0}", "AAAA\u{0}", String(repeating: "A", count: 500),
        Self.base64("not a cursor"), Self.base64("2026-12-01T10:00:00.123Z|nope"),
        Self.base64("0000-01-01T00:00:00.000Z|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f"),
        Self.base64("99999999999999999999|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f"),
        Self.base64("2026-12-01T10:00:00,123Z|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f"),
        Self.base64("2026-12-01T10:00:00.123+00:00|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f"),
        Self.base64("2026-02-30T10:00:00.123Z|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f"),
        Self.base64("2026-12-01T10:00:00.123Z|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f|x"),
        Self.base64("2026-12-01T10:00:00.123Z\u{0}|6f1c0d2e-9a1b-4c3d-8e7f-0a1b2c3d4e5f"),
        Self.base64("42"), Self.base64("{\"createdAt\":1}"),
    ])
    func craftedCursorIsRefused(_ cursor: String) {
        #expect(ReservationCursor.decode(cursor) == nil)
    }

    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    // MARK: Content-Type

    @Test(arguments: [
        ("application/json", true), ("application/json; charset=utf-8", true), ("Application/JSON;Charset=\"UTF-8\"", true),
        ("application/json;", true), ("text/plain", false), ("application/x-www-form-urlencoded", false),
        ("application/json; charset=latin1", false), ("application/jsonx", false), ("", false), ("json", false),
    ])
    func contentTypeMustSayJSON(_ header: String, _ accepted: Bool) {
        #expect(MediaType.isJSON(header) == accepted)
    }

    @Test func bodyWithoutJSONContentTypeIsUnsupportedMediaType() {
        let body = Array(#"{"a":1}"#.utf8)
        for headers in [["content-type": "text/plain"], [:]] {
            let request = HTTPRequest(method: "POST", path: "/v1/reservations", headers: headers, body: body)
            let error = #expect(throws: BookijiError.self) { try JSONBody(request) }
            #expect(error?.code == .unsupportedMediaType)
            #expect(ErrorResponse.make(error!).status == 415)
        }
        #expect(throws: Never.self) {
            try JSONBody(HTTPRequest(method: "POST", path: "/", headers: ["content-type": "application/json; charset=utf-8"], body: body))
        }
    }

    /// Routes that take no body accept an empty one with any `Content-Type` or none; a body
    /// they would ignore must still say JSON.
    @Test func bodilessRoutesAcceptAnEmptyBodyWithoutContentType() {
        #expect(throws: Never.self) {
            try MediaType.requireJSON(HTTPRequest(method: "POST", path: "/", body: []), bodyRequired: false)
            try MediaType.requireJSON(HTTPRequest(method: "POST", path: "/", headers: ["content-type": "text/plain"]), bodyRequired: false)
            try MediaType.requireJSON(
                HTTPRequest(method: "POST", path: "/", headers: ["content-type": "application/json"], body: Array("{}".utf8)), bodyRequired: false)
        }
        let error = #expect(throws: BookijiError.self) {
            try MediaType.requireJSON(HTTPRequest(method: "POST", path: "/", headers: ["content-type": "text/plain"], body: [1]), bodyRequired: false)
        }
        #expect(error?.code == .unsupportedMediaType)
        // A route that needs a body and got none says so (400), whatever the Content-Type.
        let empty = #expect(throws: BookijiError.self) { try JSONBody(HTTPRequest(method: "POST", path: "/")) }
        #expect(empty?.code == .malformedJSON)
    }

    // MARK: Timestamps

    @Test func storedTimestampsAreWrittenToTheSecond() {
        var json = JSONWriter()
        json.arrayStart()
        json.instant(text: "2026-12-01T10:00:00.999Z")
        json.instant(1_796_119_200)
        json.arrayEnd()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"["2026-12-01T10:00:00Z","2026-12-01T10:00:00Z"]"#)
    }

    @Test func webhookPayloadTimestampIsToTheSecond() throws {
        let body = try WebhookEvents.body(
            eventID: "e1", type: "reservation.created", reservationID: "r1",
            payload: ["occurredAt": "2026-12-01T10:00:00.123Z", "toState": "HELD", "sequence": 1])
        #expect(body.contains(#""timestamp":"2026-12-01T10:00:00Z""#), "\(body)")
    }
}

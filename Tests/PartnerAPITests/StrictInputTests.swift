import BookijiCore
import Availability
@testable import Coordinator
import FastCGI
import Foundation
@testable import PartnerAPI
import Testing

/// Issue 17, points 4 and 7: every route says which query parameters and body fields it takes,
/// and anything else is refused naming it; error details are typed; 401 carries its challenge.
struct StrictInputTests {
    static func errorBody(_ response: HTTPResponse) throws -> [String: Any] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return try #require(object["error"] as? [String: Any])
    }

    // MARK: One table, held to the router and the OpenAPI document

    @Test func everyRouteIsInTheInputTableOrDeliberatelyUnchecked() {
        let routes = Set(OpenAPITests.handler().routeTable.map { "\($0.method) \($0.pattern)" })
        let listed = Set(RouteInputs.table.keys).union(RouteInputs.unchecked)
        #expect(routes.subtracting(listed).sorted() == [], "routes with no input list")
        #expect(listed.subtracting(routes).sorted() == [], "input lists of routes that do not exist")
        #expect(RouteInputs.unchecked.isDisjoint(with: RouteInputs.table.keys))
    }

    /// The document's query parameters and request body properties are exactly the table's, and a
    /// request body schema takes no other properties (so schemathesis sends none).
    @Test func openAPIDocumentAgreesWithTheInputTable() throws {
        let document = try OpenAPITests.document(OpenAPIDocument.bytes)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        for (route, input) in RouteInputs.table {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            let item = try #require(paths[parts[1]], "\(route)")
            let operation = try #require(item[parts[0].lowercased()] as? [String: Any], "\(route)")
            let parameters = ((operation["parameters"] as? [[String: Any]]) ?? []) + ((item["parameters"] as? [[String: Any]]) ?? [])
            let query = Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
            #expect(query == input.query, "\(route): query parameters")
            var fields: Set<String> = []
            if let body = operation["requestBody"] as? [String: Any] {
                let schema = try #require(
                    ((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
                let name = try #require((schema["$ref"] as? String)?.split(separator: "/").last.map(String.init))
                let resolved = try #require(schemas[name])
                fields = Set((resolved["properties"] as? [String: Any] ?? [:]).keys)
                #expect(resolved["additionalProperties"] as? Bool == false, "\(route): \(name) must refuse other properties")
            }
            #expect(fields == input.body, "\(route): body fields")
        }
    }

    // MARK: Unknown input is refused, naming it

    @Test func anUnknownQueryParameterIsInvalidParameterNamingIt() throws {
        let request = HTTPRequest(method: "GET", path: "/v1/vendors/x/availability", query: "startTime=a&slotduration=30&endTime=b")
        let error = #expect(throws: BookijiError.self) {
            try RouteInputs.checkQuery(request, template: "/v1/vendors/{vendorId}/availability")
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.details["parameter"] == "slotduration")
        #expect(error?.details["unknown"] == ["slotduration"])
        #expect(error?.message.contains("Received unknown query parameter 'slotduration'") == true)
        #expect(error?.message.contains("slotDuration") == true, "the message lists what the route takes")
    }

    @Test func knownQueryParametersPassAndAnUnknownListFilterDoesNot() throws {
        try RouteInputs.checkQuery(
            HTTPRequest(method: "GET", path: "/v1/reservations", query: "state=HELD&limit=5&cursor=&vendorId=x"),
            template: "/v1/reservations")
        try RouteInputs.checkQuery(HTTPRequest(method: "HEAD", path: "/v1/reservations", query: "limit=5"), template: "/v1/reservations")
        let error = #expect(throws: BookijiError.self) {
            try RouteInputs.checkQuery(HTTPRequest(method: "GET", path: "/v1/reservations", query: "status=HELD"), template: "/v1/reservations")
        }
        #expect(error?.details["parameter"] == "status")
        #expect(throws: BookijiError.self) {
            try RouteInputs.checkQuery(HTTPRequest(method: "GET", path: "/v1/ping", query: "x"), template: "/v1/ping")
        }
    }

    @Test func stripeEventsAndVendorPagesAreNotPoliced() throws {
        try RouteInputs.checkQuery(HTTPRequest(method: "POST", path: "/v1/stripe/webhooks", query: "anything=1"), template: "/v1/stripe/webhooks")
        try RouteInputs.checkQuery(HTTPRequest(method: "GET", path: "/v/r/t", query: "utm_source=mail"), template: "/v/r/{token}")
    }

    @Test func aMisspeltBodyFieldIsInvalidRequestNamingIt() throws {
        let request = HTTPRequest(
            method: "POST", path: "/v1/reservations", headers: ["content-type": "application/json"],
            body: Array(#"{"vendorId":"v","idempotency_key":"k1","requesterId":"r"}"#.utf8))
        let error = #expect(throws: BookijiError.self) { try JSONBody(request, accepting: RouteInputs.hold) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.details["field"] == "idempotency_key")
        #expect(error?.message.hasPrefix("Received unknown field 'idempotency_key'") == true)
        #expect(throws: Never.self) {
            try JSONBody(
                HTTPRequest(
                    method: "POST", path: "/v1/reservations", headers: ["content-type": "application/json"],
                    body: Array(#"{"vendorId":"v","idempotencyKey":"k1"}"#.utf8)),
                accepting: RouteInputs.hold)
        }
    }

    @Test func aBodilessRouteTakesNothingOrAnEmptyObject() throws {
        func body(_ text: String) -> HTTPRequest {
            HTTPRequest(method: "POST", path: "/x", headers: ["content-type": "application/json"], body: Array(text.utf8))
        }
        #expect(try JSONBody.optional(HTTPRequest(method: "POST", path: "/x"), accepting: RouteInputs.noInput) == nil)
        #expect(try JSONBody.optional(body("{}"), accepting: RouteInputs.noInput) != nil)
        let error = #expect(throws: BookijiError.self) { try JSONBody.optional(body(#"{"reason":"x"}"#), accepting: RouteInputs.noInput) }
        #expect(error?.details["field"] == "reason")
        #expect(error?.message.contains("takes no body fields") == true)
    }

    // MARK: cancel and decline reasons

    @Test func aReasonIsUpTo500CodePoints() throws {
        func note(_ text: String) throws -> String? {
            let request = HTTPRequest(
                method: "POST", path: "/x", headers: ["content-type": "application/json"],
                body: Array(try JSONSerialization.data(withJSONObject: ["reason": text])))
            return try PartnerAPIHandler.cancellationNote(JSONBody.optional(request, accepting: RouteInputs.cancel))
        }
        #expect(try note("") == nil)
        #expect(try note("the requester is ill") == "the requester is ill")
        // 500 combining sequences of two code points each: 500 Characters, 1,000 code points.
        let combining = String(repeating: "e\u{301}", count: 250)
        #expect(try note(combining) == combining)
        let error = #expect(throws: BookijiError.self) { try note(combining + "x") }
        #expect(error?.details == ["field": "reason", "limit": 500])
    }

    // MARK: Typed details

    @Test func detailsShowNumbersAsNumbersAndListsAsArrays() throws {
        let error = try Self.errorBody(ErrorResponse.make(BookijiError(
            .invalidParameter, "m", details: ["parameter": "endTime", "maximumDays": 62, "reasons": ["reserved", "buffer_conflict"]])))
        let details = try #require(error["details"] as? [String: Any])
        #expect(details["parameter"] as? String == "endTime")
        #expect(details["maximumDays"] as? Int == 62)
        #expect(details["reasons"] as? [String] == ["reserved", "buffer_conflict"])
        let text = String(decoding: ErrorResponse.make(BookijiError(.invalidParameter, "m", details: ["limit": 200])).body, as: UTF8.self)
        #expect(text.contains(#""limit":200"#), "\(text)")
    }

    @Test func aTakenSlotListsItsReasonsAsAnArrayEvenWhenThereIsOne() throws {
        let body = try Self.errorBody(ErrorResponse.make(ReservationCoordinator.slotUnavailable([SlotReason(code: "reserved", message: "Already held.")])))
        #expect((body["details"] as? [String: Any])?["reasons"] as? [String] == ["reserved"])
    }

    // MARK: 401 challenge

    @Test func a401SaysBearerAndInvalidTokenOnlyWhenAKeyWasSent() throws {
        let error = BookijiError(.unauthorized, "unknown or revoked API key")
        #expect(ErrorResponse.challenge(error, keyGiven: true).header("www-authenticate") == #"Bearer realm="bookiji", error="invalid_token""#)
        #expect(ErrorResponse.challenge(error, keyGiven: false).header("www-authenticate") == #"Bearer realm="bookiji""#)
        let handler = OpenAPITests.handler()
        let missing = handler.handle(HTTPRequest(method: "GET", path: "/v1/ping"))
        #expect(missing.status == 401)
        #expect(missing.header("www-authenticate") == #"Bearer realm="bookiji""#)
        let malformed = handler.handle(HTTPRequest(method: "GET", path: "/v1/ping", headers: ["authorization": "Basic abc"]))
        #expect(malformed.status == 401)
        #expect(malformed.header("www-authenticate")?.contains(#"error="invalid_token""#) == true)
    }
}

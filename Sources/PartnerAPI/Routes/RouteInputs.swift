import BookijiCore
import FastCGI

/// What one route accepts besides its path: the names of its query parameters and of its JSON
/// body's top-level fields.
struct RouteInput: Sendable {
    var query: Set<String>
    /// The body's fields; empty for a route that takes no body (a body sent anyway may only be
    /// `{}`).
    var body: Set<String>

    init(query: Set<String> = [], body: Set<String> = []) {
        self.query = query
        self.body = body
    }
}

/// Every route's accepted input, in one table, so that a misspelt name is refused instead of
/// ignored: `idempotency_key` for `idempotencyKey` turned a safe retry into a second hold,
/// `slotduration=30` gave 60-minute slots. An unknown query parameter is 400 `invalid_parameter`
/// and an unknown body field 400 `invalid_request`, each naming it in `details` (`parameter`,
/// `field`), as Stripe's "Received unknown parameter" does. `OpenAPITests` holds the OpenAPI
/// document to this table, both ways.
///
/// Not checked: Stripe's events (their body is Stripe's, and its signature covers it) and the
/// vendor pages (HTML for people; a bad link is a page, not an error body).
enum RouteInputs {
    static let availability = RouteInput(query: ["startTime", "endTime", "slotDuration", "includeConfidence", "onlyAvailable"])
    static let hold = RouteInput(body: ["vendorId", "slotStartTime", "slotEndTime", "requesterId", "metadata", "idempotencyKey"])
    static let reservationList = RouteInput(query: ["vendorId", "state", "cursor", "limit"])
    static let vendorReservationList = RouteInput(query: ["state", "cursor", "limit"])
    static let cancel = RouteInput(body: ["reason"])
    static let decline = RouteInput(body: ["reason"])
    static let authorize = RouteInput(body: ["paymentMethodId"])
    static let webhookEndpoint = RouteInput(body: ["url", "events"])
    static let deliveries = RouteInput(query: ["limit", "before"])
    static let noInput = RouteInput()

    /// Keyed by `METHOD template`, as ``Router`` names a route; every route is here or in
    /// ``unchecked`` (a test holds the router to it).
    static let table: [String: RouteInput] = [
        "GET /v1/health": noInput,
        "GET /v1/ping": noInput,
        "GET /v1/openapi.json": noInput,
        "GET /metrics": noInput,
        "GET /v1/vendors/{vendorId}": noInput,
        "GET /v1/vendors/{vendorId}/availability": availability,
        "POST /v1/reservations": hold,
        "GET /v1/reservations": reservationList,
        "GET /v1/reservations/{reservationId}": noInput,
        "POST /v1/reservations/{reservationId}/cancel": cancel,
        "POST /v1/reservations/{reservationId}/authorize": authorize,
        "GET /v1/vendor/reservations": vendorReservationList,
        "GET /v1/vendor/reservations/{reservationId}": noInput,
        "POST /v1/vendor/reservations/{reservationId}/authorize": authorize,
        "POST /v1/vendor/reservations/{reservationId}/confirm": noInput,
        "POST /v1/vendor/reservations/{reservationId}/decline": decline,
        "GET /v1/partner/stats": noInput,
        "POST /v1/webhook-endpoints": webhookEndpoint,
        "GET /v1/webhook-endpoints": noInput,
        "GET /v1/webhook-endpoints/{endpointId}": noInput,
        "DELETE /v1/webhook-endpoints/{endpointId}": noInput,
        "POST /v1/webhook-endpoints/{endpointId}/rotate-secret": noInput,
        "POST /v1/webhook-endpoints/{endpointId}/enable": noInput,
        "POST /v1/webhook-endpoints/{endpointId}/disable": noInput,
        "GET /v1/webhook-endpoints/{endpointId}/deliveries": deliveries,
        "POST /v1/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/retry": noInput,
    ]

    /// Routes whose input is not ours to police (see above).
    static let unchecked: Set<String> = ["POST /v1/stripe/webhooks", "GET /v/r/{token}", "POST /v/r/{token}"]

    static func input(method: String, template: String) -> RouteInput? {
        table["\(method == "HEAD" ? "GET" : method) \(template)"]
    }

    /// Refuses a query parameter the matched route does not take, naming the first unknown one
    /// (in name order) and saying which the route accepts. A parameter given empty counts: the
    /// name is what a partner misspells.
    static func checkQuery(_ request: HTTPRequest, template: String) throws(BookijiError) {
        guard !request.query.isEmpty, let input = input(method: request.method, template: template) else { return }
        let unknown = request.queryParameters.keys.filter { !input.query.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let accepted = input.query.isEmpty
            ? "this route takes no query parameters" : "this route takes \(input.query.sorted().joined(separator: ", "))"
        throw BookijiError(
            .invalidParameter, "Received unknown query parameter '\(first)'; \(accepted)",
            details: ["parameter": .text(first), "unknown": .list(unknown), "accepted": .list(input.query.sorted())])
    }

    /// Refuses a body field the route does not take, in the same way (`invalid_request`, `field`).
    static func checkBody(_ body: JSONBody, _ input: RouteInput) throws(BookijiError) {
        let unknown = body.object.keys.filter { !input.body.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let accepted = input.body.isEmpty
            ? "this route takes no body fields (send no body, or {})" : "this route takes \(input.body.sorted().joined(separator: ", "))"
        throw BookijiError(
            .invalidRequest, "Received unknown field '\(first)'; \(accepted)",
            details: ["field": .text(first), "unknown": .list(unknown), "accepted": .list(input.body.sorted())])
    }
}

extension JSONBody {
    /// The JSON body of a route that needs one, its fields checked against `input`.
    init(_ request: HTTPRequest, accepting input: RouteInput) throws(BookijiError) {
        try self.init(request)
        try RouteInputs.checkBody(self, input)
    }

    /// The JSON body of a route whose body is optional (`…/cancel`, `…/confirm`), checked
    /// against `input`; nil when the request has none.
    static func optional(_ request: HTTPRequest, accepting input: RouteInput) throws(BookijiError) -> JSONBody? {
        try MediaType.requireJSON(request, bodyRequired: false)
        guard !request.body.isEmpty else { return nil }
        let body = try JSONBody(request.body)
        try RouteInputs.checkBody(body, input)
        return body
    }
}

import BookijiCore
import Coordinator
import FastCGI
import Logging
import Telemetry

/// The partner API on one responder thread: routing, authentication, error mapping, and this
/// thread's own way into the database (a ``Database`` the Coordinator's use cases run on).
public final class PartnerAPIHandler: FastCGIHandler {
    typealias Route = (PartnerAPIHandler, RequestContext) throws -> HTTPResponse

    let settings: APISettings
    let database: Database
    private var authCache: [String: (partner: Partner, expires: UInt64)] = [:]
    let router: Router<Route>
    /// This thread's handles on the latency histogram.
    private var latency = RequestLatencyRecorder()

    public init(settings: APISettings) {
        self.settings = settings
        self.database = Database(url: settings.databaseURL, replicaRouting: settings.replicaRouting)
        PrometheusExport.bootstrap()
        var router = Router<Route>()
        router.add("GET", "/v1/health", access: .publicRoute) { api, _ in try api.health() }
        router.add("GET", "/v1/ping") { api, context in api.ping(context) }
        router.add("GET", "/v1/openapi.json", access: .publicRoute) { api, _ in api.openAPIDocument() }
        router.add("GET", "/v1/vendors/{vendorId}") { api, context in try api.vendor(context) }
        router.add("GET", "/v1/vendors/{vendorId}/availability") { api, context in try api.availability(context) }
        router.add("POST", "/v1/reservations") { api, context in try api.createReservation(context) }
        router.add("GET", "/v1/reservations") { api, context in try api.listReservations(context) }
        router.add("GET", "/v1/reservations/{reservationId}") { api, context in try api.reservation(context) }
        router.add("POST", "/v1/reservations/{reservationId}/cancel") { api, context in try api.cancelReservation(context) }
        router.add("POST", "/v1/reservations/{reservationId}/authorize") { api, context in
            try api.authorizePayment(context, side: .requester)
        }
        router.add("GET", "/v1/vendor/reservations", access: .vendor) { api, context in try api.listVendorReservations(context) }
        router.add("GET", "/v1/vendor/reservations/{reservationId}", access: .vendor) { api, context in
            try api.vendorReservation(context)
        }
        router.add("POST", "/v1/vendor/reservations/{reservationId}/authorize", access: .vendor) { api, context in
            try api.authorizePayment(context, side: .vendor)
        }
        router.add("POST", "/v1/vendor/reservations/{reservationId}/confirm", access: .vendor) { api, context in
            try api.vendorDecision(context, confirm: true)
        }
        router.add("POST", "/v1/vendor/reservations/{reservationId}/decline", access: .vendor) { api, context in
            try api.vendorDecision(context, confirm: false)
        }
        router.add("GET", "/v1/partner/stats") { api, context in try api.partnerStats(context) }
        router.add("POST", "/v1/webhook-endpoints") { api, context in try api.createWebhookEndpoint(context) }
        router.add("GET", "/v1/webhook-endpoints") { api, context in try api.webhookEndpoints(context) }
        router.add("GET", "/v1/webhook-endpoints/{endpointId}") { api, context in try api.webhookEndpoint(context) }
        router.add("DELETE", "/v1/webhook-endpoints/{endpointId}") { api, context in try api.deleteWebhookEndpoint(context) }
        router.add("POST", "/v1/webhook-endpoints/{endpointId}/rotate-secret") { api, context in try api.rotateWebhookSecret(context) }
        router.add("POST", "/v1/webhook-endpoints/{endpointId}/enable") { api, context in
            try api.setWebhookEndpointEnabled(context, enabled: true)
        }
        router.add("POST", "/v1/webhook-endpoints/{endpointId}/disable") { api, context in
            try api.setWebhookEndpointEnabled(context, enabled: false)
        }
        router.add("GET", "/v1/webhook-endpoints/{endpointId}/deliveries") { api, context in try api.webhookDeliveries(context) }
        router.add("POST", "/v1/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/retry") { api, context in
            try api.retryWebhookDelivery(context)
        }
        // Stripe signs its events; no API key.
        router.add("POST", "/v1/stripe/webhooks", access: .publicRoute) { api, context in try api.stripeWebhook(context) }
        // The vendor confirmation page (HTML): the signed link is the credential.
        router.add("GET", "/v/r/{token}", access: .publicRoute) { api, context in api.vendorPage(context) }
        router.add("POST", "/v/r/{token}", access: .publicRoute) { api, context in api.vendorPageAnswer(context) }
        // This process's metrics; the shipped nginx opens it to loopback and an allow-list only.
        router.add("GET", "/metrics", access: .publicRoute) { api, _ in api.metrics() }
        self.router = router
    }

    /// Answers one request and logs it as one line: method, route template (never the raw path,
    /// which holds ids and, for vendor pages, a link's token), status, duration, the partner, and
    /// a request id (the caller's `X-Request-Id` when it sends a usable one, as nginx's
    /// `$request_id` is), which the answer carries back in `X-Request-Id` and every log line of
    /// the request carries too. The same template labels the latency histogram.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = SystemTime.monotonicNanos()
        var logger = ErrorResponse.logger
        let requestID = RequestID.of(request)
        logger[metadataKey: "requestId"] = "\(requestID)"
        var partnerID: String?
        var template = RequestLatencyRecorder.unmatchedRoute
        var response: HTTPResponse
        database.caller = nil
        do {
            response = try route(request, partnerID: &partnerID, template: &template)
            if request.method == "HEAD" { response.body = [] }
        } catch {
            response = ErrorResponse.make(ErrorResponse.classify(error, logger: logger))
        }
        // Whatever the outcome, a request other than a read may have written: the caller's next
        // reads stay on the primary until the replica has it (read-your-writes).
        if request.method != "GET", request.method != "HEAD" { database.recordCallerWrite() }
        response.addHeader("X-Request-Id", requestID)
        let elapsed = SystemTime.monotonicNanos() - started
        latency.record(method: request.method, route: template, status: response.status, nanoseconds: elapsed)
        logger.info("request", metadata: [
            "method": "\(request.method)", "route": "\(template)", "status": "\(response.status)",
            "durationMicros": "\(elapsed / 1000)", "partnerId": "\(partnerID ?? "")",
        ])
        return response
    }

    public func bodyTooLarge(limit: Int, declared: Int) -> HTTPResponse {
        ErrorResponse.make(BookijiError(
            .payloadTooLarge, "request body of \(declared) bytes exceeds the limit of \(limit) bytes",
            details: ["limit": .number(limit)]))
    }

    private func route(_ request: HTTPRequest, partnerID: inout String?, template: inout String) throws -> HTTPResponse {
        let match = router.match(method: request.method, path: request.path)
        switch match {
        case .found(_, _, _, let matched), .methodNotAllowed(_, let matched): template = matched
        case .notFound: break
        }
        if request.path.hasPrefix("/v/") {
            // Vendor pages are for people: their errors are pages too.
            switch match {
            case .notFound: return Self.vendorPageFallback(methodNotAllowed: false)
            case .methodNotAllowed(let allowed, _):
                // RFC 9110: a 405 names the methods the resource has.
                var page = Self.vendorPageFallback(methodNotAllowed: true)
                page.addHeader("Allow", allowed.joined(separator: ", "))
                return page
            case .found: break
            }
        }
        switch match {
        case .notFound:
            throw BookijiError(.notFound, "no route for \(request.method) \(request.path)")
        case .methodNotAllowed(let allowed, _):
            var response = ErrorResponse.make(BookijiError(
                .methodNotAllowed, "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))"))
            response.addHeader("Allow", allowed.joined(separator: ", "))
            return response
        case .found(let handler, let access, let parameters, _):
            var context = RequestContext(request: request, pathParameters: parameters, partner: nil)
            try RequestInput.refuseNUL(context)
            do {
                switch access {
                case .partner:
                    context.partner = try authenticate(request)
                    partnerID = context.partner?.id
                    database.caller = partnerID.map { "partner:" + $0 }
                case .vendor:
                    context.vendorID = try authenticateVendor(request)
                    database.caller = context.vendorID.map { "vendor:" + $0 }
                case .publicRoute: break
                }
            } catch let error as BookijiError where error.code == .unauthorized {
                return ErrorResponse.challenge(error, keyGiven: request.header("authorization") != nil)
            }
            try RouteInputs.checkQuery(request, template: template)
            return try handler(self, context)
        }
    }

    private func bearerKey(_ request: HTTPRequest) throws -> String {
        guard let header = request.header("authorization") else {
            throw BookijiError(.unauthorized, "missing Authorization header; send 'Authorization: Bearer <api key>'")
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw BookijiError(.unauthorized, "Authorization header must be 'Bearer <api key>'")
        }
        return String(header.dropFirst(7)).trimmingCharacters(in: Character(" "))
    }

    private func authenticateVendor(_ request: HTTPRequest) throws -> String {
        let key = try bearerKey(request)
        guard let vendorID = try AccessControl(database: database).vendorID(forKey: key) else {
            throw BookijiError(.unauthorized, "unknown or revoked vendor key")
        }
        return vendorID
    }

    private func authenticate(_ request: HTTPRequest) throws -> Partner {
        let key = try bearerKey(request)
        let now = SystemTime.monotonicNanos()
        if let cached = authCache[key], cached.expires > now {
            return cached.partner
        }
        guard let (partner, expiresAtMillis) = try AccessControl(database: database).partnerKey(key) else {
            authCache[key] = nil
            throw BookijiError(.unauthorized, "unknown, revoked or expired API key")
        }
        if settings.authCacheSeconds > 0 {
            // A rolled key's cached answer never outlives the key's expiry (the clock reads whole
            // seconds, so a second is taken off to stay on the safe side).
            var lifetime = UInt64(settings.authCacheSeconds * 1e9)
            if let expiresAtMillis {
                let left = max(0, expiresAtMillis - (SystemTime.epochSeconds() + 1) * 1000)
                lifetime = min(lifetime, UInt64(left) * 1_000_000)
            }
            if authCache.count > 10_000 { authCache.removeAll(keepingCapacity: true) }
            if lifetime > 0 { authCache[key] = (partner, now + lifetime) }
        }
        return partner
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

import PartnerAPI
import Testing

/// Method + path matching, path parameters, 404 and 405.
struct RouterTests {
    /// Not `Sendable`, so each test gets its own (a suite instance per test).
    let router: Router<String> = {
        var router = Router<String>()
        router.add("GET", "/v1/health", access: .publicRoute, "health")
        router.add("GET", "/v1/vendors/{vendorId}", "getVendor")
        router.add("PATCH", "/v1/vendors/{vendorId}", "patchVendor")
        router.add("DELETE", "/v1/vendors/{vendorId}", "deleteVendor")
        router.add("GET", "/v1/vendors/{vendorId}/availability", "availability")
        router.add("POST", "/v1/reservations", "createReservation")
        router.add("GET", "/v1/reservations/{reservationId}/events/{eventId}", "event")
        return router
    }()

    /// The matched handler and parameters, or nil when the match is not `.found`.
    private func found(_ method: String, _ path: String) -> (handler: String, access: Router<String>.Access, parameters: [String: String])? {
        guard case let .found(handler, access, parameters, _) = router.match(method: method, path: path) else { return nil }
        return (handler, access, parameters)
    }

    private func allowed(_ method: String, _ path: String) -> [String]? {
        guard case let .methodNotAllowed(allowed, _) = router.match(method: method, path: path) else { return nil }
        return allowed
    }

    private func isNotFound(_ method: String, _ path: String) -> Bool {
        if case .notFound = router.match(method: method, path: path) { return true }
        return false
    }

    @Test func pathParametersAreBound() {
        let vendor = found("GET", "/v1/vendors/3f2a")
        #expect(vendor?.handler == "getVendor")
        #expect(vendor?.parameters == ["vendorId": "3f2a"])
        #expect(vendor?.access == .partner)

        let event = found("GET", "/v1/reservations/r-1/events/e-2")
        #expect(event?.handler == "event")
        #expect(event?.parameters == ["reservationId": "r-1", "eventId": "e-2"])

        #expect(found("GET", "/v1/vendors/3f2a/availability")?.handler == "availability")
        #expect(found("GET", "/v1/health")?.access == .publicRoute)
        #expect(found("GET", "/v1/health")?.parameters == [:])
    }

    /// Parameters are decoded after the path is split, so an encoded slash stays inside one.
    @Test func pathParametersArePercentDecoded() {
        #expect(found("GET", "/v1/vendors/a%20b")?.parameters["vendorId"] == "a b")
        #expect(found("GET", "/v1/vendors/a%2Fb")?.parameters["vendorId"] == "a/b")
        #expect(found("GET", "/v1/vendors/Z%C3%BCrich")?.parameters["vendorId"] == "Zürich")
        #expect(found("GET", "/v1/vendors/100%")?.parameters["vendorId"] == "100%")
        #expect(found("GET", "/v1/vendors/a+b")?.parameters["vendorId"] == "a+b")  // '+' is not a space in paths
    }

    @Test func otherMethodOnAKnownPathIs405WithTheAllowedMethods() {
        #expect(allowed("PUT", "/v1/vendors/x") == ["GET", "PATCH", "DELETE"])
        #expect(allowed("GET", "/v1/reservations") == ["POST"])
        #expect(allowed("POST", "/v1/health") == ["GET"])
    }

    @Test func headIsServedByTheGetRoute() {
        #expect(found("HEAD", "/v1/vendors/x")?.handler == "getVendor")
        #expect(found("HEAD", "/v1/health")?.handler == "health")
        // No GET route: HEAD is not allowed either.
        #expect(allowed("HEAD", "/v1/reservations") == ["POST"])
    }

    @Test(arguments: ["/", "", "/v1", "/v1/nothing", "/v1/vendors/x/extra/more", "/v2/health", "/v1/Health",
                      "/v1/%76endors/x"])
    func unknownPathIs404(_ path: String) {
        #expect(isNotFound("GET", path))
    }

    /// The template of the matched route, for logs and metrics: never the raw path.
    private func template(_ method: String, _ path: String) -> String? {
        switch router.match(method: method, path: path) {
        case .found(_, _, _, let template), .methodNotAllowed(_, let template): template
        case .notFound: nil
        }
    }

    @Test func aMatchNamesItsRouteTemplateNotThePath() {
        #expect(template("GET", "/v1/vendors/3f2a") == "/v1/vendors/{vendorId}")
        #expect(template("GET", "/v1/reservations/r-1/events/e-2") == "/v1/reservations/{reservationId}/events/{eventId}")
        #expect(template("HEAD", "/v1/vendors/3f2a/availability") == "/v1/vendors/{vendorId}/availability")
        #expect(template("PUT", "/v1/vendors/x") == "/v1/vendors/{vendorId}", "a 405 names the path's template too")
        #expect(template("GET", "/v1/nothing") == nil)
    }

    @Test func methodsAreCaseSensitive() {
        #expect(allowed("get", "/v1/health") == ["GET"])
    }
}

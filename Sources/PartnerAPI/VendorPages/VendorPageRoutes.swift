import BookijiCore
import Coordinator
import FastCGI

/// `GET` and `POST /v/r/{token}`: the vendor confirmation page (issue 13, point 5), served as
/// HTML. The page never answers 500: anything unexpected is logged and shown as a "try again"
/// page (503).
///
/// CSRF: the page sets a random nonce in a `SameSite=Strict`, `HttpOnly` cookie scoped to `/v/`,
/// and each form carries an HMAC of the link and that nonce (``VendorPageKey/csrfToken(link:nonce:)``);
/// a POST needs both to match (double submit), so a form posted from another site, or replayed
/// without the page, is refused.
extension PartnerAPIHandler {
    static let vendorPageCookie = "bk_vp"

    func vendorPage(_ context: RequestContext) -> HTTPResponse {
        let link = context.parameter("token")
        guard let key = settings.vendorPageKey else { return Self.render(VendorPageHTML.notConfigured()) }
        do {
            let page = VendorConfirmationPage(database: database, key: key)
            switch try page.state(of: link, now: SystemTime.epochSeconds()) {
            case .open(let request):
                let nonce = Self.cookieNonce(context.request) ?? Base64URL.random(bytes: 16)
                var response = Self.render(VendorPageHTML.open(request, link: link, csrf: key.csrfToken(link: link, nonce: nonce)))
                response.addHeader("Set-Cookie", Self.cookie(nonce, request: context.request))
                return response
            case let other:
                return Self.render(Self.page(for: other))
            }
        } catch {
            _ = ErrorResponse.classify(error)
            return Self.render(VendorPageHTML.unavailable())
        }
    }

    func vendorPageAnswer(_ context: RequestContext) -> HTTPResponse {
        let link = context.parameter("token")
        guard let key = settings.vendorPageKey else { return Self.render(VendorPageHTML.notConfigured()) }
        let form = FormBody.fields(context.request.body)
        guard let nonce = Self.cookieNonce(context.request), key.checkCSRF(form["csrf"] ?? "", link: link, nonce: nonce) else {
            return Self.render(VendorPageHTML.formExpired(link: link))
        }
        guard let decision = form["decision"].flatMap(VendorConfirmationPage.Decision.init(rawValue:)) else {
            return Self.render(VendorPageHTML.methodNotAllowed())
        }
        do {
            let page = VendorConfirmationPage(database: database, key: key)
            switch try page.answer(decision, link: link, now: SystemTime.epochSeconds()) {
            case .confirmed(let request):
                settings.availabilityCache.invalidateRevision(of: request.reservation.vendorID, at: SystemTime.monotonicNanos())
                return Self.render(VendorPageHTML.confirmed(request))
            case .declined(let request):
                settings.availabilityCache.invalidateRevision(of: request.reservation.vendorID, at: SystemTime.monotonicNanos())
                return Self.render(VendorPageHTML.declined(request))
            case .slotGone(let request):
                settings.availabilityCache.invalidateRevision(of: request.reservation.vendorID, at: SystemTime.monotonicNanos())
                return Self.render(VendorPageHTML.slotGone(request))
            case .refused(let state):
                return Self.render(Self.page(for: state))
            }
        } catch {
            _ = ErrorResponse.classify(error)
            return Self.render(VendorPageHTML.unavailable())
        }
    }

    /// An HTML page for paths under `/v/` that no route takes.
    static func vendorPageFallback(methodNotAllowed: Bool) -> HTTPResponse {
        render(methodNotAllowed ? VendorPageHTML.methodNotAllowed() : VendorPageHTML.notFound())
    }

    private static func page(for state: VendorConfirmationPage.State) -> VendorPageHTML.Page {
        switch state {
        case .open(let request): VendorPageHTML.withdrawn(request, reason: "open it again from the message you received")
        case .answered(let request, let confirmed, let at): VendorPageHTML.answered(request, confirmed: confirmed, at: at)
        case .expired(let request): VendorPageHTML.expired(request)
        case .withdrawn(let request, let reason): VendorPageHTML.withdrawn(request, reason: reason)
        case .invalid: VendorPageHTML.invalid()
        }
    }

    static func render(_ page: VendorPageHTML.Page) -> HTTPResponse {
        var response = HTTPResponse(status: page.status, headers: [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            // The link is a bearer secret: never let it leave in a Referer.
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", VendorPageHTML.contentSecurityPolicy),
        ], body: VendorPageHTML.document(page))
        if page.status == 503 { response.addHeader("Retry-After", "60") }
        return response
    }

    /// The nonce in the request's page cookie, when it has a well-formed one.
    static func cookieNonce(_ request: HTTPRequest) -> String? {
        guard let header = request.header("cookie") else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop(while: { $0 == " " })
            guard trimmed.hasPrefix(vendorPageCookie + "=") else { continue }
            let value = String(trimmed.dropFirst(vendorPageCookie.count + 1))
            if value.utf8.count == 22, Base64URL.decode(value) != nil { return value }
        }
        return nil
    }

    /// `Secure` unless nginx says the request came over plain http (`X-Bookiji-Scheme`, set by
    /// the `/v/` location): local development and tests.
    static func cookie(_ nonce: String, request: HTTPRequest) -> String {
        let secure = request.header("x-bookiji-scheme") == "http" ? "" : "; Secure"
        return "\(vendorPageCookie)=\(nonce); Path=/v/; Max-Age=86400; HttpOnly; SameSite=Strict\(secure)"
    }
}

/// `application/x-www-form-urlencoded` bodies (the page's forms).
enum FormBody {
    static func fields(_ body: [UInt8]) -> [String: String] {
        guard body.count <= 4096 else { return [:] }
        return HTTPRequest(method: "POST", path: "/", query: String(decoding: body, as: UTF8.self)).queryParameters
    }
}

import BookijiCore
import Coordinator
import Foundation
import Testing
@testable import PartnerAPI

/// The vendor page's HTML and its wording, in process: escaping, the stylesheet allowed by its
/// hash, local times across zones and daylight saving, amounts in each currency's decimals.
struct VendorPageHTMLTests {
    static let request = ConfirmationRequest(
        reservation: ReservationRecord(
            id: "0b0e6c1a-2f4d-4c8e-9a51-3d2f1e0c9b7a", partnerID: "p", vendorID: "v", requesterID: "<script>alert(1)</script>",
            slot: UTCInterval(start: 1_798_189_200, end: 1_798_192_800), state: .awaitingVendorConfirmation, deadline: 1_798_000_000,
            metadataJSON: "{}", idempotencyKey: nil, failureReason: nil, bookingID: nil, createdAt: 1_797_999_400,
            createdAtText: "", updatedAtText: "", vendorConfirmedAt: nil, vendorAuthorizedAt: nil, requesterAuthorizedAt: nil,
            price: ReservationPrice(currency: "eur", amount: 5000, deposit: 1000, platformFee: 500, vendorStripeAccount: "acct_1")),
        vendorName: "Praxis \"Meier\" & Söhne", vendorTimeZone: "Europe/Berlin", partnerName: "Acme <Bookings>")

    @Test func dataIsEscapedEverywhere() {
        let page = VendorPageHTML.open(Self.request, link: "tok\"en", csrf: "c<s>rf")
        let html = String(decoding: VendorPageHTML.document(page), as: UTF8.self)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("Praxis &quot;Meier&quot; &amp; Söhne"))
        #expect(html.contains("Acme &lt;Bookings&gt;"))
        #expect(html.contains("action=\"/v/r/tok&quot;en\"") && html.contains("value=\"c&lt;s&gt;rf\""))
    }

    @Test func theOpenPageHasBothLabelledFormsAndNoScript() {
        let html = String(decoding: VendorPageHTML.document(VendorPageHTML.open(Self.request, link: "t", csrf: "c")), as: UTF8.self)
        #expect(html.contains("<html lang=\"en\">") && html.contains("name=\"viewport\""))
        #expect(html.components(separatedBy: "<form method=\"post\"").count == 3)
        #expect(html.contains("aria-label=\"Confirm booking\"") && html.contains("aria-label=\"Decline\""))
        #expect(html.contains("aria-describedby=\"confirm-hint\""))
        #expect(!html.contains("<script"))
    }

    @Test func theStylesheetIsAllowedByItsHash() {
        let hash = Data(SHA256.hash(Array(VendorPageHTML.stylesheet.utf8)).bytes).base64EncodedString()
        #expect(VendorPageHTML.contentSecurityPolicy.contains("style-src 'sha256-\(hash)'"))
        let html = String(decoding: VendorPageHTML.document(VendorPageHTML.invalid()), as: UTF8.self)
        #expect(html.contains("<style>\(VendorPageHTML.stylesheet)</style>"))
    }

    @Test func everyStatusPageHasTheSameLook() {
        let pages = [
            VendorPageHTML.confirmed(Self.request), VendorPageHTML.declined(Self.request), VendorPageHTML.slotGone(Self.request),
            VendorPageHTML.answered(Self.request, confirmed: true, at: "2026-12-24T10:00:00.000Z"), VendorPageHTML.expired(nil),
            VendorPageHTML.withdrawn(Self.request, reason: "x"), VendorPageHTML.invalid(), VendorPageHTML.formExpired(link: "t"),
            VendorPageHTML.notFound(), VendorPageHTML.methodNotAllowed(), VendorPageHTML.unavailable(), VendorPageHTML.notConfigured(),
        ]
        for page in pages {
            let html = String(decoding: VendorPageHTML.document(page), as: UTF8.self)
            #expect(html.contains("<header class=\"brand\">") && html.contains("role=\"") && page.status != 500, "\(page.title)")
        }
        #expect(pages.map(\.status) == [200, 200, 409, 409, 410, 410, 404, 403, 404, 405, 503, 503])
    }

    @Test func renderedPagesCarryTheirSecurityHeaders() {
        let response = PartnerAPIHandler.render(VendorPageHTML.unavailable())
        #expect(response.status == 503 && response.header("Retry-After") == "60")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store" && response.header("X-Frame-Options") == "DENY")
        #expect(response.header("Referrer-Policy") == "no-referrer")
    }
}

/// Instants and amounts as a vendor reads them.
struct LocalWordingTests {
    @Test(arguments: [
        // Winter (UTC+1) and summer (UTC+2) in Berlin, a slot over midnight, half-hour zones.
        (Int64(1_798_189_200), Int64(1_798_192_800), "Europe/Berlin", "Friday, 25 December 2026, 10:00–11:00 (Europe/Berlin, UTC+01:00)"),
        (Int64(1_782_468_000), Int64(1_782_471_600), "Europe/Berlin", "Friday, 26 June 2026, 12:00–13:00 (Europe/Berlin, UTC+02:00)"),
        (Int64(1_798_239_600), Int64(1_798_246_800), "UTC", "Friday, 25 December 2026, 23:00 – Saturday, 26 December 2026, 01:00 (UTC, UTC+00:00)"),
        (Int64(1_798_189_200), Int64(1_798_191_000), "Asia/Kolkata", "Friday, 25 December 2026, 14:30–15:00 (Asia/Kolkata, UTC+05:30)"),
        (Int64(1_798_189_200), Int64(1_798_191_000), "America/St_Johns", "Friday, 25 December 2026, 05:30–06:00 (America/St_Johns, UTC-03:30)"),
    ])
    func slotsReadInTheVendorsZone(start: Int64, end: Int64, zone: String, expected: String) {
        #expect(LocalWording.slot(UTCInterval(start: start, end: end), zone: zone) == expected)
    }

    @Test(arguments: [
        (Int64(5000), "eur", "50.00 EUR"), (Int64(5), "usd", "0.05 USD"), (Int64(5000), "jpy", "5000 JPY"),
        (Int64(1500), "kwd", "1.500 KWD"), (Int64(-250), "eur", "-2.50 EUR"),
    ])
    func amountsUseTheCurrencysDecimals(minor: Int64, currency: String, expected: String) {
        #expect(LocalWording.amount(minor, currency: currency) == expected)
    }
}

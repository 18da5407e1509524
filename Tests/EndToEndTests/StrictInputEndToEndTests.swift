import BookijiCore
import Foundation
import Postgres
import Testing

/// Issue 17 (points 4 and 7) through nginx and the real responder: misspelt input is refused
/// naming it, cancel and decline keep their reason and say who ended the reservation, the
/// default slot length is the vendor's, and a 401 carries its challenge.
@Suite(.serialized)
struct StrictInputEndToEndTests {
    let tenAM = Booking.day(7) + 10 * 3600

    static func details(_ response: WireResponse) -> [String: Any] {
        (response.error?["details"] as? [String: Any]) ?? [:]
    }

    @Test func misspeltFieldsAndParametersAreRefusedNamingThem() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()

        // A retry with `idempotency_key` would have been a second hold, refused against the first.
        let held = try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 30, extra: #","idempotency_key":"k-1""#)
        #expect(held.status == 400)
        #expect(held.errorCode == "invalid_request")
        #expect(Self.details(held)["field"] as? String == "idempotency_key")
        #expect((held.error?["message"] as? String)?.contains("Received unknown field 'idempotency_key'") == true)
        #expect(try service.get("/v1/reservations", key: key).json["reservations"] as? [Any] != nil)
        #expect((try service.get("/v1/reservations", key: key).json["reservations"] as? [Any])?.isEmpty == true, "nothing was held")

        let window = "startTime=\(Booking.iso(tenAM))&endTime=\(Booking.iso(tenAM + 7200))"
        let lower = try service.get("/v1/vendors/\(vendor)/availability?\(window)&slotduration=60", key: key)
        #expect(lower.status == 400)
        #expect(lower.errorCode == "invalid_parameter")
        #expect(Self.details(lower)["parameter"] as? String == "slotduration")

        let filter = try service.get("/v1/reservations?status=HELD", key: key)
        #expect(filter.status == 400)
        #expect(Self.details(filter)["parameter"] as? String == "status")
        #expect(Self.details(filter)["accepted"] as? [String] == ["cursor", "limit", "state", "vendorId"])

        let endpoint = try service.send("POST", "/v1/webhook-endpoints", key: key, body: Array(#"{"url":"https://example.com/h","event":["x"]}"#.utf8))
        #expect(endpoint.status == 400)
        #expect(Self.details(endpoint)["field"] as? String == "event")

        // The Stripe route keeps reading Stripe's own body: strictness does not reach it.
        let stripe = try service.send("POST", "/v1/stripe/webhooks?from=stripe", body: Array(#"{"id":"evt_1","object":"event","extra":1}"#.utf8))
        #expect(stripe.errorCode == "invalid_signature", "\(stripe.text)")
    }

    @Test func cancelAndDeclineKeepTheirReasonAndSayWhoEndedIt() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let first = try #require(try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 30).json["reservationId"] as? String)
        let second = try #require(try service.hold(key: key, vendor: vendor, start: tenAM + 3600, minutes: 30).json["reservationId"] as? String)

        let tooLong = try service.send(
            "POST", "/v1/reservations/\(first)/cancel", key: key,
            body: Array(try JSONSerialization.data(withJSONObject: ["reason": String(repeating: "é", count: 501)])))
        #expect(tooLong.status == 400)
        #expect(Self.details(tooLong)["field"] as? String == "reason")
        #expect(Self.details(tooLong)["limit"] as? Int == 500)
        let unknown = try service.send("POST", "/v1/reservations/\(first)/cancel", key: key, body: Array(#"{"note":"x"}"#.utf8))
        #expect(Self.details(unknown)["field"] as? String == "note")

        let cancelled = try service.send("POST", "/v1/reservations/\(first)/cancel", key: key, body: Array(#"{"reason":"requester is ill"}"#.utf8))
        #expect(cancelled.status == 200)
        #expect(cancelled.json["cancellationReason"] as? String == "partner")
        #expect(cancelled.json["cancellationNote"] as? String == "requester is ill")
        let read = try service.get("/v1/reservations/\(first)", key: key)
        #expect(read.json["state"] as? String == "CANCELLED")
        #expect(read.json["cancellationReason"] as? String == "partner")
        #expect(read.json["cancellationNote"] as? String == "requester is ill")

        let confirmWithBody = try service.send("POST", "/v1/vendor/reservations/\(second)/confirm", key: vendorKey, body: Array(#"{"reason":"x"}"#.utf8))
        #expect(confirmWithBody.status == 400, "confirm takes no reason")
        let declined = try service.send("POST", "/v1/vendor/reservations/\(second)/decline", key: vendorKey, body: Array(#"{"reason":"fully booked that week"}"#.utf8))
        #expect(declined.status == 200)
        #expect(declined.json["cancellationReason"] as? String == "vendor_declined")
        #expect(declined.json["cancellationNote"] as? String == "fully booked that week")
        let vendorView = try service.get("/v1/vendor/reservations/\(second)", key: vendorKey)
        #expect(vendorView.json["cancellationReason"] as? String == "vendor_declined")
        let partnerView = try service.get("/v1/reservations/\(second)", key: key)
        #expect(partnerView.json["cancellationReason"] as? String == "vendor_declined")
        #expect(partnerView.json["cancellationNote"] as? String == "fully booked that week")

        // The partner's webhook event carries both.
        let payloads = try service.sql().query(
            "SELECT payload->>'cancellationReason', payload->>'cancellationNote' FROM outbox WHERE topic = 'reservation.cancelled' AND reservation_id = $1::uuid",
            [second])
        #expect(try payloads.map { try $0.string(0) } == ["vendor_declined"])
        #expect(try payloads.map { try $0.string(1) } == ["fully booked that week"])
        let rows = try service.sql().query("SELECT cancellation_reason FROM reservations WHERE id = $1::uuid", [first])
        #expect(try rows.first?.string(0) == "partner")
    }

    /// The open vendor sells 30-minute slots: that is the default, 60 (two of them) is fine, 20
    /// (not a multiple) is refused instead of offered.
    @Test func theVendorsSlotLengthIsTheDefaultAndTheUnit() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        let window = "startTime=\(Booking.iso(tenAM))&endTime=\(Booking.iso(tenAM + 7200))"
        let plain = try service.get("/v1/vendors/\(vendor)/availability?\(window)", key: key)
        #expect(plain.status == 200)
        #expect(plain.json["slotDuration"] as? Int == 30)
        #expect((plain.json["slots"] as? [Any])?.count == 4)
        #expect(try service.get("/v1/vendors/\(vendor)/availability?\(window)&slotDuration=60", key: key).json["slotDuration"] as? Int == 60)
        let twenty = try service.get("/v1/vendors/\(vendor)/availability?\(window)&slotDuration=20", key: key)
        #expect(twenty.status == 400)
        #expect(twenty.errorCode == "invalid_parameter")
        #expect(Self.details(twenty)["parameter"] as? String == "slotDuration")
    }

    @Test func a401CarriesABearerChallenge() throws {
        let service = try Service()
        defer { service.stop() }
        let none = try service.get("/v1/ping")
        #expect(none.status == 401)
        #expect(none.header("www-authenticate") == #"Bearer realm="bookiji""#)
        let wrong = try service.get("/v1/ping", key: "bk_wrong")
        #expect(wrong.status == 401)
        #expect(wrong.header("www-authenticate") == #"Bearer realm="bookiji", error="invalid_token""#)
        let vendorRoute = try service.get("/v1/vendor/reservations/00000000-0000-4000-8000-000000000000", key: "bk_wrong")
        #expect(vendorRoute.header("www-authenticate")?.contains("invalid_token") == true)
        // Typed details through nginx too: the window limit is a number.
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        let long = try service.get(
            "/v1/vendors/\(vendor)/availability?startTime=\(Booking.iso(tenAM))&endTime=\(Booking.iso(tenAM + 70 * 86_400))", key: key)
        #expect(Self.details(long)["maximumDays"] as? Int == 62)
    }
}

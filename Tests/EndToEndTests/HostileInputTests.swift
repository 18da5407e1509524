import Foundation
import Testing

/// Hostile input through nginx (issue 14, point 5): NUL characters, lengths at the database's
/// limits, crafted cursors, bodies built to cost, wrong media types; and one form for every
/// timestamp in every answer.
@Suite(.serialized)
struct HostileInputEndToEndTests {
    let tenAM = Booking.day(7) + 10 * 3600

    private func json(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object))
    }

    private func holdBody(_ vendor: String, start: Int64, requester: String = "r1", extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "vendorId": vendor, "slotStartTime": Booking.iso(start), "slotEndTime": Booking.iso(start + 1800), "requesterId": requester,
        ]
        body.merge(extra) { $1 }
        return body
    }

    private func expectRefused(_ response: WireResponse, _ status: Int, _ code: String, naming name: String, key: String = "field") {
        #expect(response.status == status, "\(response.status) \(response.text)")
        #expect(response.errorCode == code, "\(response.text)")
        #expect(response.error?["retryable"] as? Bool == false)
        #expect((response.error?["details"] as? [String: Any])?[key] as? String == name, "\(response.text)")
    }

    @Test func nulIsRefusedNamingTheFieldAndLengthsAreCountedAsTheDatabaseCounts() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)

        // NUL (JSON's \u0000; JSONSerialization writes it so) in body fields, nested metadata included.
        for (extra, field) in [
            (["requesterId": "a\u{0}b"], "requesterId"), (["metadata": ["note": "x\u{0}"]], "metadata.note"),
            (["metadata": ["deep": ["a", "\u{0}"]]], "metadata.deep[1]"), (["idempotencyKey": "k\u{0}"], "idempotencyKey"),
        ] as [([String: Any], String)] {
            let response = try service.send("POST", "/v1/reservations", key: partner.key, body: try json(holdBody(vendor, start: tenAM, extra: extra)))
            expectRefused(response, 400, "invalid_request", naming: field)
        }
        let payment = try service.send(
            "POST", "/v1/reservations/\(UUID().uuidString.lowercased())/authorize", key: partner.key,
            body: Array(#"{"paymentMethodId":"pm_\u0000"}"#.utf8))
        expectRefused(payment, 400, "invalid_request", naming: "paymentMethodId")
        let hook = try service.send("POST", "/v1/webhook-endpoints", key: partner.key, body: Array(#"{"url":"https://example.com/\u0000"}"#.utf8))
        expectRefused(hook, 400, "invalid_request", naming: "url")
        // In a query parameter (%00): the responder names it. In a path, nginx refuses %00 itself
        // (its own 400, in the JSON error shape); the responder's check behind it is unit-tested.
        expectRefused(try service.get("/v1/reservations?state=HELD%00", key: partner.key), 400, "invalid_parameter", naming: "state", key: "parameter")
        expectRefused(
            try service.get("/v1/vendors/\(vendor)/availability?startTime=%00&endTime=x", key: partner.key), 400, "invalid_parameter",
            naming: "startTime", key: "parameter")
        for path in ["/v1/reservations/abc%00def", "/v1/vendors/\(vendor)%00", "/v1/vendor/reservations/x%00"] {
            let response = try service.get(path, key: path.contains("/vendor/") ? vendorKey : partner.key)
            #expect(response.status == 400, "\(path): \(response.status) \(response.text)")
            #expect(response.error?["retryable"] as? Bool == false)
        }
        // In a header used as a value: nginx refuses a header holding NUL before the responder sees it.
        let header = try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30, headers: ["Idempotency-Key": "k\u{0}x"])
        #expect(header.status == 400, "\(header.status) \(header.text)")

        // requesterId: 1 to 200 code points, as `length(requester_id)` counts.
        let combining200 = String(repeating: "e\u{301}", count: 100)  // 100 Characters
        let family200 = String(repeating: "👨‍👩‍👧‍👦", count: 28) + "abcd"  // 32 Characters
        for (index, requester) in [combining200, family200].enumerated() {
            let created = try service.send(
                "POST", "/v1/reservations", key: partner.key,
                body: try json(holdBody(vendor, start: tenAM + Int64(index) * 3600, requester: requester)))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.json["reservationId"] as? String)
            #expect(try service.get("/v1/reservations/\(id)", key: partner.key).json["requesterId"] as? String == requester)
        }
        for requester in [combining200 + "x", String(repeating: "👨‍👩‍👧‍👦", count: 29)] {  // 201 and 203 code points
            let refused = try service.send(
                "POST", "/v1/reservations", key: partner.key, body: try json(holdBody(vendor, start: tenAM + 4 * 3600, requester: requester)))
            expectRefused(refused, 400, "invalid_request", naming: "requesterId")
        }
        // An idempotency key of 255 code points (1,020 bytes of emoji) is one the database takes.
        let key255 = String(repeating: "😀", count: 255)
        let keyed = try service.send(
            "POST", "/v1/reservations", key: partner.key,
            body: try json(holdBody(vendor, start: tenAM + 5 * 3600, extra: ["idempotencyKey": key255])))
        #expect(keyed.status == 201, "\(keyed.text)")
        let tooLong = try service.send(
            "POST", "/v1/reservations", key: partner.key,
            body: try json(holdBody(vendor, start: tenAM + 6 * 3600, extra: ["idempotencyKey": key255 + "x"])))
        expectRefused(tooLong, 400, "invalid_request", naming: "idempotencyKey")
        // Metadata at its limits: 50 keys of 40 code points (combining marks), values of 500 code points.
        let keyStem = String(repeating: "e\u{301}", count: 19)
        var metadata: [String: Any] = [:]
        for n in 0..<50 { metadata[keyStem + String(format: "%02d", n)] = String(repeating: "e\u{301}", count: n == 0 ? 250 : 50) }
        let full = try service.send(
            "POST", "/v1/reservations", key: partner.key, body: try json(holdBody(vendor, start: tenAM + 7 * 3600, extra: ["metadata": metadata])))
        #expect(full.status == 201, "\(full.text)")
        metadata[keyStem + "50"] = "one key too many"
        let over = try service.send(
            "POST", "/v1/reservations", key: partner.key, body: try json(holdBody(vendor, start: tenAM + 8 * 3600, extra: ["metadata": metadata])))
        expectRefused(over, 400, "invalid_request", naming: "metadata")
        #expect((over.error?["details"] as? [String: Any])?["limit"] as? Int == 50)
        #expect(try service.sql().query("SELECT count(*) FROM reservations").first!.int(0) == 4)
    }

    @Test func craftedCursorsAreRefusedAndWrongMediaTypesAre415() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        for n in 0..<3 {
            #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + Int64(n) * 3600, minutes: 30).status == 201)
        }
        // All three in one millisecond: a cursor to the millisecond skipped the later two.
        try service.sql().execute(script: """
            UPDATE reservations SET created_at = '2026-12-01T10:00:00.000100Z'::timestamptz
                + (SELECT count(*) FROM reservations r WHERE r.id < reservations.id) * interval '300 microseconds'
            """)
        var seen: [String] = []
        var cursor = ""
        for _ in 0..<4 {
            let page = try service.get("/v1/reservations?limit=1" + (cursor.isEmpty ? "" : "&cursor=\(cursor)"), key: partner.key)
            #expect(page.status == 200, "\(page.text)")
            seen += (page.json["reservations"] as? [[String: Any]] ?? []).compactMap { $0["reservationId"] as? String }
            guard let next = page.json["nextCursor"] as? String else { break }
            cursor = next
        }
        #expect(seen.count == 3 && Set(seen).count == 3, "pages gave \(seen)")

        func b64(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        let id = UUID().uuidString.lowercased()
        for cursor in [
            "garbage", "%2F%2F%2F", "abc%00", String(repeating: "A", count: 4000), b64("hello world"),
            b64("0000-01-01T00:00:00.000Z|\(id)"), b64("99999999999999999999999|\(id)"), b64("2026-12-01T10:00:00,5Z|\(id)"),
            b64("2026-12-01T10:00:00.000Z|\(id)\u{0}"), b64("[1,2,3]"), b64("2026-12-01T10:00:00.000Z"),
        ] {
            let response = try service.get("/v1/reservations?cursor=\(cursor)", key: partner.key)
            expectRefused(response, 400, "invalid_parameter", naming: "cursor", key: "parameter")
        }
        let endpoint = try service.send("POST", "/v1/webhook-endpoints", key: partner.key, body: Array(#"{"url":"https://example.com/hook"}"#.utf8))
        let endpointID = try #require(endpoint.json["id"] as? String)
        for before in ["x", "-1", "99999999999999999999", "1%00"] {
            let response = try service.get("/v1/webhook-endpoints/\(endpointID)/deliveries?before=\(before)", key: partner.key)
            expectRefused(response, 400, "invalid_parameter", naming: "before", key: "parameter")
        }

        // A JSON body must say so.
        let body = Booking.body(vendor: vendor, start: tenAM + 5 * 3600, minutes: 30)
        for contentType in ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"] {
            let response = try service.send("POST", "/v1/reservations", key: partner.key, body: body, headers: ["Content-Type": contentType])
            expectRefused(response, 415, "unsupported_media_type", naming: contentType, key: "contentType")
        }
        let none = try HTTPClient.send(
            port: service.port, method: "POST", path: "/v1/reservations", headers: ["Authorization": "Bearer \(partner.key)"], body: body)
        #expect(none.status == 415, "\(none.text)")
        #expect(none.errorCode == "unsupported_media_type")
        let charset = try service.send(
            "POST", "/v1/reservations", key: partner.key, body: body, headers: ["Content-Type": "Application/JSON; charset=UTF-8"])
        #expect(charset.status == 201, "\(charset.text)")
        let held = try #require(charset.json["reservationId"] as? String)
        // A route that takes no body accepts an empty one without Content-Type; a body it would ignore must be JSON.
        let textCancel = try service.send(
            "POST", "/v1/reservations/\(held)/cancel", key: partner.key, body: Array("please".utf8), headers: ["Content-Type": "text/plain"])
        #expect(textCancel.status == 415)
        let bareCancel = try HTTPClient.send(
            port: service.port, method: "POST", path: "/v1/reservations/\(held)/cancel", headers: ["Authorization": "Bearer \(partner.key)"])
        #expect(bareCancel.status == 200, "\(bareCancel.text)")
        // Stripe's events (application/json; charset=utf-8) still reach the signature check, and the
        // vendor page's form is still read as a form.
        let stripe = try service.send(
            "POST", "/v1/stripe/webhooks", body: Array("{}".utf8),
            headers: ["Content-Type": "application/json; charset=utf-8", "Stripe-Signature": "t=1,v1=00"])
        #expect(stripe.errorCode == "invalid_signature", "\(stripe.text)")
        let form = try service.send(
            "POST", "/v/r/not-a-token", body: Array("decision=confirm".utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(form.status != 415 && form.header("content-type")?.hasPrefix("text/html") == true, "\(form.status) \(form.text)")
    }

    /// The body that took a responder thread 2.2 s (80,000 metadata keys, 1 MiB; four at once held
    /// the API 9 s) is refused while scanned; four at once leave the API answering.
    @Test func manyKeyBodiesAreRefusedInMillisecondsAndLeaveTheAPIAnswering() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let members = (0..<80_000).map { #""k\#($0)":"v""# }.joined(separator: ",")
        let body = Array(#"{"vendorId":"\#(vendor)","slotStartTime":"\#(Booking.iso(tenAM))","slotEndTime":"\#(Booking.iso(tenAM + 1800))","requesterId":"r","metadata":{\#(members)}}"#.utf8)
        #expect(body.count > 1_000_000 && body.count < 1 << 20)
        let headers = ["Authorization": "Bearer \(partner.key)", "Content-Type": "application/json"]

        let started = Date()
        let one = try HTTPClient.send(port: service.port, method: "POST", path: "/v1/reservations", headers: headers, body: body)
        let alone = Date().timeIntervalSince(started)
        expectRefused(one, 400, "invalid_request", naming: "metadata")
        #expect((one.error?["details"] as? [String: Any])?["limit"] as? Int == 256)
        #expect(alone < 0.5, "one many-key body took \(alone) s")
        print("many-key body through nginx: \(Int(alone * 1000)) ms")

        let group = DispatchGroup()
        let statuses = Statuses()
        let burst = Date()
        for _ in 0..<4 {
            group.enter()
            Thread {
                statuses.add((try? HTTPClient.send(port: service.port, method: "POST", path: "/v1/reservations", headers: headers, body: body))?.status ?? 0)
                group.leave()
            }.start()
        }
        let pingStarted = Date()
        let ping = try service.get("/v1/ping", key: partner.key)
        let pingTime = Date().timeIntervalSince(pingStarted)
        group.wait()
        let burstTime = Date().timeIntervalSince(burst)
        #expect(ping.status == 200)
        #expect(pingTime < 1, "ping during four many-key bodies took \(pingTime) s")
        #expect(statuses.all == [400, 400, 400, 400])
        #expect(burstTime < 2, "four many-key bodies took \(burstTime) s")
        print("four many-key bodies at once: \(Int(burstTime * 1000)) ms; a ping meanwhile: \(Int(pingTime * 1000)) ms")
    }

    /// Every answer of the main routes shows every instant as `YYYY-MM-DDTHH:MM:SSZ`.
    @Test func everyTimestampInEveryAnswerHasOneForm() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        var answers: [(String, WireResponse)] = []
        func keep(_ name: String, _ response: WireResponse) -> WireResponse {
            answers.append((name, response))
            return response
        }
        let created = keep("hold", try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30))
        let id = try #require(created.json["reservationId"] as? String)
        _ = keep("confirm", try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey))
        _ = keep("reservation", try service.get("/v1/reservations/\(id)", key: partner.key))
        _ = keep("vendor reservation", try service.get("/v1/vendor/reservations/\(id)", key: vendorKey))
        _ = keep("list", try service.get("/v1/reservations", key: partner.key))
        _ = keep("vendor", try service.get("/v1/vendors/\(vendor)", key: partner.key))
        _ = keep("availability", try service.get(
            "/v1/vendors/\(vendor)/availability?startTime=\(Booking.iso(tenAM))&endTime=\(Booking.iso(tenAM + 7200))&includeConfidence=true",
            key: partner.key))
        let other = keep("second hold", try service.hold(key: partner.key, vendor: vendor, start: tenAM + 7200, minutes: 30))
        _ = keep("cancel", try service.send("POST", "/v1/reservations/\(other.json["reservationId"] as? String ?? "")/cancel", key: partner.key))
        let endpoint = keep("webhook endpoint", try service.send(
            "POST", "/v1/webhook-endpoints", key: partner.key, body: Array(#"{"url":"https://example.com/hook"}"#.utf8)))
        let endpointID = endpoint.json["id"] as? String ?? ""
        _ = keep("rotate", try service.send("POST", "/v1/webhook-endpoints/\(endpointID)/rotate-secret", key: partner.key))
        _ = keep("disable", try service.send("POST", "/v1/webhook-endpoints/\(endpointID)/disable", key: partner.key))
        _ = keep("endpoints", try service.get("/v1/webhook-endpoints", key: partner.key))
        _ = keep("deliveries", try service.get("/v1/webhook-endpoints/\(endpointID)/deliveries", key: partner.key))
        _ = keep("stats", try service.get("/v1/partner/stats", key: partner.key))

        let oneForm = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"#)
        let looksLikeTime = try Regex(#"^\d{4}-\d{2}-\d{2}[T ]\d"#)
        var seen = 0
        for (name, response) in answers {
            #expect((200..<300).contains(response.status), "\(name): \(response.status) \(response.text)")
            let object = try JSONSerialization.jsonObject(with: Data(response.body))
            for (path, text) in Self.strings(object, path: name) where text.firstMatch(of: looksLikeTime) != nil {
                seen += 1
                #expect(text.wholeMatch(of: oneForm) != nil, "\(path) = \(text)")
            }
        }
        #expect(seen > 40, "only \(seen) timestamps seen")
    }

    static func strings(_ value: Any, path: String) -> [(String, String)] {
        switch value {
        case let text as String: [(path, text)]
        case let object as [String: Any]: object.flatMap { strings($0.value, path: path + "." + $0.key) }
        case let array as [Any]: array.enumerated().flatMap { strings($0.element, path: path + "[\($0.offset)]") }
        default: []
        }
    }
}

private final class Statuses: @unchecked Sendable {  // guarded by lock
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ status: Int) { lock.lock(); values.append(status); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values.sorted() }
}

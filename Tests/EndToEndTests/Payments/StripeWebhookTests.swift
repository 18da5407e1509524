import Foundation
import Postgres
import Testing

/// `POST /v1/stripe/webhooks` through nginx: Stripe's signature scheme checked against the raw
/// body, each event stored once, and nothing stored from an unsigned, stale or forged event.
@Suite(.serialized)
struct StripeWebhookTests {
    static func event(_ id: String, type: String = "payment_intent.amount_capturable_updated") -> [UInt8] {
        Array(#"{"id":"\#(id)","object":"event","type":"\#(type)","data":{"object":{"id":"pi_123","object":"payment_intent","status":"requires_capture"}}}"#.utf8)
    }

    /// Stripe's header for `body`, its HMAC computed by the `openssl` command: an implementation
    /// other than the responder's swift-crypto, so the two are checked against each other.
    static func header(_ body: [UInt8], timestamp: Int64, secret: String = Service.stripeWebhookSecret) throws -> String {
        let signed = directoryFile(contents: Array("\(timestamp).".utf8) + body)
        defer { try? FileManager.default.removeItem(atPath: signed) }
        let output = try run("/usr/bin/openssl", ["dgst", "-sha256", "-hmac", secret, "-r", signed])
        let hex = String(output.split(separator: " ").first ?? "")
        return "t=\(timestamp),v1=\(hex)"
    }

    static func directoryFile(contents: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "stripe-signed-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(contents))
        return path
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    func stored(_ service: Service) throws -> Int {
        try service.sql().query("SELECT count(*) FROM stripe_events").first!.int(0)
    }

    @Test func aSignedEventIsStoredOnceAndAcknowledged() throws {
        let service = try Service()
        defer { service.stop() }
        let body = Self.event("evt_1A")
        let first = try service.send("POST", "/v1/stripe/webhooks", body: body, headers: ["Stripe-Signature": try Self.header(body, timestamp: Self.now)])
        #expect(first.status == 200, "\(first.text)")
        #expect(first.json["eventId"] as? String == "evt_1A")
        #expect(first.json["duplicate"] as? Bool == false)
        // Stripe delivers at least once: the same event again is acknowledged, not stored twice.
        let again = try service.send("POST", "/v1/stripe/webhooks", body: body, headers: ["Stripe-Signature": try Self.header(body, timestamp: Self.now)])
        #expect(again.status == 200)
        #expect(again.json["duplicate"] as? Bool == true)
        #expect(try stored(service) == 1)
        let row = try #require(try service.sql().query("SELECT type, payload->'data'->'object'->>'id', applied_at IS NULL FROM stripe_events WHERE id = 'evt_1A'").first)
        #expect(try row.string(0) == "payment_intent.amount_capturable_updated")
        #expect(try row.string(1) == "pi_123")
        #expect(try row.bool(2), "applied later, by the worker")
    }

    @Test func oneMatchingSignatureAmongSeveralIsEnough() throws {
        let service = try Service()
        defer { service.stop() }
        let body = Self.event("evt_rolled")
        // During a secret roll Stripe signs with both secrets.
        let old = try Self.header(body, timestamp: Self.now, secret: "whsec_old")
        let current = try Self.header(body, timestamp: Self.now)
        let both = old + ",v1=" + String(current.split(separator: "=").last!)
        let response = try service.send("POST", "/v1/stripe/webhooks", body: body, headers: ["Stripe-Signature": both])
        #expect(response.status == 200, "\(response.text)")
    }

    @Test(arguments: ["missing", "forged", "stale", "other secret", "body changed", "no v1", "garbage"])
    func anEventWithoutAGoodSignatureIs400AndNothingIsStored(_ kind: String) throws {
        let service = try Service()
        defer { service.stop() }
        let body = Self.event("evt_bad")
        var headers: [String: String] = [:]
        var sent = body
        switch kind {
        case "missing": break
        case "forged": headers["Stripe-Signature"] = "t=\(Self.now),v1=" + String(repeating: "ab", count: 32)
        case "stale": headers["Stripe-Signature"] = try Self.header(body, timestamp: Self.now - 301)
        case "other secret": headers["Stripe-Signature"] = try Self.header(body, timestamp: Self.now, secret: "whsec_attacker")
        case "body changed":
            headers["Stripe-Signature"] = try Self.header(body, timestamp: Self.now)
            sent = Self.event("evt_bad", type: "payment_intent.succeeded")
        case "no v1": headers["Stripe-Signature"] = "t=\(Self.now),v0=abcd"
        default: headers["Stripe-Signature"] = "not a signature"
        }
        let response = try service.send("POST", "/v1/stripe/webhooks", body: sent, headers: headers)
        #expect(response.status == 400, "\(kind): \(response.text)")
        #expect(response.error?["code"] as? String == "invalid_signature")
        #expect(response.error?["retryable"] as? Bool == false)
        #expect(try stored(service) == 0)
    }

    /// jsonb refuses `\u0000`; a signed event carrying one in a customer's text is stored (the NUL
    /// replaced) and acknowledged, not answered 500 and retried by Stripe for days.
    @Test func aSignedEventWithANULInSomeTextIsStored() throws {
        let service = try Service()
        defer { service.stop() }
        let body = Array(#"{"id":"evt_nul","object":"event","type":"payment_intent.amount_capturable_updated","data":{"object":{"id":"pi_9","object":"payment_intent","status":"requires_capture","description":"Room\u0000 4","metadata":{"n\u0000te":"x"}}}}"#.utf8)
        let response = try service.send("POST", "/v1/stripe/webhooks", body: body, headers: ["Stripe-Signature": try Self.header(body, timestamp: Self.now)])
        #expect(response.status == 200, "\(response.text)")
        let row = try #require(try service.sql().query("""
            SELECT payload->'data'->'object'->>'id', payload->'data'->'object'->>'description',
                   payload->'data'->'object'->>'status' FROM stripe_events WHERE id = 'evt_nul'
            """).first)
        #expect(try row.string(0) == "pi_9")
        #expect(try row.string(1) == "Room\u{FFFD} 4")
        #expect(try row.string(2) == "requires_capture")
    }

    @Test func aSignedBodyThatIsNotAnEventIs400() throws {
        let service = try Service()
        defer { service.stop() }
        for body in [Array(#"{"object":"event"}"#.utf8), Array("[1,2]".utf8), Array(#"{"id":"evt_x","type":7}"#.utf8)] {
            let response = try service.send("POST", "/v1/stripe/webhooks", body: body, headers: ["Stripe-Signature": try Self.header(body, timestamp: Self.now)])
            #expect(response.status == 400, "\(response.text)")
            #expect(response.error?["code"] as? String == "malformed_json")
        }
        #expect(try stored(service) == 0)
    }
}

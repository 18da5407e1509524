import Foundation
import Postgres
import Testing

/// Partner webhooks end to end: registered through nginx, events written with their transitions,
/// signed on the Standard Webhooks scheme and checked by the `standardwebhooks` package, retried,
/// kept in order per reservation, disabled and enabled again, SSRF refused.
@Suite(.serialized)
struct WebhookTests {
    @Test func eventsArriveSignedInOrderWithTheSpecsBody() throws {
        let world = try WebhookWorld()
        defer { world.stop() }
        #expect((world.endpoint["secret"] as? String)?.hasPrefix("whsec_") == true)
        #expect(world.endpoint["enabled"] as? Bool == true)
        let id = try world.hold()
        // Answers name the partner's webhook URL (the spec's `webhookUrl`), once its cached
        // identity (5 s) has seen the endpoint.
        #expect(eventually(seconds: 10) {
            (try? world.service.get("/v1/reservations/\(id)", key: world.partner.key).json["webhookUrl"] as? String) == world.receiverURL
        })
        #expect(try world.service.send("POST", "/v1/vendor/reservations/\(id)/decline", key: world.vendorKey).status == 200)
        let deliveries = try world.waitForDeliveries(2)
        for delivery in deliveries {
            #expect((delivery["verifiedWith"] as? [Int]) == [0], "standardwebhooks verified it: \(delivery["errors"] ?? "")")
            let headers = delivery["headers"] as? [String: String] ?? [:]
            #expect(headers["x-webhook-version"] != nil)
            #expect(headers["webhook-id"]?.hasPrefix("evt_") == true)
            #expect(delivery["path"] as? String == "/hooks/bookiji")
        }
        let events = try world.events()
        #expect(events.map { $0["event"] as? String } == ["reservation.created", "reservation.cancelled"])
        #expect(events.map { $0["sequence"] as? Int } == [1, 2])
        #expect(events.allSatisfy { $0["reservationId"] as? String == id && $0["timestamp"] is String && $0["id"] is String })
        let data = try #require(events.last?["data"] as? [String: Any])
        #expect(data["state"] as? String == "CANCELLED")
        #expect(data["triggeredBy"] as? String == "vendor")
        #expect(data["failureReason"] as? String == "declined by vendor")
        // The webhook-id is the body's id.
        let headers = deliveries[0]["headers"] as? [String: String] ?? [:]
        #expect(headers["webhook-id"] == events[0]["id"] as? String)
        // The deliveries API tells the same story.
        // (The receiver answers before the worker records the answer: wait for the record.)
        var rows: [[String: Any]] = []
        let recorded = eventually(seconds: 10) {
            rows = (try? world.service.get("/v1/webhook-endpoints/\(world.endpointID)/deliveries", key: world.partner.key))
                .flatMap { $0.json["deliveries"] as? [[String: Any]] } ?? []
            return rows.count == 2 && rows.allSatisfy { $0["status"] as? String == "succeeded" }
        }
        #expect(recorded, "\(rows)")
        #expect(rows.allSatisfy { $0["attempts"] as? Int == 1 && $0["lastStatusCode"] as? Int == 200 })
    }

    /// A failed delivery is retried (5 s later); the reservation's next event waits for it.
    @Test func aFailedDeliveryIsRetriedAndLaterEventsWait() throws {
        let world = try WebhookWorld()
        defer { world.stop() }
        try world.answerNext([500])
        let id = try world.hold()
        try world.cancel(id)
        let deliveries = try world.waitForDeliveries(3, seconds: 30)
        let order = try world.events().map { $0["event"] as? String ?? "" }
        #expect(order == ["reservation.created", "reservation.created", "reservation.cancelled"], "\(order)")
        #expect(deliveries.map { $0["answered"] as? Int } == [500, 200, 200])
        let rows = try #require(try world.service.get(
            "/v1/webhook-endpoints/\(world.endpointID)/deliveries", key: world.partner.key).json["deliveries"] as? [[String: Any]])
        let created = try #require(rows.first { $0["event"] as? String == "reservation.created" })
        #expect(created["attempts"] as? Int == 2)
        #expect(created["lastStatusCode"] as? Int == 200)
        // A manual retry sends it once more, same id.
        let retry = try world.service.send(
            "POST", "/v1/webhook-endpoints/\(world.endpointID)/deliveries/\(created["id"] as? String ?? "")/retry", key: world.partner.key)
        #expect(retry.status == 202, "\(retry.text)")
        let again = try world.waitForDeliveries(4)
        let lastHeaders = again.last?["headers"] as? [String: String]
        #expect(lastHeaders?["webhook-id"] == created["eventId"] as? String)
    }

    /// 410 Gone disables the endpoint (the partner sees why); events wait; enabling it resumes them.
    @Test func goneDisablesTheEndpointAndEnablingResumes() throws {
        let world = try WebhookWorld()
        defer { world.stop() }
        try world.answerNext([410])
        let id = try world.hold()
        try world.waitForDeliveries(1)
        #expect(eventually(seconds: 10) { (try? world.endpointState()["enabled"] as? Bool) == false })
        let state = try world.endpointState()
        #expect((state["disabledReason"] as? String)?.contains("410") == true, "\(state)")
        try world.cancel(id)
        Thread.sleep(forTimeInterval: 2)
        #expect(try world.received().count == 1, "nothing is sent to a disabled endpoint")
        let enabled = try world.service.send("POST", "/v1/webhook-endpoints/\(world.endpointID)/enable", key: world.partner.key)
        #expect(enabled.status == 200 && enabled.json["enabled"] as? Bool == true)
        try world.waitForDeliveries(2)
        #expect(try world.events().last?["event"] as? String == "reservation.cancelled")
    }

    /// After a rotation both secrets sign for 24 hours: a receiver still on the old secret and one
    /// already on the new one both verify.
    @Test func aRotatedSecretSignsBesideTheOldOne() throws {
        let world = try WebhookWorld()
        defer { world.stop() }
        let old = try #require(world.endpoint["secret"] as? String)
        let rotated = try world.service.send("POST", "/v1/webhook-endpoints/\(world.endpointID)/rotate-secret", key: world.partner.key)
        #expect(rotated.status == 200)
        let new = try #require(rotated.json["secret"] as? String)
        #expect(new != old && rotated.json["previousSecretExpiresAt"] is String)
        try world.setSecrets([old, new])
        _ = try world.hold()
        let delivery = try #require(try world.waitForDeliveries(1).first)
        #expect(delivery["verifiedWith"] as? [Int] == [0, 1], "\(delivery["errors"] ?? "")")
        let signatures = (delivery["headers"] as? [String: String])?["webhook-signature"]?.split(separator: " ")
        #expect(signatures?.count == 2)
        // The list never shows a secret.
        let list = try world.service.get("/v1/webhook-endpoints", key: world.partner.key)
        #expect(!list.text.contains("whsec_"))
    }

    /// Endpoints subscribed to some events get only those.
    @Test func anEndpointGetsOnlyTheEventsItAskedFor() throws {
        let world = try WebhookWorld()
        defer { world.stop() }
        #expect(try world.service.send("DELETE", "/v1/webhook-endpoints/\(world.endpointID)", key: world.partner.key).status == 204)
        let only = try world.register(events: ["reservation.cancelled"])
        try world.setSecrets([try #require(only["secret"] as? String)])
        let id = try world.hold()
        try world.cancel(id)
        try world.waitForDeliveries(1)
        Thread.sleep(forTimeInterval: 1)
        #expect(try world.events().map { $0["event"] as? String } == ["reservation.cancelled"])
    }

    /// Registration refuses plain http, this machine, private, link-local and metadata addresses
    /// (the responder allows 127.0.0.1 for these tests, so loopback is shown with another spelling).
    @Test func unsafeURLsAreRefused() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        for url in ["http://example.com/hook", "https://localhost/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook",
                    "https://192.168.0.10/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
                    "https://[fd00:ec2::254]/hook", "https://[::ffff:10.0.0.1]/hook", "https://metadata.google.internal/x",
                    "ftp://example.com/hook", "not a url", "https://user:pw@example.com/hook"] {
            let response = try service.send(
                "POST", "/v1/webhook-endpoints", key: partner.key,
                body: Array(try JSONSerialization.data(withJSONObject: ["url": url])))
            #expect(response.status == 400, "\(url): \(response.status) \(response.text)")
            #expect(response.errorCode == "invalid_parameter", "\(url)")
        }
        let unknownEvent = try service.send(
            "POST", "/v1/webhook-endpoints", key: partner.key,
            body: Array(#"{"url":"https://example.com/hook","events":["reservation.exploded"]}"#.utf8))
        #expect(unknownEvent.status == 400)
        let fine = try service.send("POST", "/v1/webhook-endpoints", key: partner.key, body: Array(#"{"url":"https://example.com/hook"}"#.utf8))
        #expect(fine.status == 201, "\(fine.text)")
        let other = try service.createPartner(name: "Other")
        let foreign = try service.send("DELETE", "/v1/webhook-endpoints/\(fine.json["id"] as? String ?? "")", key: other.key)
        #expect(foreign.status == 404)
    }

    /// A name that resolves to a forbidden address is refused at delivery, after resolution: the
    /// endpoint is disabled with the reason.
    @Test func aNameResolvingToLoopbackIsRefusedAtDelivery() throws {
        let world = try WebhookWorld()
        defer { world.stop() }
        // This machine's own name resolves to a loopback address (/etc/hosts), as a public name
        // can be pointed home after registration; set in the database to stand for that.
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try world.service.sql().query(
            "UPDATE webhook_endpoints SET url = $2 WHERE id = $1::uuid", [world.endpointID, "https://\(host):\(world.receiverPort)/hook"])
        _ = try world.hold()
        #expect(eventually(seconds: 20) { (try? world.endpointState()["enabled"] as? Bool) == false })
        let reason = try world.endpointState()["disabledReason"] as? String
        #expect(reason?.contains("resolves") == true || reason?.contains("loopback") == true, "\(reason ?? "")")
        #expect(try world.received().isEmpty)
    }
}

import Foundation
import Postgres
import Testing

/// No credential or requester identifier in any log the stack writes. A realistic flow through
/// nginx (a partner's key, a vendor's key, a refused key, a reservation with a requester id, a
/// webhook endpoint and its secret, both payments through the fake Stripe and its signed events,
/// the worker driving them), on a private cluster logging every statement; then every log file
/// is searched for each secret.
@Suite(.serialized) struct LogSecretsTests {
    static let stripeSecretKey = "sk_test_bookiji_log_secrets"

    @Test func anEndToEndFlowLeavesNoKeySecretOrRequesterIdInAnyLog() throws {
        let cluster = try PostgresCluster(label: "secrets")
        defer { cluster.destroy() }
        let service = try Service(
            cluster: cluster, responderArguments: ["--webhook-allow-host", "127.0.0.1"], nginxArguments: ["--access-log"])
        defer { service.stop() }
        // Every statement and its parameters into the server's log from here on: a key sent as a
        // parameter, hashed or not, would land there.
        let admin = try PGConnection(url: cluster.url(database: "postgres"))
        try admin.execute(script: "ALTER SYSTEM SET log_statement = 'all'")
        try admin.execute(script: "SELECT pg_reload_conf()")
        usleep(300_000)

        let fakePort = freePort()
        let fake = try Daemon(Paths.fakeStripe, [
            "--port", String(fakePort), "--webhook-secret", Service.stripeWebhookSecret,
            "--webhook-url", "http://127.0.0.1:\(service.port)/v1/stripe/webhooks",
        ], logPath: service.directoryPath("fake-stripe.log"))
        defer { fake.stop() }
        #expect(eventually(seconds: 10) { (try? HTTPClient.send(port: fakePort, path: "/_control/health").status) == 200 })
        let worker = try Daemon(Paths.bookiji, [
            "worker", "--database", service.databaseURL, "--poll-seconds", "1", "--stripe-api-base", "http://127.0.0.1:\(fakePort)",
            "--no-calendar-sync", "--webhook-allow-host", "127.0.0.1",
        ], logPath: service.directoryPath("worker.log"), environment: ["BOOKIJI_STRIPE_SECRET_KEY": Self.stripeSecretKey, "BOOKIJI_LOG_LEVEL": "debug"])
        defer { worker.stop() }

        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let requesterID = "requester-\(UUID().uuidString.lowercased())"
        let wrongKey = "bk_" + String(repeating: "Z", count: 40)

        #expect(try service.get("/v1/ping", key: wrongKey).status == 401)
        #expect(try service.get("/v1/vendor/reservations/\(UUID().uuidString.lowercased())", key: "bkv_" + String(repeating: "Y", count: 40)).status == 401)
        let endpoint = try service.send(
            "POST", "/v1/webhook-endpoints", key: partner.key, body: Array(#"{"url":"http://127.0.0.1:\#(freePort())/hooks"}"#.utf8))
        #expect(endpoint.status == 201, "\(endpoint.text)")
        let endpointSecret = try #require(endpoint.json["secret"] as? String)

        let held = try service.send(
            "POST", "/v1/reservations", key: partner.key,
            body: Booking.body(vendor: vendor, start: Booking.day(7) + 10 * 3600, minutes: 60, requester: requesterID))
        let id = try #require(held.json["reservationId"] as? String, "hold: \(held.status) \(held.text)")
        #expect(try service.get("/v1/reservations/\(id)", key: partner.key).status == 200)
        #expect(try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey).status == 200)
        let card = Array(#"{"paymentMethodId":"pm_card_visa"}"#.utf8)
        #expect(try service.send("POST", "/v1/vendor/reservations/\(id)/authorize", key: vendorKey, body: card).status == 202)
        #expect(try service.send("POST", "/v1/reservations/\(id)/authorize", key: partner.key, body: card).status == 202)
        var state = ""
        _ = eventually(seconds: 30) {
            state = (try? service.get("/v1/reservations/\(id)", key: partner.key).json["state"] as? String) ?? ""
            return state == "COMMITTED"
        }
        #expect(state == "COMMITTED", "worker log:\n\(worker.log.suffix(4000))")
        #expect(try service.get("/v1/reservations", key: partner.key).status == 200)

        // Stop the writers so every line is on disk (nginx flushes its access log on exit).
        worker.stop()
        service.nginx?.stop()
        service.responder?.stop()

        let ours: [String: String] = [
            "responder": service.directoryPath("responder.log"),
            "worker": service.directoryPath("worker.log"),
            "nginx error log": service.directoryPath("nginx/error.log"),
            "nginx access log": service.directoryPath("nginx/access.log"),
            "nginx output": service.directoryPath("nginx.out"),
        ]
        let secrets: [String: String] = [
            "partner key": partner.key, "vendor key": vendorKey, "refused key": wrongKey, "requester id": requesterID,
            "webhook endpoint secret": endpointSecret, "Stripe secret key": Self.stripeSecretKey,
            "Stripe webhook secret": Service.stripeWebhookSecret, "vendor page key": Service.pageKey,
        ]
        for (name, path) in ours.sorted(by: { $0.key < $1.key }) {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            for (secret, value) in secrets.sorted(by: { $0.key < $1.key }) {
                #expect(!text.contains(value), "the \(name) (\(path)) holds the \(secret)")
            }
        }
        // The searches could have found something: the logs are there and busy.
        let responderLog = (try? String(contentsOfFile: ours["responder"]!, encoding: .utf8)) ?? ""
        #expect(responderLog.components(separatedBy: "\"message\":\"request\"").count > 10)
        #expect(((try? String(contentsOfFile: ours["worker"]!, encoding: .utf8)) ?? "").contains("\"level\""))
        let accessLog = (try? String(contentsOfFile: ours["nginx access log"]!, encoding: .utf8)) ?? ""
        #expect(accessLog.contains("/v1/reservations/\(id)"))

        // The server's statement log has the key lookups, but only the keys' hashes.
        let statements = (try? String(contentsOfFile: cluster.directory + "/postgres.log", encoding: .utf8)) ?? ""
        #expect(statements.contains("api_key_hash = $1::bytea"), "statement logging was not on")
        // It records parameters too (the requester id went in as one): a key sent as a
        // parameter would have been found.
        #expect(statements.contains(requesterID), "the statement log does not show parameters")
        for (secret, value) in ["partner key": partner.key, "vendor key": vendorKey, "refused key": wrongKey] {
            #expect(!statements.contains(value), "PostgreSQL's statement log holds the \(secret)")
        }
    }
}

import Foundation
import Postgres
import Testing

/// The walking skeleton through the real stack: nginx → FastCGI → `bookiji serve` → PostgreSQL.
@Suite(.serialized)
struct SkeletonTests {
    @Test func healthAnswersThroughNginxWithoutAKey() throws {
        let service = try Service()
        defer { service.stop() }
        let response = try service.get("/v1/health")
        #expect(response.status == 200)
        #expect(response.json["status"] as? String == "ok")
        #expect(response.header("content-type") == "application/json")
    }

    @Test func partnerKeyOpensTheAPIAndVendorReadReturnsTheVendor() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendorID = try service.createVendor(name: "Clinic", timezone: "America/New_York")
        _ = try service.createVendor(name: "Kolkata", timezone: "Asia/Kolkata")  // current tzdata names, not only Foundation's list
        let response = try service.get("/v1/vendors/\(vendorID)", key: partner.key)
        #expect(response.status == 200)
        #expect(response.json["vendorId"] as? String == vendorID)
        #expect(response.json["timezone"] as? String == "America/New_York")
        #expect(response.json["name"] as? String == "Clinic")
        let ping = try service.get("/v1/ping", key: partner.key)
        #expect(ping.status == 200)
        #expect(ping.json["partnerId"] as? String == partner.id)
    }

    @Test func everyRequestIsLoggedAsOneJSONLineWithItsRequestID() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let tagged = try service.get("/v1/ping", key: partner.key, headers: ["X-Request-Id": "trace-42"])
        #expect(tagged.header("x-request-id") == "trace-42")
        let untagged = try service.get("/v1/vendors/00000000-0000-0000-0000-000000000000", key: partner.key)
        #expect(untagged.status == 404)
        let generated = try #require(untagged.header("x-request-id"))
        #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit))
        // A header that could break a log line or a header is not echoed.
        let spaced = try service.get("/v1/ping", key: partner.key, headers: ["X-Request-Id": "two words"])
        #expect(spaced.header("x-request-id")?.count == 32)

        let lines = try #require(service.responder?.log).split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        #expect(lines.allSatisfy { $0 != nil }, "every line of the responder's log is one JSON object")
        let requests = lines.compactMap { $0 }.filter { $0["message"] as? String == "request" }
        let ping = try #require(requests.first { $0["requestId"] as? String == "trace-42" })
        #expect(ping["status"] as? String == "200")
        #expect(ping["route"] as? String == "/v1/ping")
        #expect(ping["partnerId"] as? String == partner.id)
        #expect(ping["level"] as? String == "info")
        #expect((ping["time"] as? String)?.hasSuffix("Z") == true)
        let missing = try #require(requests.first { $0["requestId"] as? String == generated })
        #expect(missing["status"] as? String == "404")
        #expect(missing["method"] as? String == "GET")
        // The route template, not the path: no ids in the log.
        #expect(missing["route"] as? String == "/v1/vendors/{vendorId}")
        #expect(missing["path"] == nil)
    }

    @Test func missingMalformedUnknownAndRevokedKeysAre401() throws {
        let service = try Service(responderArguments: ["--auth-cache-seconds", "0"])
        defer { service.stop() }
        let partner = try service.createPartner()
        #expect(try service.get("/v1/ping", key: partner.key).status == 200)

        let missing = try service.get("/v1/ping")
        #expect(missing.status == 401)
        #expect(missing.errorCode == "unauthorized")
        #expect(missing.error?["retryable"] as? Bool == false)
        #expect(try service.get("/v1/ping", headers: ["Authorization": "Basic abc"]).status == 401)
        #expect(try service.get("/v1/ping", key: "bk_not_a_real_key").status == 401)

        try service.bookiji(["partner", "revoke", partner.id])
        let revoked = try service.get("/v1/ping", key: partner.key)
        #expect(revoked.status == 401)
        #expect(revoked.errorCode == "unauthorized")
    }

    @Test func unknownVendorRouteAndMethodUseTheErrorShape() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key

        let vendor = try service.get("/v1/vendors/00000000-0000-0000-0000-000000000000", key: key)
        #expect(vendor.status == 404)
        #expect(vendor.errorCode == "vendor_not_found")
        #expect(try service.get("/v1/vendors/not-a-uuid", key: key).status == 404)

        let route = try service.get("/v1/nothing-here", key: key)
        #expect(route.status == 404)
        #expect(route.errorCode == "not_found")

        let method = try service.send("DELETE", "/v1/vendors/00000000-0000-0000-0000-000000000000", key: key)
        #expect(method.status == 405)
        #expect(method.header("allow") == "GET")
        #expect(method.errorCode == "method_not_allowed")
        #expect(method.error?["message"] as? String != nil)
    }

    @Test func bodyOverTheResponderLimitIs413WithoutReadingIt() throws {
        let service = try Service(responderArguments: ["--max-body-bytes", "1000"])
        defer { service.stop() }
        let key = try service.createPartner().key
        let response = try service.send("POST", "/v1/ping", key: key, body: Array(repeating: UInt8(ascii: "a"), count: 5000))
        #expect(response.status == 413)
        #expect(response.errorCode == "payload_too_large")
        #expect(response.error?["retryable"] as? Bool == false)
    }

    @Test func bodyOverTheNginxLimitIs413InTheErrorShape() throws {
        let service = try Service()
        defer { service.stop() }
        let response = try service.send("POST", "/v1/ping", body: Array(repeating: UInt8(ascii: "a"), count: 3 << 20))
        #expect(response.status == 413)
        #expect(response.error?["code"] as? String != nil)
        #expect(response.error?["retryable"] as? Bool == false)
    }

    @Test func terminatedBackendIsReplacedAndTheNextRequestSucceeds() throws {
        let service = try Service(responderArguments: ["--threads", "1"])
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendorID = try service.createVendor()
        #expect(try service.get("/v1/vendors/\(vendorID)", key: key).status == 200)

        let admin = try service.sql()
        let killed = try admin.query("""
            SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """).map { try $0.int(0) }
        for pid in killed {
            #expect(try admin.query("SELECT pg_terminate_backend($1)", [pid]).first!.bool(0))
        }
        #expect(!killed.isEmpty)
        // pg_terminate_backend only signals; wait until the backends have really gone, so the
        // responder's idle connection has the server's FATAL message waiting on it. (A request
        // racing the termination itself is the one request a terminated backend may cost.)
        let gone = eventually(seconds: 10) {
            (try? admin.query(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])",
                [PGArray(killed.map(String.init))]).first?.int(0)) == 0
        }
        #expect(gone)
        let after = try service.get("/v1/vendors/\(vendorID)", key: key)
        #expect(after.status == 200)
        #expect(after.json["vendorId"] as? String == vendorID)
    }

    @Test func databaseOutageAnswers503ThenRecoversWhenPostgresIsBack() throws {
        let cluster = try PostgresCluster(label: "outage")
        defer { cluster.destroy() }
        let service = try Service(cluster: cluster)
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendorID = try service.createVendor()
        #expect(try service.get("/v1/vendors/\(vendorID)", key: key).status == 200)

        cluster.stop()
        let health = try service.get("/v1/health")
        #expect(health.status == 503)
        #expect(health.errorCode == "service_unavailable")
        #expect(health.error?["retryable"] as? Bool == true)
        let vendor = try service.get("/v1/vendors/\(vendorID)", key: key)
        #expect(vendor.status == 503)
        #expect(vendor.header("retry-after") != nil)
        #expect(service.responder?.isRunning == true)

        try cluster.start()
        #expect(eventually(seconds: 10) { (try? service.get("/v1/health").status) == 200 })
        #expect(try service.get("/v1/vendors/\(vendorID)", key: key).status == 200)
    }

    @Test func sigtermLetsTheInFlightRequestFinishAndExitsZero() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendorID = try service.createVendor()
        #expect(try service.get("/v1/vendors/\(vendorID)", key: key).status == 200)

        // Hold a lock the vendor read must wait for, so the request is in flight when SIGTERM lands.
        let blocker = try service.sql()
        try blocker.execute(script: "BEGIN; LOCK TABLE vendors IN ACCESS EXCLUSIVE MODE")
        let result = ResultBox()
        let request = Thread {
            result.set(try? service.get("/v1/vendors/\(vendorID)", key: key))
        }
        request.start()
        let admin = try service.sql()
        #expect(eventually(seconds: 5) {
            (try? admin.query("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'vendors'::regclass").first!.int(0)) == 1
        })
        service.responder!.signal(SIGTERM)
        usleep(300_000)
        #expect(service.responder!.isRunning, "the responder must wait for the in-flight request")
        try blocker.execute(script: "COMMIT")

        let status = service.responder!.waitForExit(seconds: 5)
        #expect(status == 0, "responder log:\n\(service.responder!.log)")
        #expect(eventually(seconds: 5) { result.value != nil })
        #expect(result.value?.status == 200)
        #expect(result.value?.json["vendorId"] as? String == vendorID)
    }
}

/// Carries a response out of a helper thread.
final class ResultBox: @unchecked Sendable {  // guarded by the lock
    private let lock = NSLock()
    private var stored: WireResponse?
    func set(_ value: WireResponse?) { lock.lock(); stored = value; lock.unlock() }
    var value: WireResponse? { lock.lock(); defer { lock.unlock() }; return stored }
}

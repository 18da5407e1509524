import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The database hung or down, through nginx with the real responder on a private cluster (these
/// tests stop it): every route answers 503 `service_unavailable` within 5 s with the responder's
/// default bounds, health included; service comes back by itself; the log tells the outage in
/// two lines, not one error per request.
@Suite(.serialized) struct DatabaseOutageTests {
    /// SIGSTOP on every server process: connections are accepted by the kernel and never
    /// answered, statements already sent get no answer, the server enforces no timeout.
    @Test func hungDatabaseAnswers503WithinFiveSecondsOnEveryRouteAndServiceResumesByItself() throws {
        let cluster = try PostgresCluster(label: "hung")
        defer { cluster.destroy() }
        let service = try Service(cluster: cluster)
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let held = try service.hold(key: partner.key, vendor: vendor, start: Booking.day(7) + 9 * 3600, minutes: 60)
        let reservation = try #require(held.json["reservationId"] as? String, "hold: \(held.status) \(held.text)")
        // Every responder thread holds an open connection, so the first requests meet a hung
        // statement (the response deadline) and later ones a hung connect (the connect timeout).
        for _ in 0..<8 { #expect(try service.get("/v1/reservations/\(reservation)", key: partner.key).status == 200) }

        cluster.signalServer(SIGSTOP)
        var resumed = false
        defer { if !resumed { cluster.signalServer(SIGCONT) } }
        let requests: [(String, () throws -> WireResponse)] = [
            ("GET /v1/health", { try service.get("/v1/health") }),
            ("GET /v1/reservations/{id}", { try service.get("/v1/reservations/\(reservation)", key: partner.key) }),
            ("GET /v1/vendors/{id}", { try service.get("/v1/vendors/\(vendor)", key: partner.key) }),
            ("POST /v1/reservations", {
                try service.hold(key: partner.key, vendor: vendor, start: Booking.day(8) + 9 * 3600, minutes: 60)
            }),
            ("GET /v1/reservations", { try service.get("/v1/reservations", key: partner.key) }),
            ("GET /v1/vendor/reservations/{id}", { try service.get("/v1/vendor/reservations/\(reservation)", key: vendorKey) }),
            ("GET /v1/webhook-endpoints", { try service.get("/v1/webhook-endpoints", key: partner.key) }),
            ("GET /v1/partner/stats", { try service.get("/v1/partner/stats", key: partner.key) }),
            ("GET /v1/health", { try service.get("/v1/health") }),
            ("GET /v1/vendors/{id}", { try service.get("/v1/vendors/\(vendor)", key: partner.key) }),
            ("GET /v1/health", { try service.get("/v1/health") }),
        ]
        for (route, send) in requests {
            let started = ContinuousClock.now
            let response = try send()
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 503, "\(route) during the hang: \(response.status) \(response.text)")
            #expect(response.errorCode == "service_unavailable", "\(route): \(response.text)")
            #expect(response.error?["retryable"] as? Bool == true, "\(route): \(response.text)")
            #expect(elapsed < .seconds(5), "\(route) took \(elapsed) with the database hung")
        }

        cluster.signalServer(SIGCONT)
        resumed = true
        #expect(eventually(seconds: 15) { (try? service.get("/v1/health").status) == 200 }, "health did not recover")
        for _ in 0..<8 {
            #expect(try service.get("/v1/reservations/\(reservation)", key: partner.key).status == 200)
            #expect(try service.get("/v1/vendor/reservations/\(reservation)", key: vendorKey).status == 200)
        }
    }

    /// A database address over TCP that accepts connections and never answers (a hung host, a
    /// proxy that forwards nothing): the connect timeout answers for it.
    @Test func silentDatabaseOverTCPAnswers503WithinFiveSeconds() throws {
        let service = try Service()
        defer { service.stop() }
        let silent = try SilentTCPListener()
        defer { silent.close() }
        service.responder?.stop()
        try service.startResponder(extra: ["--database", "postgresql://postgres@127.0.0.1:\(silent.port)/bookiji"])
        let key = "bk_" + String(repeating: "A", count: 40)
        for path in ["/v1/health", "/v1/vendors/\(UUID().uuidString.lowercased())", "/v1/reservations", "/v1/health", "/v1/partner/stats"] {
            let started = ContinuousClock.now
            let response = try service.get(path, key: path == "/v1/health" ? nil : key)
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 503, "\(path): \(response.status) \(response.text)")
            #expect(response.errorCode == "service_unavailable", "\(path): \(response.text)")
            #expect(elapsed < .seconds(5), "\(path) took \(elapsed) with a silent database")
        }
    }

    /// A stopped database: each request still gets its one request line, and the outage itself
    /// two lines in all (when the first request fails, when the first succeeds again), every
    /// line one JSON object.
    @Test func outageIsLoggedOnceWhenItStartsAndOnceWhenItEnds() throws {
        let cluster = try PostgresCluster(label: "down")
        defer { cluster.destroy() }
        let service = try Service(cluster: cluster)
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        #expect(try service.get("/v1/vendors/\(vendor)", key: partner.key).status == 200)

        cluster.stop()
        let failing = 12
        for index in 0..<failing {
            let response = index % 3 == 0 ? try service.get("/v1/health") : try service.get("/v1/vendors/\(vendor)", key: partner.key)
            #expect(response.status == 503, "request \(index) with the database down: \(response.status) \(response.text)")
        }
        try cluster.start()
        #expect(eventually(seconds: 15) { (try? service.get("/v1/health").status) == 200 }, "health did not recover")
        for _ in 0..<6 { #expect(try service.get("/v1/vendors/\(vendor)", key: partner.key).status == 200) }

        let lines = try #require(service.responder?.log).split(separator: "\n")
        let objects = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(objects.count == lines.count, "lines that are not one JSON object: \(lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil })")
        let messages = objects.map { $0["message"] as? String ?? "" }
        #expect(messages.filter { $0 == "database unavailable" }.count == 1, "\(lines.joined(separator: "\n"))")
        #expect(messages.filter { $0 == "database available again" }.count == 1, "\(lines.joined(separator: "\n"))")
        let unavailable = try #require(objects.firstIndex { $0["message"] as? String == "database unavailable" })
        let available = try #require(objects.firstIndex { $0["message"] as? String == "database available again" })
        #expect(unavailable < available)
        let failedRequests = objects.filter { $0["message"] as? String == "request" && $0["status"] as? String == "503" }
        #expect(failedRequests.count == failing)
        // No per-request error lines for the outage.
        let errors = objects.filter { ($0["level"] as? String == "error") && $0["message"] as? String != "database unavailable" }
        #expect(errors.isEmpty, "error lines besides the outage's: \(errors)")
    }
}

/// A loopback TCP port whose connections complete (the kernel's backlog accepts them) and are
/// never read or answered.
final class SilentTCPListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            throw CommandFailure(description: "cannot listen on loopback: errno \(errno)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(fd) }
}

import Foundation
import Testing

/// What nginx itself does in front of the responder (nginx/conf.d/bookiji.conf and
/// nginx/snippets/bookiji-locations.conf): its own errors in the API's shape, the request id,
/// per-address connection limits and timeouts, and who may read `/metrics`. Raw sockets, since
/// most of these requests are ones no HTTP client would send.
@Suite(.serialized)
struct NginxEdgeTests {
    /// A request nginx refuses itself, and the status it must answer with.
    struct Refusal: Sendable, CustomStringConvertible {
        var description: String
        var request: [UInt8]
        var status: Int

        init(_ description: String, _ request: String, _ status: Int) {
            self.init(description, Array(request.utf8), status)
        }

        init(_ description: String, _ request: [UInt8], _ status: Int) {
            self.description = description
            self.request = request
            self.status = status
        }
    }

    static let refusals: [Refusal] = [
        Refusal("a malformed request line", "GARBAGE\r\n\r\n", 400),
        Refusal("HTTP/1.1 without Host", "GET /v1/health HTTP/1.1\r\n\r\n", 400),
        Refusal("a header line without a colon", "GET /v1/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),
        Refusal("both Content-Length and Transfer-Encoding",
                "POST /v1/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        Refusal("a broken chunked body",
                "POST /v1/ping HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        Refusal("TRACE", "TRACE /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        Refusal("a body over 1 MiB", "POST /v1/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
        Refusal("a 9 KB URI", "GET /v1/health?" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        Refusal("a 9 KB header", "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 9000) + "\r\n\r\n", 431),
        Refusal("an unknown Transfer-Encoding", "POST /v1/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        Refusal("HTTP/2.0 in the request line", "GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ]

    @Test func nginxsOwnRefusalsAnswerInTheAPIErrorShapeWithARequestID() throws {
        let service = try Service()
        defer { service.stop() }
        for refusal in Self.refusals {
            let response = try RawConnection.exchange(port: service.port, refusal.request)
            #expect(response.status == refusal.status, "\(refusal)")
            #expect(response.header("content-type") == "application/json", "\(refusal)")
            let error = try #require(response.error, "\(refusal): \(response.text)")
            #expect(error.count == 3, "\(refusal): exactly code, message, retryable")
            #expect((error["code"] as? String)?.isEmpty == false, "\(refusal)")
            #expect((error["message"] as? String)?.isEmpty == false, "\(refusal)")
            #expect(error["retryable"] as? Bool == false, "\(refusal)")
            #expect(Self.isNginxRequestID(response.header("x-request-id")), "\(refusal)")
        }
    }

    @Test func traceIsRefusedWithAnAllowHeaderListingTheAPIsMethods() throws {
        let service = try Service()
        defer { service.stop() }
        let response = try RawConnection.exchange(port: service.port, "TRACE /v1/reservations HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 405)
        #expect(response.errorCode == "method_not_allowed")
        let allowed = try #require(response.header("allow")).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Set(allowed) == ["GET", "HEAD", "POST", "DELETE"])
    }

    @Test func theRequestIDIsNginxsAndTheResponderLogsAndReturnsIt() throws {
        let service = try Service(nginxArguments: ["--access-log"])
        defer { service.stop() }
        let plain = try service.get("/v1/health")
        let id = try #require(plain.header("x-request-id"))
        #expect(Self.isNginxRequestID(id))
        // A caller's usable id wins, on the responder's answers and on nginx's own alike.
        #expect(try service.get("/v1/health", headers: ["X-Request-Id": "partner-trace-7"]).header("x-request-id") == "partner-trace-7")
        let refused = try RawConnection.exchange(
            port: service.port, "TRACE /v1/health HTTP/1.1\r\nHost: x\r\nX-Request-Id: partner-trace-8\r\n\r\n")
        #expect(refused.header("x-request-id") == "partner-trace-8")
        // One that could break a log line or a header is replaced by nginx's.
        let replaced = try service.get("/v1/health", headers: ["X-Request-Id": "two words"])
        #expect(Self.isNginxRequestID(replaced.header("x-request-id")))
        let tooLong = try service.get("/v1/health", headers: ["X-Request-Id": String(repeating: "x", count: 129)])
        #expect(Self.isNginxRequestID(tooLong.header("x-request-id")))

        // nginx's access log and the responder's request line carry the same id.
        let logged = eventually(seconds: 5) {
            ((try? String(contentsOfFile: service.directoryPath("nginx/access.log"), encoding: .utf8)) ?? "").contains(id)
        }
        #expect(logged, "nginx's access log has the id")
        let lines = (service.responder?.log ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(lines.contains { $0["message"] as? String == "request" && $0["requestId"] as? String == id })
    }

    /// 2,500 connections from one address, each holding a request head it never finishes (nginx
    /// cannot reclaim those as it does silent ones): beyond the 2 × 1024 connections nginx had
    /// before, where every other client was refused until the 60 s header timeout; the API must
    /// keep answering everyone else at once.
    @Test func halfSentRequestsFromOneAddressLeaveTheAPIAnsweringOthers() throws {
        let service = try Service()
        defer { service.stop() }
        let flood = try Self.halfSentRequests(2500, port: service.port, from: "127.0.0.2")
        defer { flood.forEach { $0.close() } }
        for _ in 0..<20 {
            let started = Date()
            let response = try HTTPClient.send(port: service.port, path: "/v1/health", timeoutSeconds: 5)
            #expect(response.status == 200)
            #expect(Date().timeIntervalSince(started) < 1)
        }
        // The flood is still held (until the header timeout): the API answered beside it.
        #expect(flood.filter(\.isClosedByPeer).count < 100)
    }

    /// When one address does hold every connection nginx has, the header timeout bounds how long
    /// others wait: nginx closes the half-sent requests and the next connection gets in.
    @Test func exhaustedConnectionsComeBackWithinTheHeaderTimeout() throws {
        let service = try Service(nginxArguments: ["--worker-connections", "256", "--header-timeout", "3"])
        defer { service.stop() }
        let flood = try Self.halfSentRequests(1000, port: service.port, from: "127.0.0.2")
        defer { flood.forEach { $0.close() } }
        let started = Date()
        var answered: WireResponse?
        while answered == nil && Date().timeIntervalSince(started) < 10 {
            answered = try? HTTPClient.send(port: service.port, path: "/v1/health", timeoutSeconds: 5)
            if answered == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(answered?.status == 200)
        #expect(Date().timeIntervalSince(started) < 3 + 2)
        let log = (try? String(contentsOfFile: service.directoryPath("nginx/error.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("worker_connections are not enough"), "the flood did exhaust nginx's connections")
    }

    @Test func aConnectionSilentPastTheHeaderTimeoutIsClosedWithoutAnAnswer() throws {
        let service = try Service(nginxArguments: ["--header-timeout", "2"])
        defer { service.stop() }
        let silent = try RawConnection(port: service.port, from: "127.0.0.2")
        let slow = try RawConnection(port: service.port, from: "127.0.0.2")
        try slow.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Half: ")
        let started = Date()
        #expect(silent.bytesUntilClosed(withinSeconds: 5) == [])
        #expect(slow.bytesUntilClosed(withinSeconds: 5) == [], "no 408 is sent")
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test func requestsInProgressFromOneAddressAreCappedAndOthersStillAnswered() throws {
        let service = try Service(nginxArguments: ["--conn-limit", "4"])
        defer { service.stop() }
        // Four requests whose bodies never come: each holds a slot while nginx waits for it.
        let held = try (0..<4).map { _ in
            let connection = try RawConnection(port: service.port, from: "127.0.0.4")
            try connection.send("POST /v1/ping HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            return connection
        }
        let refusedOnce = eventually(seconds: 5) {
            (try? RawConnection.exchange(port: service.port, from: "127.0.0.4", "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"))?.status == 429
        }
        #expect(refusedOnce)
        let refused = try RawConnection.exchange(port: service.port, from: "127.0.0.4", "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(refused.status == 429)
        #expect(refused.errorCode == "rate_limited")
        #expect(refused.error?["retryable"] as? Bool == true)
        #expect(refused.header("retry-after") != nil)
        #expect(Self.isNginxRequestID(refused.header("x-request-id")))
        let other = try RawConnection.exchange(port: service.port, from: "127.0.0.1", "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(other.status == 200)
        held.forEach { $0.close() }
        #expect(eventually(seconds: 5) {
            (try? RawConnection.exchange(port: service.port, from: "127.0.0.4", "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"))?.status == 200
        })
    }

    @Test func metricsAreOpenToLoopbackAndTheAllowListAndForbiddenToOthers() throws {
        let service = try Service(nginxArguments: ["--metrics-allow", "127.0.0.3"])
        defer { service.stop() }
        let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        let denied = try RawConnection.exchange(port: service.port, from: "127.0.0.2", request)
        #expect(denied.status == 403)
        #expect(denied.errorCode == "forbidden")
        #expect(denied.error?["retryable"] as? Bool == false)
        #expect(Self.isNginxRequestID(denied.header("x-request-id")))
        for source in ["127.0.0.1", "127.0.0.3"] {
            let allowed = try RawConnection.exchange(port: service.port, from: source, request)
            // The responder answers: its metrics, or its JSON 404 where the route is missing.
            #expect(allowed.status == 200 || allowed.errorCode == "not_found", "\(source): \(allowed.status) \(allowed.text)")
            #expect(allowed.header("x-request-id") != nil)
        }
    }

    /// Connections from `source` that have each sent the start of a request head and stop there.
    /// nginx accepts more than it can hold and closes the excess at once, so fewer may survive.
    static func halfSentRequests(_ count: Int, port: Int, from source: String) throws -> [RawConnection] {
        try (0..<count).map { _ in
            let connection = try RawConnection(port: port, from: source)
            try? connection.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n")
            return connection
        }
    }

    /// nginx's `$request_id`: 32 lowercase hex digits.
    static func isNginxRequestID(_ value: String?) -> Bool {
        guard let value else { return false }
        return value.count == 32 && value.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

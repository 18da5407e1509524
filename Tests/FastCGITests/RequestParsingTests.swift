import FastCGI
import Foundation
import Testing

extension FastCGIServerTests {
    /// The CGI variables and FCGI_STDIN become ``HTTPRequest`` fields.
    @Suite struct RequestParsing {
        @Test func methodPathQueryHeadersAndBodyAreParsed() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let body = Array(#"{"name":"Zürich"}"#.utf8)
            let response = try server.send(
                method: "POST", path: "/v1/vendors/abc%20d", query: "x=1&y=two%20words",
                headers: [("Authorization", "Bearer bk_123"), ("X-Request-Id", "r-1"), ("If-None-Match", "\"v1\""),
                          ("Content-Type", "application/json"), ("Accept-Language", "de")],
                body: body)
            #expect(response.status == 200)
            let echo = response.json
            #expect(echo["method"] as? String == "POST")
            #expect(echo["path"] as? String == "/v1/vendors/abc%20d")  // still percent-encoded
            #expect(echo["query"] as? String == "x=1&y=two%20words")
            #expect(echo["remote"] as? String == "127.0.0.1")
            #expect(echo["body"] as? String == Data(body).base64EncodedString())
            let headers = echo["headers"] as? [String: String] ?? [:]
            #expect(headers == [
                "authorization": "Bearer bk_123", "x-request-id": "r-1", "if-none-match": "\"v1\"",
                "content-type": "application/json", "accept-language": "de",
            ])
        }

        @Test func requestWithoutBodyOrQuery() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let echo = try server.send(path: "/v1/health").json
            #expect(echo["method"] as? String == "GET")
            #expect(echo["path"] as? String == "/v1/health")
            #expect(echo["query"] as? String == "")
            #expect(echo["body"] as? String == "")
        }

        /// A body larger than one FastCGI record (65535 bytes) arrives whole and unchanged.
        @Test func bodySpanningManyStdinRecordsArrivesWhole() throws {
            let server = try TestServer(maxBodyBytes: 1 << 20)
            defer { server.shutDown() }
            var generator = SystemRandomNumberGenerator()
            let body = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let response = try server.send(method: "PUT", path: "/upload", body: body)
            #expect(response.json["body"] as? String == Data(body).base64EncodedString())
        }

        /// Content-Length over the limit: the handler's `bodyTooLarge` answers and the body is
        /// never read. The client sends no FCGI_STDIN at all, so a read would hang until timeout.
        @Test func contentLengthOverLimitIsRefusedWithoutReadingTheBody() throws {
            let server = try TestServer(maxBodyBytes: 1024)
            defer { server.shutDown() }
            let started = ContinuousClock.now
            let response = try FastCGIClient.send(
                socketPath: server.socketPath,
                params: FastCGIClient.params(method: "POST", path: "/v1/things", contentLength: 1025),
                body: nil, timeoutSeconds: 5)
            #expect(ContinuousClock.now - started < .seconds(4))
            #expect(response.status == 413)
            #expect(response.json["limit"] as? Int == 1024)
            #expect(response.json["declared"] as? Int == 1025)
            #expect(server.recorder.read { $0.handled } == 0)
            #expect(server.recorder.read { $0.tooLarge.map(\.declared) } == [1025])

            // A huge declared length is refused the same way, without allocating it.
            let huge = try FastCGIClient.send(
                socketPath: server.socketPath,
                params: FastCGIClient.params(method: "POST", path: "/v1/things", contentLength: 1 << 40),
                body: nil, timeoutSeconds: 5)
            #expect(huge.status == 413)
            #expect(server.recorder.read { $0.handled } == 0)
        }

        @Test func bodyExactlyAtTheLimitIsAccepted() throws {
            let server = try TestServer(maxBodyBytes: 1024)
            defer { server.shutDown() }
            let body = [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
            let response = try server.send(method: "POST", path: "/v1/things", body: body)
            #expect(response.status == 200)
            #expect(response.json["body"] as? String == Data(body).base64EncodedString())
            #expect(server.recorder.read { $0.tooLarge.count } == 0)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import FastCGI
import Testing

extension FastCGIServerTests {
    /// ``HTTPResponse`` goes out as a CGI response: `Status:`, headers in order, body.
    @Suite struct ResponseWriting {
        @Test func statusLineHeadersInOrderAndContentLength() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let response = try server.send(path: "/status/201")
            let head = String(decoding: response.stdout.prefix(while: { $0 != 10 }), as: UTF8.self)
            #expect(head == "Status: 201 Created\r")
            #expect(response.status == 201)
            #expect(response.headers.map(\.name) == ["Status", "X-First", "X-Second", "Content-Length"])
            #expect(response.header("X-Second") == "two words")
            #expect(response.body == Array("status 201".utf8))
            #expect(response.header("Content-Length") == String(response.body.count))
            #expect(response.appStatus == 0)
            #expect(response.protocolStatus == 0)  // FCGI_REQUEST_COMPLETE
        }

        @Test(arguments: [(400, "Bad Request"), (404, "Not Found"), (413, "Content Too Large"),
                          (429, "Too Many Requests"), (503, "Service Unavailable")])
        func errorStatusesCarryTheirReasonPhrase(_ status: Int, _ reason: String) throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let response = try server.send(path: "/status/\(status)")
            #expect(response.status == status)
            #expect(response.header("Status") == "\(status) \(reason)")
        }

        @Test(arguments: [204, 304])
        func bodilessStatusesHaveNoContentLength(_ status: Int) throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let response = try server.send(path: "/status/\(status)")
            #expect(response.status == status)
            #expect(response.header("Content-Length") == nil)
            #expect(response.body.isEmpty)
        }

        @Test func jsonResponseDeclaresItsType() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            #expect(try server.send(path: "/echo").header("Content-Type") == "application/json")
        }

        /// Larger than libfcgi's 8 KB output buffer and than one record.
        @Test func largeResponseBodyArrivesWhole() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let response = try server.send(path: "/large", query: "bytes=200000")
            #expect(response.body.count == 200_000)
            #expect(response.body == (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
            #expect(response.header("Content-Length") == "200000")
        }
    
        /// After its answer the responder closes the connection itself (nginx reads EOF).
        @Test func connectionIsClosedAfterTheAnswer() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let fd = try FastCGIClient.connect(server.socketPath)
            defer { close(fd) }
            let response = try FastCGIClient.send(over: fd, params: FastCGIClient.params(path: "/echo"))
            #expect(response.status == 200)
            var byte: UInt8 = 0
            #expect(read(fd, &byte, 1) == 0, "end of file after FCGI_END_REQUEST")
        }

        /// With FCGI_KEEP_CONN (nginx's `fastcgi_keep_conn on`) the connection stays open for
        /// the next request, until one comes without the flag.
        @Test func keptConnectionServesSeveralRequests() throws {
            let server = try TestServer()
            defer { server.shutDown() }
            let fd = try FastCGIClient.connect(server.socketPath)
            defer { close(fd) }
            for id: UInt16 in 1...3 {
                let response = try FastCGIClient.send(
                    over: fd, params: FastCGIClient.params(path: "/status/201"), requestID: id, keepConnection: true)
                #expect(response.status == 201)
            }
            let last = try FastCGIClient.send(over: fd, params: FastCGIClient.params(path: "/status/202"), requestID: 4)
            #expect(last.status == 202)
            var byte: UInt8 = 0
            #expect(read(fd, &byte, 1) == 0)
        }
    }
}

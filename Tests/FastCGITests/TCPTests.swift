@testable import FastCGI
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--listen HOST:PORT` as written, and the allow-list's matching: no server needed.
@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:9000", FastCGIEndpoint.tcp(host: "127.0.0.1", port: 9000)),
        ("[::1]:9000", .tcp(host: "::1", port: 9000)),
        ("[::]:0", .tcp(host: "::", port: 0)),
        ("*:9000", .tcp(host: "0.0.0.0", port: 9000)),
        (":9000", .tcp(host: "0.0.0.0", port: 9000)),
        ("responder-1.internal:65535", .tcp(host: "responder-1.internal", port: 65535)),
    ])
    func listenAddressIsRead(_ text: String, _ expected: FastCGIEndpoint) throws {
        #expect(try FastCGIEndpoint(listen: text) == expected)
    }

    @Test(arguments: ["9000", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:9000", "[::1]9000", "a b:80", "/run/x.sock:1"])
    func malformedListenAddressIsRefusedSayingWhy(_ text: String) {
        let error = #expect(throws: FastCGIError.self) { try FastCGIEndpoint(listen: text) }
        #expect(error?.message.contains("'\(text)'") == true)
    }

    @Test func endpointsPrintAsNginxServerLinesSpellThem() {
        #expect(FastCGIEndpoint.tcp(host: "10.0.0.5", port: 9000).description == "10.0.0.5:9000")
        #expect(FastCGIEndpoint.tcp(host: "fd00::5", port: 9000).description == "[fd00::5]:9000")
        #expect(FastCGIEndpoint.unixSocket(path: "/run/bookiji/bookiji.sock").description == "unix:/run/bookiji/bookiji.sock")
    }

    static func bytes(_ text: String) -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        precondition(inet_pton(AF_INET6, text, &v6) == 1)
        return withUnsafeBytes(of: v6) { Array($0) }
    }

    @Test(arguments: [
        (["10.0.0.5"], "10.0.0.5", true), (["10.0.0.5"], "10.0.0.6", false),
        (["10.0.0.0/24"], "10.0.0.255", true), (["10.0.0.0/24"], "10.0.1.0", false),
        (["10.0.0.0/23"], "10.0.1.7", true), (["10.0.0.0/23"], "10.0.2.0", false),
        (["0.0.0.0/0"], "192.0.2.1", true), (["0.0.0.0/0"], "2001:db8::1", false),
        (["fd00::/64"], "fd00::1234", true), (["fd00::/64"], "fd00:0:0:1::1", false),
        (["::ffff:10.0.0.5"], "10.0.0.5", true), (["any"], "2001:db8::1", true),
        (["10.0.0.5", "10.0.0.9"], "10.0.0.9", true),
    ])
    func allowListAdmitsExactlyItsAddressesAndNetworks(_ entries: [String], _ peer: String, _ admitted: Bool) throws {
        #expect(try PeerAllowList(entries).admits(Self.bytes(peer)) == admitted)
    }

    @Test(arguments: [["10.0.0.300"], ["10.0.0.0/33"], ["fd00::/129"], ["nginx-host"], ["10.0.0.0/x"], []])
    func malformedAllowListIsRefused(_ entries: [String]) {
        #expect(throws: FastCGIError.self) { try PeerAllowList(entries) }
    }
}

extension FastCGIServerTests {
    /// The server on a TCP address (`bookiji serve --listen`): served, refused, stopped.
    @Suite struct TCP {
        @Test func servesOnThePortTheKernelChose() throws {
            let server = try TestServer(threads: 2, tcp: "127.0.0.1:0")
            defer { server.shutDown() }
            #expect(server.port != 0)
            #expect(server.server.boundEndpoint == .tcp(host: "127.0.0.1", port: server.port))
            let response = try server.send(method: "POST", path: "/echo", body: Array("over tcp".utf8))
            #expect(response.status == 200)
            #expect(response.json["body"] as? String == Data("over tcp".utf8).base64EncodedString())
        }

        @Test func servesOnIPv6Loopback() throws {
            let server = try TestServer(threads: 1, tcp: "[::1]:0")
            defer { server.shutDown() }
            #expect(server.server.boundEndpoint == .tcp(host: "::1", port: server.port))
            #expect(try server.send(path: "/echo").status == 200)
        }

        /// Like a live unix socket, a port another process listens on is never shared.
        @Test func portInUseIsRefusedAndTheFirstServerKeepsIt() throws {
            let first = try TestServer(threads: 1, tcp: "127.0.0.1:0")
            defer { first.shutDown() }
            let error = #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(endpoint: .tcp(host: "127.0.0.1", port: first.port)))
            }
            #expect(error?.message.contains("127.0.0.1:\(first.port) is in use") == true, "\(error?.message ?? "")")
            #expect(try first.send(path: "/echo").status == 200)
        }

        /// A responder restarted on its port right after answering requests (their connections
        /// in TIME_WAIT on the server's side, since it closes first) binds again at once.
        @Test func portOfAStoppedServerIsTakenAgainAtOnce() throws {
            let first = try TestServer(threads: 1, tcp: "127.0.0.1:0")
            #expect(try first.send(path: "/echo").status == 200)
            let port = first.port
            first.shutDown()
            let second = try TestServer(threads: 1, tcp: "127.0.0.1:\(port)")
            defer { second.shutDown() }
            #expect(try second.send(path: "/echo").status == 200)
        }

        @Test func addressOtherThanLoopbackNeedsAnAllowList() {
            let error = #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(endpoint: .tcp(host: "0.0.0.0", port: 0)))
            }
            #expect(error?.message.contains("--allow-from") == true)
        }

        /// A peer outside the list is hung up on before a byte is read: the handler never runs.
        @Test func peerOutsideTheAllowListIsClosedUnserved() throws {
            let server = try TestServer(threads: 1, tcp: "0.0.0.0:0", allowedPeers: try PeerAllowList(["127.0.0.2", "10.9.0.0/16"]))
            defer { server.shutDown() }
            let params = FastCGIClient.params(path: "/echo")

            let refused = try FastCGIClient.connect(host: "127.0.0.1", port: server.port, source: "127.0.0.3", timeoutSeconds: 3)
            defer { close(refused) }
            #expect(throws: FastCGIClientError.self) { try FastCGIClient.send(over: refused, params: params) }

            let allowed = try FastCGIClient.connect(host: "127.0.0.1", port: server.port, source: "127.0.0.2", timeoutSeconds: 3)
            defer { close(allowed) }
            let response = try FastCGIClient.send(over: allowed, params: params)
            #expect(response.status == 200)
            #expect(server.recorder.read { $0.handled } == 1)
        }

        /// libfcgi, on a connection that fails mid-request, closes it and would accept the next
        /// one itself, unchecked: a peer outside the list queued behind an allowed one that hangs
        /// up is still refused, and the worker thread goes on serving.
        @Test func peerQueuedBehindAFailedConnectionIsStillChecked() throws {
            let server = try TestServer(threads: 1, tcp: "0.0.0.0:0", allowedPeers: try PeerAllowList(["127.0.0.2"]))
            defer { server.shutDown() }
            let params = FastCGIClient.params(path: "/echo")

            let silent = try FastCGIClient.connect(host: "127.0.0.1", port: server.port, source: "127.0.0.2", timeoutSeconds: 3)
            usleep(200_000)  // the only worker thread now waits inside libfcgi for its request
            let outsider = try FastCGIClient.connect(host: "127.0.0.1", port: server.port, source: "127.0.0.3", timeoutSeconds: 3)
            defer { close(outsider) }
            let outsiderAnswer = Background { try FastCGIClient.send(over: outsider, params: params) }
            usleep(100_000)
            close(silent)
            let result = try #require(outsiderAnswer.wait(seconds: 5), "the outsider's connection was neither served nor closed")
            #expect(throws: FastCGIClientError.self) { try result.get() }
            #expect(server.recorder.read { $0.handled } == 0)

            let allowed = try FastCGIClient.connect(host: "127.0.0.1", port: server.port, source: "127.0.0.2", timeoutSeconds: 3)
            defer { close(allowed) }
            #expect(try FastCGIClient.send(over: allowed, params: params).status == 200)
        }

        /// The same shutdown as on a unix socket: a blocked accept wakes, the request in flight
        /// finishes, `run` returns, and the port accepts nothing more.
        @Test func stopLetsTheInFlightRequestFinishThenClosesThePort() throws {
            let server = try TestServer(threads: 2, tcp: "127.0.0.1:0")
            defer { server.shutDown() }
            let inFlight = Background { try server.send(path: "/slow", query: "ms=600") }
            try #require(eventually(seconds: 5) { server.recorder.read { $0.started } == 1 })

            server.server.stop()
            let returnedAt = try #require(server.waitForRunToReturn(seconds: 4), "run(_:) did not return within 4 s of stop()")
            #expect(try #require(inFlight.wait(seconds: 5)).get().status == 200)
            if let finished = server.recorder.read({ $0.lastFinish }) { #expect(finished <= returnedAt) }
            #expect(throws: FastCGIClientError.self) { try FastCGIClient.connect(host: "127.0.0.1", port: server.port) }
        }

        @Test func sigtermStopsATCPServer() throws {
            let server = try TestServer(threads: 2, tcp: "127.0.0.1:0")
            defer { server.shutDown() }
            #expect(try server.send(path: "/echo").status == 200)
            try #require(Shutdown.hasHandler(SIGTERM), "run(_:) did not install a handler; not sending the signal")
            let inFlight = Background { try server.send(path: "/slow", query: "ms=500") }
            try #require(eventually(seconds: 5) { server.recorder.read { $0.started } == 2 })
            kill(getpid(), SIGTERM)
            #expect(server.waitForRunToReturn(seconds: 5) != nil, "run(_:) did not return after SIGTERM")
            #expect(try #require(inFlight.wait(seconds: 5)).get().status == 200)
        }
    }
}

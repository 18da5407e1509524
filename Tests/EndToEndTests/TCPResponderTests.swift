import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// nginx in front of two responders over TCP (`bookiji serve --listen`, `scripts/nginx-conf
/// --upstream` twice): a responder that stops costs a GET nothing, and a POST that reached a
/// responder is never sent to the other one.
@Suite(.serialized) struct TCPResponderTests {
    /// Two TCP responders on the database of a `Service` (whose CLI helpers set the data up),
    /// behind an nginx of their own whose upstream lists both.
    final class TwoResponders: @unchecked Sendable {  // owned by one test
        let service: Service
        let ports: [Int]
        let responders: [Daemon]
        let nginx: Daemon
        let port: Int

        /// - Parameters:
        ///   - readTimeout: nginx's fastcgi_read_timeout, the wait before a silent responder's
        ///     request is given up on (504) or, for a GET, tried on the other.
        ///   - failTimeout: how long nginx skips a responder after a failed try.
        init(readTimeout: Int = 2, failTimeout: Int = 30) throws {
            service = try Service()
            ports = [freePort(), freePort()]
            var started: [Daemon] = []
            for (index, port) in ports.enumerated() {
                started.append(try Daemon(Paths.bookiji, [
                    "serve", "--listen", "127.0.0.1:\(port)", "--database", service.databaseURL, "--threads", "2",
                    "--availability-revision-seconds", "0", "--shutdown-grace-seconds", "1",
                ], logPath: service.directoryPath("tcp-responder-\(index).log"),
                    environment: ["BOOKIJI_PAGE_KEY": Service.pageKey]))
            }
            responders = started
            // nginx marks a responder that refuses a connection as failed for fail_timeout, so it
            // starts only once both accept connections.
            for (index, port) in ports.enumerated() {
                guard eventually(seconds: 10, { acceptsConnections(port: port) }) else {
                    throw CommandFailure(description: "TCP responder \(index) did not listen:\n\(started[index].log)")
                }
            }
            port = freePort()
            let directory = service.directoryPath("nginx-tcp")
            try run(Paths.script("nginx-conf"), [
                "--out", directory, "--listen", "127.0.0.1:\(port)", "--workers", "1",
                "--upstream", "127.0.0.1:\(ports[0])", "--upstream", "127.0.0.1:\(ports[1])",
                "--fail-timeout", String(failTimeout), "--read-timeout", String(readTimeout),
            ])
            nginx = try Daemon("/usr/sbin/nginx", ["-p", directory, "-c", directory + "/nginx.conf", "-g", "daemon off;"],
                               logPath: directory + "/nginx.out")
            let port = self.port
            guard eventually(seconds: 10, { (try? HTTPClient.send(port: port, path: "/v1/health").status) == 200 }) else {
                throw CommandFailure(description: "TCP responders did not become healthy:\n\(responders.map(\.log).joined(separator: "\n"))")
            }
        }

        func get(_ path: String, key: String) throws -> WireResponse {
            try HTTPClient.send(port: port, path: path, headers: ["Authorization": "Bearer \(key)"])
        }

        func hold(key: String, vendor: String, start: Int64, idempotencyKey: String? = nil) throws -> WireResponse {
            try Self.hold(port: port, key: key, vendor: vendor, start: start, idempotencyKey: idempotencyKey)
        }

        /// A 30-minute hold through the front door on `port` (callable off the stack's thread).
        static func hold(port: Int, key: String, vendor: String, start: Int64, idempotencyKey: String? = nil) throws -> WireResponse {
            var headers = ["Authorization": "Bearer \(key)", "Content-Type": "application/json"]
            if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
            return try HTTPClient.send(
                port: port, method: "POST", path: "/v1/reservations", headers: headers,
                body: Booking.body(vendor: vendor, start: start, minutes: 30))
        }

        func reservations(startingAt start: Int64) throws -> Int {
            try service.sql().query(
                "SELECT count(*) FROM reservations WHERE lower(slot) = to_timestamp(\(start))").first!.int(0)
        }

        func stop() {
            nginx.stop()
            for responder in responders {
                responder.signal(SIGCONT)
                responder.stop()
            }
            service.stop()
        }
    }

    static let window = "startTime=\(Booking.iso(Booking.day(7) + 8 * 3600))&endTime=\(Booking.iso(Booking.day(7) + 12 * 3600))&slotDuration=30"

    /// `serve --listen` off loopback names who may connect or does not start; libfcgi's
    /// FCGI_WEB_SERVER_ADDRS counts as naming them.
    @Test func listeningOffLoopbackNeedsAnAllowList() throws {
        let service = try Service()
        defer { service.stop() }
        let port = freePort()
        let arguments = ["serve", "--listen", "0.0.0.0:\(port)", "--database", service.databaseURL, "--threads", "1"]
        let refused = #expect(throws: CommandFailure.self) { try run(Paths.bookiji, arguments) }
        #expect(refused?.description.contains("--allow-from") == true, "\(refused?.description ?? "")")
        #expect(!acceptsConnections(port: port))

        let allowed = try Daemon(Paths.bookiji, arguments, logPath: service.directoryPath("allowed.log"),
                                 environment: ["FCGI_WEB_SERVER_ADDRS": "127.0.0.1,10.0.0.0/8"])
        defer { allowed.stop() }
        #expect(eventually(seconds: 10) { acceptsConnections(port: port) }, "\(allowed.log)")
        #expect(allowed.isRunning)
        allowed.stop()
        #expect(!acceptsConnections(port: port), "the port is closed once serve has stopped")
    }

    /// One responder stops for good (SIGTERM: its port refuses): every GET is answered 200 by
    /// the other, the refused ones passed on by nginx.
    @Test func getsKeepAnsweringWhenAResponderStops() throws {
        let stack = try TwoResponders()
        defer { stack.stop() }
        let partner = try stack.service.createPartner()
        let vendor = try stack.service.createOpenVendor()
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)"
        #expect(try (0..<4).map { _ in try stack.get(path, key: partner.key).status } == [200, 200, 200, 200])

        stack.responders[1].stop()
        #expect(!stack.responders[1].isRunning)
        let afterStop = try (0..<6).map { _ in try stack.get(path, key: partner.key).status }
        #expect(afterStop == Array(repeating: 200, count: 6))
    }

    /// One responder is frozen (SIGSTOP: its port accepts but nothing answers): a GET sent to it
    /// waits for nginx's read timeout and is then answered by the other; every GET gets 200.
    @Test func getsOnASilentResponderAreAnsweredByTheOther() throws {
        let stack = try TwoResponders(readTimeout: 2, failTimeout: 30)
        defer { stack.stop() }
        let partner = try stack.service.createPartner()
        let vendor = try stack.service.createOpenVendor()
        let path = "/v1/vendors/\(vendor)/availability?\(Self.window)"
        #expect(try (0..<4).map { _ in try stack.get(path, key: partner.key).status } == [200, 200, 200, 200])

        stack.responders[0].signal(SIGSTOP)
        let frozenAt = ContinuousClock.now
        let whileFrozen = try (0..<6).map { _ in try stack.get(path, key: partner.key).status }
        #expect(whileFrozen == Array(repeating: 200, count: 6))
        // The request nginx sent to the frozen responder waited for the read timeout (2 s)
        // before going to the other; nginx then skips the frozen one (fail_timeout 30 s).
        let elapsed = ContinuousClock.now - frozenAt
        #expect(elapsed >= .seconds(2))
        #expect(elapsed < .seconds(10), "six GETs took \(elapsed)")
    }

    /// A POST in flight on a responder that is killed is answered 502 in the API's error shape
    /// and not sent to the other responder: no reservation exists. Retried with its
    /// Idempotency-Key, it is placed once.
    @Test func postOnAResponderKilledMidRequestIsNeverResent() throws {
        let stack = try TwoResponders(readTimeout: 10)
        defer { stack.stop() }
        let partner = try stack.service.createPartner()
        let vendor = try stack.service.createOpenVendor()
        stack.responders[0].signal(SIGSTOP)

        // Round robin alternates; a hold that answers at once went to the live responder, one
        // that hangs is queued on the frozen one, which is then killed under it.
        var killed: (start: Int64, response: WireResponse)?
        for attempt in 0..<4 where killed == nil {
            let start = Booking.day(7) + 10 * 3600 + Int64(attempt) * 1800
            let key = partner.key
            let port = stack.port
            let pending = Background {
                try TwoResponders.hold(port: port, key: key, vendor: vendor, start: start, idempotencyKey: "kill-\(attempt)")
            }
            if let answered = pending.wait(seconds: 1) {
                #expect(try answered.get().status == 201)
                continue
            }
            stack.responders[0].signal(SIGKILL)
            let response = try #require(pending.wait(seconds: 10), "the held request was not answered after the kill").get()
            killed = (start, response)
        }
        let (start, response) = try #require(killed, "no hold was routed to the frozen responder")
        #expect(response.status == 502)
        #expect(response.errorCode == "service_unavailable")
        #expect(response.error?["retryable"] as? Bool == true)
        #expect(try stack.reservations(startingAt: start) == 0, "the POST was sent to the other responder")

        let attempt = (start - (Booking.day(7) + 10 * 3600)) / 1800
        let retried = try stack.hold(key: partner.key, vendor: vendor, start: start, idempotencyKey: "kill-\(attempt)")
        #expect(retried.status == 201)
        #expect(try stack.reservations(startingAt: start) == 1)
    }

    /// A POST on a responder that stops answering (SIGSTOP) times out as 504 and is not passed on;
    /// when the responder wakes it may still place the hold it had received, so the hold exists
    /// once at most, and the partner's retry with the same key finds that one.
    @Test func postOnASilentResponderTimesOutAndExistsAtMostOnce() throws {
        let stack = try TwoResponders(readTimeout: 2)
        defer { stack.stop() }
        let partner = try stack.service.createPartner()
        let vendor = try stack.service.createOpenVendor()
        stack.responders[0].signal(SIGSTOP)

        var timedOut: (start: Int64, key: String)?
        for attempt in 0..<4 where timedOut == nil {
            let start = Booking.day(8) + 10 * 3600 + Int64(attempt) * 1800
            let key = "silent-\(attempt)"
            let response = try stack.hold(key: partner.key, vendor: vendor, start: start, idempotencyKey: key)
            if response.status == 201 { continue }
            #expect(response.status == 504)
            #expect(response.errorCode == "service_unavailable")
            #expect(response.error?["retryable"] as? Bool == true)
            // Passed on, the other responder would have placed it and answered 201.
            #expect(try stack.reservations(startingAt: start) == 0)
            timedOut = (start, key)
        }
        let (start, key) = try #require(timedOut, "no hold was routed to the silent responder")

        stack.responders[0].signal(SIGCONT)
        usleep(1_000_000)
        #expect(try stack.reservations(startingAt: start) <= 1)
        let retried = try stack.hold(key: partner.key, vendor: vendor, start: start, idempotencyKey: key)
        #expect(retried.status == 201)
        #expect(try stack.reservations(startingAt: start) == 1)
    }
}

/// One blocking call on its own thread, whose result can be awaited with a deadline.
private final class Background<T: Sendable>: @unchecked Sendable {  // result guarded by the lock
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread { [self] in
            let outcome = Result { try body() }
            lock.withLock { result = outcome }
            finished.signal()
        }.start()
    }

    /// The call's result, or nil if it has not finished within `seconds`.
    func wait(seconds: Double) -> Result<T, any Error>? {
        guard finished.wait(timeout: .now() + seconds) == .success else { return nil }
        finished.signal()
        return lock.withLock { result }
    }
}

/// Whether something accepts TCP connections on 127.0.0.1 at `port`.
private func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

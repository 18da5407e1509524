import Foundation
import Testing

/// The metrics both processes export (issue 14, point 1): the responder's `GET /metrics` through
/// nginx, the worker's on `--metrics-listen`. A booking and a few API requests move the counters
/// by exactly what they did; the latency histogram is labelled by route template (no ids);
/// promtool accepts both outputs.
@Suite(.serialized)
struct MetricsTests {
    @Test func aBookingAndAFewRequestsMoveTheMetricsOfBothProcesses() throws {
        let metricsPort = freePort()
        let world = try PaymentWorld(workerArguments: [
            "--metrics-listen", "127.0.0.1:\(metricsPort)", "--metrics-sample-seconds", "1",
        ])
        defer { world.stop() }
        let service = world.service
        #expect(eventually(seconds: 10) { (try? HTTPClient.send(port: metricsPort, path: "/metrics").status) == 200 })
        let responderBefore = try Exposition(service.get("/metrics"))
        let workerBefore = try Exposition(HTTPClient.send(port: metricsPort, path: "/metrics"))

        // Three reads of one vendor, one of an unknown vendor (404 vendor_not_found), the same
        // availability window twice (a miss, then a hit), then a whole booking.
        for _ in 0..<3 { #expect(try service.get("/v1/vendors/\(world.vendor)", key: world.partner.key).status == 200) }
        let unknown = try service.get("/v1/vendors/00000000-0000-0000-0000-000000000000", key: world.partner.key)
        #expect(unknown.status == 404)
        let errorCode = try #require(unknown.errorCode)
        let window = "startTime=\(Booking.iso(Booking.day(8) + 8 * 3600))&endTime=\(Booking.iso(Booking.day(8) + 12 * 3600))"
        for _ in 0..<2 {
            #expect(try service.get("/v1/vendors/\(world.vendor)/availability?\(window)", key: world.partner.key).status == 200)
        }
        let id = try world.hold()
        try world.confirm(id)
        #expect(try world.authorizeVendor(id).status == 202)
        #expect(try world.authorizeRequester(id).status == 202)
        try world.waitFor(id, state: "COMMITTED")

        let responderText = try service.get("/metrics")
        #expect(responderText.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let responder = try Exposition(responderText)
        // The worker's gauges are sampled every second; its counters move as it works.
        var worker = try Exposition(HTTPClient.send(port: metricsPort, path: "/metrics"))
        _ = eventually(seconds: 10) {
            worker = (try? Exposition(HTTPClient.send(port: metricsPort, path: "/metrics"))) ?? worker
            return worker.value("bookiji_commits_total", ["outcome": "committed"]) + responder.value("bookiji_commits_total", ["outcome": "committed"]) == 1
        }

        // The responder: the API's own requests, by route template and status class.
        let vendorRoute = ["method": "GET", "route": "/v1/vendors/{vendorId}", "status_class": "2xx"]
        #expect(responder.delta(from: responderBefore, "bookiji_api_request_duration_seconds_count", vendorRoute) == 3)
        #expect(responder.delta(
            from: responderBefore, "bookiji_api_request_duration_seconds_count",
            ["method": "GET", "route": "/v1/vendors/{vendorId}", "status_class": "4xx"]) == 1)
        let buckets = responder.samples("bookiji_api_request_duration_seconds_bucket", vendorRoute)
        #expect(buckets.count >= 10, "a bucket per bound: \(buckets)")
        #expect(buckets.first { $0.labels["le"] == "+Inf" }?.value ?? 0 >= 3)
        #expect(responder.delta(from: responderBefore, "bookiji_api_errors_total", ["code": errorCode]) == 1)
        #expect(responder.delta(from: responderBefore, "bookiji_availability_cache_lookups_total", ["result": "miss"]) == 1)
        #expect(responder.delta(from: responderBefore, "bookiji_availability_cache_lookups_total", ["result": "hit"]) == 1)
        #expect(responder.delta(from: responderBefore, "bookiji_reservations_created_total", [:]) == 1)
        #expect(responder.value("bookiji_database_transaction_duration_seconds_count", [:]) >= 1)
        // No ids anywhere: not the vendor's, the reservation's or the partner's.
        for text in [responderText.text] {
            #expect(!text.contains(world.vendor) && !text.contains(id) && !text.contains(world.partner.id))
        }

        // Both processes together: the booking's every step, once.
        func both(_ name: String, _ labels: [String: String]) -> Double {
            responder.delta(from: responderBefore, name, labels) + worker.delta(from: workerBefore, name, labels)
        }
        let walk = [
            ("INTENT_CREATED", "HELD"), ("HELD", "AWAITING_VENDOR_CONFIRMATION"),
            ("AWAITING_VENDOR_CONFIRMATION", "CONFIRMED_BY_VENDOR"), ("CONFIRMED_BY_VENDOR", "AWAITING_VENDOR_AUTH"),
            ("AWAITING_VENDOR_AUTH", "VENDOR_AUTHORIZED"), ("VENDOR_AUTHORIZED", "AWAITING_REQUESTER_AUTH"),
            ("AWAITING_REQUESTER_AUTH", "AUTHORIZED_BOTH"), ("AUTHORIZED_BOTH", "COMMIT_IN_PROGRESS"), ("COMMIT_IN_PROGRESS", "COMMITTED"),
        ]
        for (from, to) in walk {
            #expect(both("bookiji_reservation_transitions_total", ["from": from, "to": to]) == 1, "\(from) → \(to)")
        }
        #expect(both("bookiji_reservation_transitions_total", [:]) == Double(walk.count), "and nothing else")
        #expect(both("bookiji_payment_authorizations_total", ["side": "vendor", "outcome": "authorized"]) == 1)
        #expect(both("bookiji_payment_authorizations_total", ["side": "requester", "outcome": "authorized"]) == 1)
        #expect(both("bookiji_payment_authorizations_total", ["outcome": "failed"]) == 0)
        #expect(both("bookiji_commits_total", ["outcome": "committed"]) == 1)
        #expect(both("bookiji_payment_compensations_total", [:]) == 0)

        // The worker: its sampled gauges, and its waits for pooled sessions.
        for gauge in ["bookiji_outbox_depth", "bookiji_outbox_oldest_age_seconds", "bookiji_outbox_dead_letters",
                      "bookiji_webhook_pending_deliveries", "bookiji_stale_reservations"] {
            #expect(worker.types[gauge] == "gauge", "\(gauge) is exported")
        }
        #expect(worker.value("bookiji_stale_reservations", [:]) == 0)
        #expect(worker.value("bookiji_worker_database_wait_seconds_count", [:]) >= 1)
        #expect(worker.types["bookiji_api_request_duration_seconds"] == nil, "the worker answers no API requests")

        // Every family has HELP and TYPE, and promtool's linter accepts both outputs.
        for exposition in [responder, worker] {
            for family in exposition.types.keys { #expect(exposition.helps[family] != nil, "\(family) has HELP") }
        }
        for (name, body) in [("responder", responderText.text), ("worker", worker.text)] {
            let file = service.directoryPath("metrics-\(name).txt")
            try body.write(toFile: file, atomically: true, encoding: .utf8)
            let checked = try run("/bin/sh", ["-c", "promtool check metrics < '\(file)' 2>&1; echo \"exit $?\""])
            #expect(checked.hasSuffix("exit 0\n"), "promtool check metrics (\(name)): \(checked)")
        }
    }

    /// A declined requester card: a failed authorization, the vendor's deposit released (a
    /// compensation), no commit; the partner's webhook fails once, then gets every event.
    @Test func aDeclinedCardCountsAFailedAuthorizationACompensationAndWebhookOutcomes() throws {
        let metricsPort = freePort()
        let world = try PaymentWorld(workerArguments: ["--metrics-listen", "127.0.0.1:\(metricsPort)", "--webhook-retry-scale", "0.01"])
        defer { world.stop() }
        let receiver = try WebhookReceiver(logPath: world.service.directoryPath("receiver.log"))
        defer { receiver.stop() }
        let registered = try world.service.send(
            "POST", "/v1/webhook-endpoints", key: world.partner.key, body: Array(#"{"url":"\#(receiver.url)"}"#.utf8))
        #expect(registered.status == 201)
        try receiver.setSecrets([try #require(registered.json["secret"] as? String)])
        try receiver.answerNext([500])
        #expect(eventually(seconds: 10) { (try? HTTPClient.send(port: metricsPort, path: "/metrics").status) == 200 })
        let before = try Exposition(HTTPClient.send(port: metricsPort, path: "/metrics"))
        let responderBefore = try Exposition(world.service.get("/metrics"))

        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id)
        try world.waitFor(id, state: "AWAITING_REQUESTER_AUTH")
        try world.authorizeRequester(id, "pm_card_chargeDeclinedInsufficientFunds")
        try world.waitFor(id, state: "FAILED_REQUESTER_AUTH")
        _ = try world.waitForPayment(id) { $0["vendorPaymentIntentStatus"] as? String == "canceled" }
        // The last event (reservation.failed) reaches the receiver after its retry.
        #expect(eventually(seconds: 30) { (try? receiver.events().contains { $0["event"] as? String == "reservation.failed" }) == true })

        // The outcome is counted after it is recorded, a moment after the receiver answered.
        let answered = try receiver.received().compactMap { $0["answered"] as? Int }
        var worker = before
        _ = eventually(seconds: 10) {
            worker = (try? Exposition(HTTPClient.send(port: metricsPort, path: "/metrics"))) ?? worker
            return worker.delta(from: before, "bookiji_payment_compensations_total", ["action": "release"]) >= 1
                && worker.delta(from: before, "bookiji_webhook_deliveries_total", [:]) >= Double(answered.count)
        }
        let responder = try Exposition(world.service.get("/metrics"))
        func both(_ name: String, _ labels: [String: String]) -> Double {
            responder.delta(from: responderBefore, name, labels) + worker.delta(from: before, name, labels)
        }
        #expect(both("bookiji_payment_authorizations_total", ["side": "vendor", "outcome": "authorized"]) == 1)
        #expect(both("bookiji_payment_authorizations_total", ["side": "requester", "outcome": "failed"]) == 1)
        #expect(both("bookiji_payment_authorizations_total", ["outcome": "abandoned"]) == 0)
        #expect(both("bookiji_reservation_transitions_total", ["from": "AWAITING_REQUESTER_AUTH", "to": "FAILED_REQUESTER_AUTH"]) == 1)
        #expect(both("bookiji_commits_total", [:]) == 0)
        #expect(worker.delta(from: before, "bookiji_payment_compensations_total", ["action": "release"]) >= 1)
        #expect(worker.delta(from: before, "bookiji_payment_compensations_total", ["action": "refund"]) == 0, "nothing was captured")
        // Webhooks: the refused first attempt, then every event delivered; a lag for each success.
        let succeeded = worker.delta(from: before, "bookiji_webhook_deliveries_total", ["outcome": "succeeded"])
        #expect(answered.filter { $0 == 500 }.count == 1)
        #expect(worker.delta(from: before, "bookiji_webhook_deliveries_total", ["outcome": "failed"]) == 1)
        #expect(succeeded >= 3, "held, confirmed, ... failed: \(answered)")
        #expect(succeeded == Double(answered.filter { $0 == 200 }.count))
        #expect(worker.delta(from: before, "bookiji_webhook_delivery_lag_seconds_count", [:]) == succeeded)
    }

    /// The worker's listener answers only `/metrics`, and only to GET and HEAD.
    @Test func theWorkersListenerServesOnlyMetrics() throws {
        let metricsPort = freePort()
        let world = try PaymentWorld(workerArguments: ["--metrics-listen", "127.0.0.1:\(metricsPort)"])
        defer { world.stop() }
        #expect(eventually(seconds: 10) { (try? HTTPClient.send(port: metricsPort, path: "/metrics").status) == 200 })
        #expect(try HTTPClient.send(port: metricsPort, path: "/").status == 404)
        #expect(try HTTPClient.send(port: metricsPort, path: "/v1/health").status == 404)
        let post = try HTTPClient.send(port: metricsPort, method: "POST", path: "/metrics", body: [])
        #expect(post.status == 405)
        #expect(post.header("allow") == "GET, HEAD")
        let head = try HTTPClient.send(port: metricsPort, method: "HEAD", path: "/metrics")
        #expect(head.status == 200 && head.body.isEmpty)

        // SIGTERM stops the listener with everything else: the worker exits 0, promptly.
        let worker = try #require(world.worker)
        worker.signal(SIGTERM)
        #expect(worker.waitForExit(seconds: 10) == 0, "\(worker.log.suffix(3000))")
        #expect((try? HTTPClient.send(port: metricsPort, path: "/metrics", timeoutSeconds: 2)) == nil, "the port is closed")
    }

    /// A port another process holds fails the command before any job starts.
    @Test func aTakenMetricsPortFailsTheWorkerAtOnce() throws {
        let service = try Service()
        defer { service.stop() }
        let taken = freePort()
        let holder = try Daemon("/usr/bin/python3", [
            "-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', \(taken))); s.listen(); time.sleep(60)",
        ], logPath: service.directoryPath("holder.log"))
        defer { holder.stop() }
        #expect(eventually(seconds: 5) { connects(taken) })
        let worker = try Daemon(Paths.bookiji, [
            "worker", "--database", service.databaseURL, "--no-calendar-sync", "--metrics-listen", "127.0.0.1:\(taken)",
        ], logPath: service.directoryPath("worker.log"))
        defer { worker.stop() }
        let code = worker.waitForExit(seconds: 15)
        #expect(code != nil && code != 0, "the worker exits with an error")
        #expect(worker.log.contains("cannot listen on 127.0.0.1:\(taken)"), "\(worker.log.suffix(2000))")
    }
}

/// Whether something accepts TCP connections on the loopback port.
private func connects(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// A parsed Prometheus text exposition (version 0.0.4): samples, and each family's TYPE and HELP.
struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    var samples: [Sample] = []
    var types: [String: String] = [:]
    var helps: [String: String] = [:]

    init(_ response: WireResponse) throws {
        guard response.status == 200 else {
            throw CommandFailure(description: "GET /metrics answered \(response.status): \(response.text)")
        }
        try self.init(text: response.text)
    }

    init(text: String) throws {
        self.text = text
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { throw CommandFailure(description: "bad line: \(line)") }
                if line.hasPrefix("# TYPE ") { types[String(parts[0])] = String(parts[1]) } else { helps[String(parts[0])] = String(parts[1]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.sample(Substring(line)))
        }
    }

    /// `name{a="x",b="y"} value` (label values may hold `{`, `}`, `,` and escaped quotes).
    static func sample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw CommandFailure(description: "bad labels: \(line)") }
                rest = rest.dropFirst(2)
                var value = ""
                while let c = rest.first, c != "\"" {
                    if c == "\\", let next = rest.dropFirst().first {
                        value.append(next == "n" ? "\n" : next)
                        rest = rest.dropFirst(2)
                    } else {
                        value.append(c)
                        rest = rest.dropFirst()
                    }
                }
                guard rest.first == "\"" else { throw CommandFailure(description: "unterminated label: \(line)") }
                rest = rest.dropFirst()
                if rest.first == "," { rest = rest.dropFirst() }
                labels[key.trimmingCharacters(in: .whitespaces)] = value
            }
            rest = rest.dropFirst()
        }
        let valueText = rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        guard let value = Double(valueText) ?? (valueText == "+Inf" ? .infinity : nil) else {
            throw CommandFailure(description: "bad value: \(line)")
        }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Samples of `name` whose labels include `labels`.
    func samples(_ name: String, _ labels: [String: String]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The sum of the samples of `name` whose labels include `labels` (0 when none).
    func value(_ name: String, _ labels: [String: String]) -> Double {
        samples(name, labels).reduce(0) { $0 + $1.value }
    }

    func delta(from before: Exposition, _ name: String, _ labels: [String: String]) -> Double {
        value(name, labels) - before.value(name, labels)
    }
}

import Foundation
import Postgres
import Testing

/// The service (responder and nginx, allowing webhooks to 127.0.0.1), a partner's receiver that
/// checks every delivery with the `standardwebhooks` package (Tests/Fakes/webhook_receiver.py),
/// and a worker; a partner with one endpoint at the receiver, and an open vendor with a key.
final class WebhookWorld: @unchecked Sendable {  // owned by one test at a time
    let service: Service
    let receiver: WebhookReceiver
    var receiverPort: Int { receiver.port }
    private(set) var worker: Daemon?
    let partner: (id: String, key: String)
    let vendor: String
    let vendorKey: String
    private(set) var endpoint: [String: Any] = [:]
    private var nextSlot = Booking.day(7) + 8 * 3600

    init(workerArguments: [String] = []) throws {
        service = try Service(responderArguments: ["--webhook-allow-host", "127.0.0.1"])
        receiver = try WebhookReceiver(logPath: service.directoryPath("receiver.log"))
        partner = try service.createPartner()
        vendor = try service.createOpenVendor()
        vendorKey = try service.createVendorKey(vendor: vendor)
        endpoint = try register()
        try setSecrets([try #require(endpoint["secret"] as? String)])
        try startWorker(workerArguments)
    }

    var endpointID: String { endpoint["id"] as? String ?? "" }
    var receiverURL: String { receiver.url }

    @discardableResult
    func startWorker(_ extra: [String] = []) throws -> Daemon {
        worker?.stop()
        let daemon = try Daemon(Paths.bookiji, [
            "worker", "--database", service.databaseURL, "--poll-seconds", "1", "--no-calendar-sync",
            "--webhook-allow-host", "127.0.0.1",
        ] + extra, logPath: service.directoryPath("worker-\(UUID().uuidString.prefix(6)).log"),
            environment: ["BOOKIJI_LOG_LEVEL": "debug"])
        worker = daemon
        return daemon
    }

    func stop() {
        worker?.stop()
        receiver.stop()
        service.stop()
    }

    /// Registers an endpoint at the receiver; returns the answer's body.
    func register(events: [String]? = nil) throws -> [String: Any] {
        var body: [String: Any] = ["url": receiverURL]
        if let events { body["events"] = events }
        let response = try service.send(
            "POST", "/v1/webhook-endpoints", key: partner.key, body: Array(try JSONSerialization.data(withJSONObject: body)))
        guard response.status == 201 else { throw CommandFailure(description: "registration failed: \(response.status) \(response.text)") }
        return response.json
    }

    func setSecrets(_ secrets: [String]) throws { try receiver.setSecrets(secrets) }
    func answerNext(_ statuses: [Int], headers: [String: String] = [:]) throws { try receiver.answerNext(statuses, headers: headers) }
    func received() throws -> [[String: Any]] { try receiver.received() }
    func events() throws -> [[String: Any]] { try receiver.events() }

    @discardableResult
    func waitForDeliveries(_ count: Int, seconds: Double = 30) throws -> [[String: Any]] {
        try receiver.waitForDeliveries(count, seconds: seconds, log: worker?.log ?? "")
    }

    func hold() throws -> String {
        let start = nextSlot
        nextSlot += 3600
        let response = try service.hold(key: partner.key, vendor: vendor, start: start, minutes: 60)
        guard let id = response.json["reservationId"] as? String else { throw CommandFailure(description: "hold: \(response.text)") }
        return id
    }

    func cancel(_ id: String) throws {
        let response = try service.send("POST", "/v1/reservations/\(id)/cancel", key: partner.key)
        guard response.status == 200 else { throw CommandFailure(description: "cancel: \(response.text)") }
    }

    func endpointState() throws -> [String: Any] {
        try service.get("/v1/webhook-endpoints/\(endpointID)", key: partner.key).json
    }
}

/// A partner's webhook receiver (Tests/Fakes/webhook_receiver.py) that checks every delivery with
/// the `standardwebhooks` package and records it.
final class WebhookReceiver: @unchecked Sendable {
    let daemon: Daemon
    let port: Int
    var url: String { "http://127.0.0.1:\(port)/hooks/bookiji" }

    /// - Parameter startSeconds: how long its first start may take (it may create its virtual environment).
    init(logPath: String, startSeconds: Double = 180) throws {
        port = freePort()
        daemon = try Daemon(python3, [
            Paths.repositoryRoot + "/Tests/Fakes/webhook_receiver.py", "--port", String(port),
        ], logPath: logPath)
        let port = self.port
        // The first run creates the receiver's virtual environment (pip install standardwebhooks).
        guard eventually(seconds: startSeconds, { (try? HTTPClient.send(port: port, path: "/_control/received").status) == 200 }) else {
            throw CommandFailure(description: "the webhook receiver did not start:\n\(daemon.log)")
        }
    }

    func stop() { daemon.stop() }

    /// The secrets the receiver verifies deliveries with.
    func setSecrets(_ secrets: [String]) throws {
        try control("/_control/secrets", ["secrets": secrets])
    }

    /// The receiver's next answers (then 200s).
    func answerNext(_ statuses: [Int], headers: [String: String] = [:]) throws {
        try control("/_control/answers", ["statuses": statuses, "headers": headers])
    }

    private func control(_ path: String, _ object: [String: Any]) throws {
        let response = try HTTPClient.send(
            port: port, method: "POST", path: path, headers: ["Content-Type": "application/json"],
            body: Array(try JSONSerialization.data(withJSONObject: object)))
        guard response.status == 200 else { throw CommandFailure(description: "receiver control \(path): \(response.status)") }
    }

    /// Every delivery the receiver got, in arrival order.
    func received() throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: Data(HTTPClient.send(port: port, path: "/_control/received").body))
            as? [[String: Any]]) ?? []
    }

    /// The deliveries' bodies, parsed.
    func events() throws -> [[String: Any]] {
        try received().compactMap { entry in
            (entry["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    /// Waits until the receiver got at least `count` deliveries.
    @discardableResult
    func waitForDeliveries(_ count: Int, seconds: Double = 30, log: String = "") throws -> [[String: Any]] {
        var last: [[String: Any]] = []
        _ = eventually(seconds: seconds) {
            last = (try? received()) ?? []
            return last.count >= count
        }
        guard last.count >= count else {
            throw CommandFailure(description: "\(last.count) deliveries, expected \(count); log:\n\(log.suffix(5000))")
        }
        return last
    }
}

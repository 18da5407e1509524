import BookijiCore
import Foundation
import Postgres
import Testing

/// The stack for vendor notifications: the service (responder with a page key, nginx), a
/// partner's webhook receiver that checks signatures with the `standardwebhooks` package (it
/// takes the vendor's webhook too, on another path), a local SMTP sink (aiosmtpd) that keeps
/// each message, and a worker sending through them with links to the page; a partner with a
/// webhook endpoint, and a vendor in Europe/Berlin with both channels and a key.
final class VendorWorld: @unchecked Sendable {  // owned by one test at a time
    let service: Service
    let receiver: WebhookReceiver
    var receiverPort: Int { receiver.port }
    let sink: Daemon
    let sinkPort: Int
    let mailDirectory: String
    private(set) var worker: Daemon?
    let partner: (id: String, key: String)
    let vendor: String
    let vendorKey: String
    private(set) var vendorSecret = ""
    private(set) var partnerSecret = ""
    private(set) var nextSlot = Booking.day(7) + 8 * 3600

    static let mailFrom = "bookings@bookiji.test"
    static let vendorEmail = "frau.meier@example.com"
    static let zone = "Europe/Berlin"

    init(sinkArguments: [String] = [], email: Bool = true, webhook: Bool = true) throws {
        service = try Service(responderArguments: ["--webhook-allow-host", "127.0.0.1"])
        receiver = try WebhookReceiver(logPath: service.directoryPath("receiver.log"), startSeconds: 240)
        sinkPort = freePort()
        mailDirectory = service.directoryPath("mail")
        sink = try Daemon(python3, [
            Paths.repositoryRoot + "/Tests/Fakes/smtp_sink.py", "--out", mailDirectory, "--port", String(sinkPort),
        ] + sinkArguments, logPath: service.directoryPath("sink.log"))
        let sink = self.sink
        // The first run creates the sink's virtual environment (pip).
        guard eventually(seconds: 240, { sink.log.contains("listening on") }) else {
            throw CommandFailure(description: "the SMTP sink did not start:\n\(sink.log)")
        }
        partner = try service.createPartner(name: "Acme Bookings")
        vendor = try service.createVendor(name: "Praxis Meier", timezone: Self.zone)
        let rules = service.directoryPath("rules.json")
        try Booking.openRules.replacingOccurrences(of: "\"UTC\"", with: "\"\(Self.zone)\"")
            .write(toFile: rules, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", vendor, "--file", rules])
        try service.setPayments(vendor: vendor)
        vendorKey = try service.createVendorKey(vendor: vendor)
        var notify = ["vendor", "notify", "set", vendor, "--json", "--webhook-allow-host", "127.0.0.1"]
        if email { notify += ["--email", Self.vendorEmail] }
        if webhook { notify += ["--webhook-url", "http://127.0.0.1:\(receiverPort)/hooks/vendor"] }
        if email || webhook {
            let set = try JSONSerialization.jsonObject(with: Data(service.bookiji(notify).utf8)) as? [String: Any] ?? [:]
            vendorSecret = set["webhookSecret"] as? String ?? ""
        }
        let endpoint = try service.send(
            "POST", "/v1/webhook-endpoints", key: partner.key,
            body: Array(#"{"url":"http://127.0.0.1:\#(receiverPort)/hooks/partner"}"#.utf8))
        guard endpoint.status == 201, let secret = endpoint.json["secret"] as? String else {
            throw CommandFailure(description: "endpoint: \(endpoint.text)")
        }
        partnerSecret = secret
        try receiver.setSecrets([partnerSecret, vendorSecret].filter { !$0.isEmpty })
        try startWorker()
    }

    var publicURL: String { "http://127.0.0.1:\(service.port)" }

    func startWorker() throws {
        worker?.stop()
        worker = try Daemon(Paths.bookiji, [
            "worker", "--database", service.databaseURL, "--poll-seconds", "1", "--no-calendar-sync",
            "--webhook-allow-host", "127.0.0.1", "--smtp-url", "smtp://127.0.0.1:\(sinkPort)", "--mail-from", Self.mailFrom,
            "--public-url", publicURL,
        ], logPath: service.directoryPath("worker-\(UUID().uuidString.prefix(6)).log"),
            environment: ["BOOKIJI_LOG_LEVEL": "debug", "BOOKIJI_PAGE_KEY": Service.pageKey])
    }

    func stop() {
        worker?.stop()
        sink.stop()
        receiver.stop()
        service.stop()
    }

    /// Places a hold on the vendor's next free hour; returns its id.
    func hold() throws -> String {
        let start = nextSlot
        nextSlot += 3600
        let response = try service.hold(key: partner.key, vendor: vendor, start: start, minutes: 60)
        guard let id = response.json["reservationId"] as? String else { throw CommandFailure(description: "hold: \(response.text)") }
        return id
    }

    /// Every message the sink accepted, in order.
    func mails() -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: mailDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: mailDirectory + "/" + name)
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    @discardableResult
    func waitForMails(_ count: Int, seconds: Double = 60) throws -> [[String: Any]] {
        var found: [[String: Any]] = []
        _ = eventually(seconds: seconds) {
            found = mails()
            return found.count >= count
        }
        guard found.count >= count else {
            throw CommandFailure(description: "\(found.count) mails, expected \(count); worker log:\n\(worker?.log.suffix(6000) ?? "")\nsink:\n\(sink.log.suffix(2000))")
        }
        return found
    }

    /// What the receiver got at `path` (the partner's endpoint or the vendor's webhook).
    func received(path: String) throws -> [[String: Any]] {
        try receiver.received().filter { $0["path"] as? String == path }
    }

    func waitForDeliveries(path: String, where condition: @escaping ([String: Any]) -> Bool, seconds: Double = 30) throws -> [String: Any] {
        var match: [String: Any]?
        _ = eventually(seconds: seconds) {
            match = ((try? received(path: path)) ?? []).first(where: condition)
            return match != nil
        }
        guard let match else {
            throw CommandFailure(description: "no matching delivery at \(path); worker log:\n\(worker?.log.suffix(6000) ?? "")")
        }
        return match
    }

    static func body(_ delivery: [String: Any]) -> [String: Any] {
        (delivery["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
    }

    /// `HH:mm–HH:mm (Europe/Berlin, UTC+hh:mm)` of an hour from `start`, by Foundation's time
    /// zones (an oracle apart from the tzdata reader the service uses), and the start's `HH:mm`.
    static func localHour(from start: Int64) -> (span: String, start: String) {
        let zone = TimeZone(identifier: Self.zone)!
        let formatter = DateFormatter()
        formatter.timeZone = zone
        formatter.dateFormat = "HH:mm"
        let from = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(start)))
        let to = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(start + 3600)))
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(start)))
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600, minutes = abs(offset) / 60 % 60
        return ("\(from)–\(to) (\(Self.zone), UTC\(sign)\(hours < 10 ? "0" : "")\(hours):\(minutes < 10 ? "0" : "")\(minutes))", from)
    }

    /// The confirmation link in a message's text.
    static func link(in text: String) -> String? {
        text.split(whereSeparator: \.isNewline).map(String.init).first { $0.contains("/v/r/") }?
            .trimmingCharacters(in: .whitespaces)
    }

    /// The path part of a link (`/v/r/…`), to request through nginx.
    static func path(of link: String) -> String {
        link.range(of: "/v/r/").map { String(link[$0.lowerBound...]) } ?? link
    }

    func reservation(_ id: String) throws -> [String: Any] {
        try service.get("/v1/reservations/\(id)", key: partner.key).json
    }
}

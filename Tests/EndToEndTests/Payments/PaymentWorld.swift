import Foundation
import Postgres
import Testing

/// The whole payment stack for one test: the service (database, responder, nginx), a
/// `fake-stripe` whose signed events go to the service's webhook through nginx, and a
/// `bookiji worker` calling the fake. A partner, a vendor (with payment settings and a key) and
/// helpers to walk a reservation through the flow.
final class PaymentWorld: @unchecked Sendable {  // owned by one test at a time
    static let secretKey = "sk_test_bookiji"

    let service: Service
    let fake: Daemon
    let fakePort: Int
    private(set) var worker: Daemon?
    let partner: (id: String, key: String)
    let vendor: String
    let vendorKey: String
    private var workers = 0
    /// Slots are taken one after another, an hour apart, so holds never collide.
    private var nextSlot = Booking.day(7) + 8 * 3600

    /// - Parameter webhooks: false for a Stripe whose events never arrive.
    init(workerArguments: [String] = [], latencyMs: Int = 0, webhooks: Bool = true) throws {
        service = try Service(responderArguments: ["--webhook-allow-host", "127.0.0.1"])
        fakePort = freePort()
        let events = webhooks ? ["--webhook-url", "http://127.0.0.1:\(service.port)/v1/stripe/webhooks"] : []
        fake = try Daemon(Paths.fakeStripe, [
            "--port", String(fakePort), "--webhook-secret", Service.stripeWebhookSecret, "--latency-ms", String(latencyMs),
        ] + events, logPath: service.directoryPath("fake-stripe.log"))
        let port = fakePort
        guard eventually(seconds: 10, { (try? HTTPClient.send(port: port, path: "/_control/health").status) == 200 }) else {
            throw CommandFailure(description: "fake-stripe did not start:\n\(fake.log)")
        }
        partner = try service.createPartner()
        vendor = try service.createOpenVendor()
        vendorKey = try service.createVendorKey(vendor: vendor)
        try startWorker(workerArguments)
    }

    /// Starts a worker (another one, or again after a kill).
    @discardableResult
    func startWorker(_ extra: [String] = []) throws -> Daemon {
        workers += 1
        let daemon = try Daemon(Paths.bookiji, [
            "worker", "--database", service.databaseURL, "--poll-seconds", "1", "--stripe-api-base", "http://127.0.0.1:\(fakePort)",
            "--no-calendar-sync", "--webhook-allow-host", "127.0.0.1",
        ] + extra, logPath: service.directoryPath("worker-\(workers).log"),
            environment: ["BOOKIJI_STRIPE_SECRET_KEY": Self.secretKey, "BOOKIJI_LOG_LEVEL": "debug"])
        worker = daemon
        return daemon
    }

    func stop() {
        worker?.stop()
        fake.stop()
        service.stop()
    }

    // MARK: The flow

    /// Places a hold on the next free slot; returns its id.
    func hold() throws -> String {
        let start = nextSlot
        nextSlot += 3600
        // The vendor is open 06:00-22:00 UTC: after the 21:00 slot, the next day's 08:00.
        if nextSlot % 86_400 > 21 * 3600 { nextSlot = (nextSlot / 86_400 + 1) * 86_400 + 8 * 3600 }
        let response = try service.hold(key: partner.key, vendor: vendor, start: start, minutes: 60)
        guard response.status == 201, let id = response.json["reservationId"] as? String else {
            throw CommandFailure(description: "hold failed: \(response.status) \(response.text)")
        }
        return id
    }

    @discardableResult
    func confirm(_ id: String) throws -> WireResponse {
        try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey)
    }

    /// The vendor's server-side authorization of its deposit.
    @discardableResult
    func authorizeVendor(_ id: String, _ paymentMethod: String = "pm_card_visa") throws -> WireResponse {
        try service.send(
            "POST", "/v1/vendor/reservations/\(id)/authorize", key: vendorKey, body: Array(#"{"paymentMethodId":"\#(paymentMethod)"}"#.utf8))
    }

    /// The partner's server-side authorization of its requester's payment.
    @discardableResult
    func authorizeRequester(_ id: String, _ paymentMethod: String = "pm_card_visa") throws -> WireResponse {
        try service.send(
            "POST", "/v1/reservations/\(id)/authorize", key: partner.key, body: Array(#"{"paymentMethodId":"\#(paymentMethod)"}"#.utf8))
    }

    /// A reservation whose vendor is authorized and whose requester is in 3-D Secure: hold,
    /// confirm, the vendor's card, the requester's 3-D Secure card, then wait for `requires_action`.
    /// The commit is held back until the test completes the requester's authentication.
    func awaitingAuthentication() throws -> (id: String, vendorIntent: String, requesterIntent: String) {
        let id = try hold()
        try confirm(id)
        try authorizeVendor(id)
        try authorizeRequester(id, "pm_card_threeDSecure2Required")
        let waiting = try waitForPayment(id) { $0["requesterPaymentIntentStatus"] as? String == "requires_action" }
        guard let vendor = waiting["vendorPaymentIntentId"] as? String, let requester = waiting["requesterPaymentIntentId"] as? String
        else { throw CommandFailure(description: "no intents in \(waiting)") }
        return (id, vendor, requester)
    }

    /// Completes the requester's 3-D Secure in the browser (as Stripe.js would).
    func authenticate(_ requesterIntent: String) throws {
        let response = try confirmClientSide(requesterIntent, paymentMethod: "pm_card_threeDSecure2Required")
        guard response.status == 200 else { throw CommandFailure(description: "3-D Secure completion: \(response.text)") }
    }

    func reservation(_ id: String) throws -> [String: Any] {
        try service.get("/v1/reservations/\(id)", key: partner.key).json
    }

    func paymentState(_ id: String) throws -> [String: Any] {
        try reservation(id)["paymentState"] as? [String: Any] ?? [:]
    }

    /// Polls until the reservation is in `state` (or `timeout` passes); returns the last answer.
    @discardableResult
    func waitFor(_ id: String, state: String, seconds: Double = 30) throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = eventually(seconds: seconds) {
            last = (try? reservation(id)) ?? [:]
            return last["state"] as? String == state
        }
        guard last["state"] as? String == state else {
            throw CommandFailure(description: """
                reservation \(id) is \(last["state"] ?? "?"), not \(state), after \(seconds) s: \(last)
                worker log (tail):
                \(worker?.log.suffix(6000) ?? "")
                """)
        }
        return last
    }

    /// Polls until `condition` holds for the payment state.
    func waitForPayment(_ id: String, seconds: Double = 30, _ condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        var last: [String: Any] = [:]
        let met = eventually(seconds: seconds) {
            last = (try? paymentState(id)) ?? [:]
            return condition(last)
        }
        guard met else {
            throw CommandFailure(description: "payment state of \(id) never met the condition: \(last)\nworker log (tail):\n\(worker?.log.suffix(6000) ?? "")")
        }
        return last
    }

    // MARK: The fake

    /// A PaymentIntent as the fake holds it.
    func intent(_ id: String) throws -> [String: Any] {
        try HTTPClient.send(port: fakePort, path: "/v1/payment_intents/\(id)", headers: ["Authorization": "Bearer \(Self.secretKey)"]).json
    }

    /// Refunds of an intent at the fake.
    func refunds(_ intent: String) throws -> [[String: Any]] {
        try HTTPClient.send(
            port: fakePort, path: "/v1/refunds?payment_intent=\(intent)", headers: ["Authorization": "Bearer \(Self.secretKey)"]
        ).json["data"] as? [[String: Any]] ?? []
    }

    /// What Stripe.js does in the browser: confirms the intent with the client's card (here with
    /// the secret key, since the fake has no publishable keys).
    @discardableResult
    func confirmClientSide(_ intent: String, paymentMethod: String) throws -> WireResponse {
        try HTTPClient.send(
            port: fakePort, method: "POST", path: "/v1/payment_intents/\(intent)/confirm",
            headers: ["Authorization": "Bearer \(Self.secretKey)", "Content-Type": "application/x-www-form-urlencoded"],
            body: Array("payment_method=\(paymentMethod)".utf8))
    }

    /// Arms a fault at the fake (`POST /_control/faults`).
    func fault(_ operation: String, _ fault: String, times: Int, intent: String? = nil) throws {
        let target = intent.map { #","paymentIntent":"\#($0)""# } ?? ""
        let response = try HTTPClient.send(
            port: fakePort, method: "POST", path: "/_control/faults", headers: ["Content-Type": "application/json"],
            body: Array(#"{"operation":"\#(operation)","fault":"\#(fault)","times":\#(times)\#(target)}"#.utf8))
        guard response.status == 200 else { throw CommandFailure(description: "arming the fault failed: \(response.text)") }
    }

    func scalar(_ sql: String, _ parameters: [(any PGEncodable)?] = []) throws -> Int {
        try service.sql().query(sql, parameters).first!.int(0)
    }
}

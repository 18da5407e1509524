import BookijiCore
import Coordinator
import Foundation
import Integrations
import Logging
import ServiceLifecycle
import Store
import Telemetry

/// Sends queued webhook deliveries (issue 13): signed with Standard Webhooks headers, at least
/// once, in order per reservation and endpoint, many at once across them. A 2xx answer is
/// success; anything else (3xx included: redirects are not followed), a timeout or no answer is
/// a failure tried again on ``WebhookRetrySchedule`` (a `Retry-After` on 429 or 503 honoured); a
/// 410 disables the endpoint, and so does failing for five days. Before each attempt the
/// endpoint's host is resolved and every address checked against ``WebhookURLPolicy`` (SSRF).
public struct WebhookSender: Service {
    public struct Settings: Sendable {
        public var concurrency = 16
        public var leaseSeconds: Double = 60
        public var timeout: Duration = .seconds(15)
        public var pollIntervalSeconds: Double = 5
        public var policy = WebhookURLPolicy()
        /// Benchmarks only: multiplies the retry schedule's delays (0.01 turns 5 min into 3 s).
        public var retryScale: Double = 1
        public init() {}
    }

    private let settings: Settings
    private let transport: any HTTPTransport
    private let database: DatabaseExecutor
    private let signals: Subscription
    private let pool: DatabasePool
    private let worker: String
    private let logger: Logger

    public init(
        databaseURL: String, settings: Settings = Settings(), notifications: NotificationHub, transport: (any HTTPTransport)? = nil,
        logger: Logger
    ) {
        self.settings = settings
        // One connection per delivery in flight (the client lives as long as the process).
        self.transport = transport
            ?? AsyncHTTPClientTransport(client: .webhooks(connectionsPerHost: settings.concurrency), maxResponseBytes: 64 << 10)
        self.database = DatabaseExecutor(url: databaseURL, label: "webhooks")
        self.signals = notifications.subscribe { $0.channel == WebhookStore.notificationChannel }
        self.pool = DatabasePool(url: databaseURL, size: 2, label: "webhooks.record")
        self.worker = WorkerIdentity.current
        self.logger = logger
    }

    public func run() async throws {
        let shutdown = ShutdownFlag()
        logger.info("webhook sender started", metadata: ["concurrency": "\(settings.concurrency)"])
        await withGracefulShutdownHandler {
            let worker = self.worker, lease = settings.leaseSeconds, database = self.database
            // A backlog is claimed a quarter of the slots at a time, not a delivery or two as each finishes.
            let loop = ClaimLoop(
                concurrency: settings.concurrency, batch: settings.concurrency / 4, shutdown: shutdown, logger: logger,
                label: "webhook sender")
            await loop.run(
                claim: { free in
                    try await database.run { session in try WebhookStore(session).claim(worker: worker, leaseSeconds: lease, limit: free) }
                },
                wait: { try await waitForWork(shutdown: shutdown) },
                handle: { item in await send(item) })
        } onGracefulShutdown: {
            shutdown.raise()
        }
        logger.info("webhook sender stopped")
    }

    /// One attempt of one delivery, and its outcome recorded.
    private func send(_ claimed: WebhookStore.Claimed) async {
        let delivery = claimed.delivery, endpoint = claimed.endpoint
        let started = ContinuousClock.now
        let outcome = await attempt(delivery, to: endpoint)
        let worker = self.worker
        do {
            try await pool.run { session in
                try WebhookStore(session).record(
                    delivery, worker: worker, outcome: outcome, disableAfterSeconds: WebhookRetrySchedule.disableAfterSeconds)
            }
            // The reservation's next event to this endpoint may go now (this one succeeded, failed
            // for good, or is due again at once): wake this sender's claim loop, which may be
            // waiting after an empty claim. No NOTIFY: see WebhookStore.record.
            if outcome.mayReleaseWaitingDeliveries { signals.deliver() }
        } catch {
            logger.error("webhook outcome not recorded", metadata: ["delivery": "\(delivery.id)", "error": "\(oneLine(error))"])
        }
        var details: Logger.Metadata = [
            "delivery": "\(delivery.id)", "event": "\(delivery.eventType)", "endpoint": "\(endpoint.id)",
            "attempt": "\(delivery.attempts)", "ms": "\(milliseconds(since: started))",
        ]
        switch outcome {
        case .succeeded(let status):
            BookijiMetrics.webhookAttempt(.succeeded, lagSeconds: Int64(Date().timeIntervalSince1970) - delivery.createdAt)
            details["status"] = "\(status)"
            logger.debug("webhook delivered", metadata: details)
        case .failed(let status, let error, let retry):
            BookijiMetrics.webhookAttempt(.failed)
            details["status"] = "\(status.map(String.init) ?? "-")"
            details["error"] = "\(error)"
            details["retryInSeconds"] = "\(retry.map(String.init) ?? "never")"
            logger.warning("webhook delivery failed", metadata: details)
        case .endpointRefused(_, let error, let reason):
            BookijiMetrics.webhookAttempt(.endpointRefused)
            details["error"] = "\(error)"
            logger.warning("webhook endpoint disabled", metadata: details.merging(["reason": "\(reason)"]) { $1 })
        }
    }

    private func attempt(_ delivery: WebhookDelivery, to endpoint: WebhookEndpoint) async -> WebhookStore.Outcome {
        func failed(_ status: Int?, _ error: String, retryAfter: Int64? = nil) -> WebhookStore.Outcome {
            .failed(status: status, error: error,
                    retryInSeconds: WebhookRetrySchedule.delay(afterAttempt: delivery.attempts, retryAfter: retryAfter)
                        .map { settings.retryScale == 1 ? $0 : max(0, Int64((Double($0) * settings.retryScale).rounded())) })
        }
        let target: WebhookURLPolicy.Target
        do {
            target = try settings.policy.check(endpoint.url)
        } catch {
            return .endpointRefused(status: nil, error: error.message, reason: "the URL is no longer allowed: \(error.message)")
        }
        if !target.allowListed {
            do {
                let addresses = try await AddressResolution.addresses(of: target.host)
                if let forbidden = addresses.first(where: \.isForbidden) {
                    return .endpointRefused(
                        status: nil, error: "\(target.host) resolves to \(forbidden)",
                        reason: "the URL's host resolves to a loopback, private, link-local or metadata address (\(forbidden))")
                }
                if addresses.isEmpty { return failed(nil, "\(target.host) resolves to no address") }
            } catch {
                return failed(nil, "\(error)")
            }
        }
        let now = Int64(Date().timeIntervalSince1970)
        let body = Array(delivery.body.utf8)
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("User-Agent", "Bookiji-Webhooks/1"),
            ("webhook-id", delivery.eventID),
            ("webhook-timestamp", String(now)),
            ("webhook-signature", StandardWebhooks.signatureHeader(
                id: delivery.eventID, timestamp: now, body: body, secrets: endpoint.signingSecrets(at: now))),
            ("X-Webhook-Version", WebhookEvents.version),
        ]
        let response: ConnectorHTTPResponse
        do {
            response = try await transport.send(ConnectorHTTPRequest(
                method: "POST", url: endpoint.url, headers: headers, body: body, timeout: settings.timeout))
        } catch {
            return failed(nil, "no answer: \(error)")
        }
        switch response.status {
        case 200..<300:
            return .succeeded(status: response.status)
        case 410:
            return .endpointRefused(status: 410, error: "410 Gone", reason: "the endpoint answered 410 Gone")
        case 429, 503:
            let retryAfter = response.header("Retry-After").flatMap { RetryAfter.delay($0, now: Double(now)) }.map { Int64($0.rounded(.up)) }
            return failed(response.status, "HTTP \(response.status)", retryAfter: retryAfter)
        default:
            return failed(response.status, "HTTP \(response.status)")
        }
    }

    private func waitForWork(shutdown: ShutdownFlag) async throws {
        let poll = settings.pollIntervalSeconds
        let nextDue = try await database.run { session in try WebhookStore(session).secondsUntilNextDue(within: poll) }
        await signals.wait(seconds: min(poll, nextDue ?? poll), shutdown: shutdown)
    }
}

extension WebhookStore.Outcome {
    /// Whether recording it may let another delivery go now: the reservation's next event waits
    /// until this one succeeded or failed for good, and a retry due at once is itself due.
    var mayReleaseWaitingDeliveries: Bool {
        switch self {
        case .succeeded, .endpointRefused: true
        case .failed(_, _, let retry): retry.map { $0 <= 0 } ?? true
        }
    }
}

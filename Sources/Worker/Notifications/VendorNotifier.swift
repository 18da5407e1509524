import BookijiCore
import Coordinator
import Foundation
import Integrations
import Logging
import Store

/// Tells vendors that a reservation waits for them (issue 13, point 4): handles the
/// `vendor.confirmation_requested` rows a hold writes, sending to each channel the vendor has (a
/// webhook signed on the Standard Webhooks scheme with the vendor's own secret, an email through
/// the SMTP relay), each with the link to the confirmation page.
///
/// A channel that took the request is recorded and not sent again; one that failed makes the
/// row fail, so the outbox retries it on ``retryPolicy``. When an attempt leaves the vendor
/// reached by no channel at all, the confirmation deadline is extended once (spec: compensation
/// matrix row 2-3) by ``VendorNotifications/deadlineExtensionSeconds``. A reservation that no
/// longer waits for its vendor (answered, cancelled, expired) is not notified.
public struct VendorNotifier: OutboxHandler {
    public struct Settings: Sendable {
        /// The relay email goes through; nil when the worker has no `--smtp-url` (a vendor with an
        /// email address then fails to be notified, and is retried).
        public var smtp: SMTPClient?
        /// The From address (`--mail-from`).
        public var mailFrom = "bookiji@localhost"
        /// `https://book.example.com`: where `/v/` reaches the responder (`--public-url`).
        public var publicURL: String?
        /// Signs the page links; nil leaves them out.
        public var pageKey: VendorPageKey?
        /// The SSRF rules of partner webhooks, checked again after name resolution.
        public var policy = WebhookURLPolicy()
        public var webhookTimeout: Duration = .seconds(15)
        public init() {}
    }

    public let topics = [VendorNotifications.topic]
    /// 9 attempts, 2 s doubling to 2 minutes (±20%): waits of 2, 4, 8, 16, 32, 64, 120 and 120 s,
    /// about 6 minutes of retries, within the 10-minute hold and its one 10-minute extension. The
    /// spec's standard policy (5 attempts, 1 s to 60 s) would give up after 15 seconds.
    public var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: 9, initialDelay: .seconds(2), maxDelay: .seconds(120)) }
    /// Rows in flight at once: each waits on a vendor's server or the relay.
    public var concurrency: Int { 4 }

    private let settings: Settings
    private let pool: DatabasePool
    private let transport: any HTTPTransport
    private let logger: Logger

    public init(databaseURL: String, settings: Settings, transport: (any HTTPTransport)? = nil, logger: Logger) {
        self.settings = settings
        self.pool = DatabasePool(url: databaseURL, size: 2, label: "vendor-notify")
        self.transport = transport ?? AsyncHTTPClientTransport(client: .webhooks, maxResponseBytes: 64 << 10)
        self.logger = logger
    }

    struct NotificationFailed: Error, CustomStringConvertible {
        var failures: [String]
        var description: String { "vendor notification failed: " + failures.joined(separator: "; ") }
    }

    public func handle(_ row: OutboxRow) async throws {
        guard let reservationID = row.reservationID else { return }
        let now = Int64(Date().timeIntervalSince1970)
        guard let pending = try await pool.run({ session in
            try VendorNotifications(database: Database(session: session)).pending(reservationID: reservationID, now: now)
        }) else { return }
        let metadata: Logger.Metadata = ["reservation": "\(reservationID)", "vendor": "\(pending.request.reservation.vendorID)"]
        if pending.channels.isEmpty {
            logger.info("vendor has no notification channels; not notified", metadata: metadata)
            return
        }
        let notice = VendorNotice(request: pending.request, link: link(for: pending.request.reservation))
        var failures: [String] = []
        var reached = pending.delivered
        for channel in pending.remaining {
            let error: String?
            switch channel {
            case .webhook: error = await sendWebhook(notice, channels: pending.channels, eventID: Self.eventID(outboxID: row.id), now: now)
            case .email: error = await sendEmail(notice, to: pending.channels.email ?? "", outboxID: row.id, now: now)
            }
            try await pool.run { session in
                try VendorNotifications(database: Database(session: session)).record(reservationID: reservationID, channel: channel, error: error)
            }
            if let error {
                failures.append("\(channel.rawValue): \(error)")
                logger.warning("vendor notification failed", metadata: metadata.merging(["channel": "\(channel.rawValue)", "error": "\(error)"]) { $1 })
            } else {
                reached.insert(channel)
                logger.info("vendor notified", metadata: metadata.merging(["channel": "\(channel.rawValue)"]) { $1 })
            }
        }
        guard !failures.isEmpty else { return }
        if reached.isEmpty {
            let extended = try await pool.run { session in
                try VendorNotifications(database: Database(session: session)).extendDeadlineOnce(reservationID: reservationID, now: now)
            }
            if let extended {
                logger.warning("vendor not reached; confirmation deadline extended", metadata: metadata.merging([
                    "deadline": "\(RFC3339.format(extended))",
                ]) { $1 })
            }
        }
        throw NotificationFailed(failures: failures)
    }

    /// The page link, expiring at the reservation's confirmation deadline.
    func link(for reservation: ReservationRecord) -> String? {
        guard var base = settings.publicURL, let key = settings.pageKey, let deadline = reservation.deadline,
              let token = VendorPageToken(reservationID: reservation.id, vendorID: reservation.vendorID, expiresAt: deadline)
                .signed(with: key)
        else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v/r/" + token
    }

    /// `vnt_` and the outbox row's id: the same for every attempt, so the vendor can drop repeats.
    static func eventID(outboxID: Int64) -> String {
        let digits = String(outboxID)
        return "vnt_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    /// One signed POST; nil when the vendor's server took it (2xx).
    private func sendWebhook(_ notice: VendorNotice, channels: VendorNotificationChannels, eventID: String, now: Int64) async -> String? {
        guard let url = channels.webhookURL, let secret = channels.webhookSecret else { return "no webhook URL" }
        if let refused = await WebhookDestination.refusal(of: url, policy: settings.policy) { return refused }
        let body = notice.webhookBody(eventID: eventID, now: now)
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("User-Agent", "Bookiji-Webhooks/1"),
            ("webhook-id", eventID),
            ("webhook-timestamp", String(now)),
            ("webhook-signature", StandardWebhooks.signatureHeader(id: eventID, timestamp: now, body: body, secrets: [secret])),
            ("X-Webhook-Version", WebhookEvents.version),
        ]
        do {
            let response = try await transport.send(ConnectorHTTPRequest(
                method: "POST", url: url, headers: headers, body: body, timeout: settings.webhookTimeout))
            return (200..<300).contains(response.status) ? nil : "HTTP \(response.status)"
        } catch {
            return "no answer: \(error)"
        }
    }

    /// One message to the relay; nil when the relay accepted it.
    private func sendEmail(_ notice: VendorNotice, to address: String, outboxID: Int64, now: Int64) async -> String? {
        guard let smtp = settings.smtp else { return "no SMTP relay is configured (bookiji worker --smtp-url)" }
        let domain = settings.mailFrom.split(separator: "@").last.map(String.init) ?? "localhost"
        let message = MailMessage(
            from: settings.mailFrom, fromName: "Bookiji", to: [address], subject: notice.subject, text: notice.text,
            messageID: "<vendor-notice-\(notice.reservation.id)-\(outboxID)@\(domain)>", date: now,
            headers: [("Auto-Submitted", "auto-generated")])
        do {
            try await smtp.send(message)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore

/// Stripe's webhook signature: `t=TIMESTAMP,v1=HEX`, where HEX is HMAC-SHA256 of `"{t}.{body}"`
/// under the endpoint's secret.
enum WebhookSignature {
    static func header(body: Data, secret: String, timestamp: Int) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Posts events to the webhook URL one at a time, in the order they happened, a few attempts
/// each. A receiver that is down loses the event (logged), as a test would want to see rather
/// than have the fake stall.
struct WebhookSender: Sendable {
    private let continuation: AsyncStream<StripeEvent>.Continuation
    private let stream: AsyncStream<StripeEvent>
    let url: String?
    let secret: String
    let logger: Logger

    init(url: String?, secret: String, logger: Logger) {
        (stream, continuation) = AsyncStream.makeStream(of: StripeEvent.self)
        self.url = url
        self.secret = secret
        self.logger = logger
    }

    /// Queues an event.
    func send(_ event: StripeEvent) {
        guard url != nil else { return }
        continuation.yield(event)
    }

    /// Delivers queued events until the task is cancelled.
    func run() async {
        guard let url else { return }
        for await event in stream {
            let body = jsonData(event.json)
            var delivered = false
            for attempt in 1...4 where !delivered {
                delivered = await post(body, to: url, event: event)
                if !delivered && attempt < 4 { try? await Task.sleep(for: .milliseconds(100 * attempt * attempt)) }
            }
            if !delivered { logger.warning("webhook not delivered", metadata: ["event": "\(event.id)", "type": "\(event.type)"]) }
        }
    }

    /// Signs with the real clock, not the fake's: receivers check the signature's age against
    /// their own time (Stripe's libraries allow five minutes), and `created` already carries the
    /// fake's time.
    private func post(_ body: Data, to url: String, event: StripeEvent) async -> Bool {
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        request.headers.add(name: "Stripe-Signature", value: WebhookSignature.header(body: body, secret: secret, timestamp: timestamp))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            _ = try? await response.body.collect(upTo: 1 << 20)
            if (200..<300).contains(Int(response.status.code)) { return true }
            logger.info("webhook refused", metadata: ["event": "\(event.id)", "status": "\(response.status.code)"])
        } catch {
            logger.info("webhook failed", metadata: ["event": "\(event.id)", "error": "\(error)"])
        }
        return false
    }
}

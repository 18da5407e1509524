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
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in mac {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return "t=\(timestamp),v1=" + String(decoding: hex, as: UTF8.self)
    }
}

/// Posts events to the webhook URL, up to ``maxInFlight`` at once, a few attempts each. The events
/// of one payment intent go one at a time, in the order they happened (an event waits for its
/// predecessor's delivery or last attempt); events of different intents overtake each other, as
/// at Stripe, which promises no order at all. A receiver that is down loses the event (logged), as
/// a test would want to see rather than have the fake stall.
struct WebhookSender: Sendable {
    /// How many events are posted at once.
    static let maxInFlight = 16

    private enum Message: Sendable {
        /// An event to post.
        case event(StripeEvent)
        /// The event in flight for this intent is done with (delivered or given up).
        case finished(String)
    }

    private let continuation: AsyncStream<Message>.Continuation
    private let stream: AsyncStream<Message>
    let url: String?
    let secret: String
    let logger: Logger

    init(url: String?, secret: String, logger: Logger) {
        (stream, continuation) = AsyncStream.makeStream(of: Message.self)
        self.url = url
        self.secret = secret
        self.logger = logger
    }

    /// Queues an event.
    func send(_ event: StripeEvent) {
        guard url != nil else { return }
        continuation.yield(.event(event))
    }

    /// Delivers queued events until the task is cancelled.
    func run() async {
        guard let url else { return }
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.maxInFlight
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        await withDiscardingTaskGroup { group in
            var queues = EventQueues()
            var inFlight = 0
            func start(_ event: StripeEvent) {
                inFlight += 1
                group.addTask { [continuation] in
                    await deliver(event, to: url, with: client)
                    continuation.yield(.finished(event.intentID))
                }
            }
            for await message in stream {
                switch message {
                case .event(let event):
                    queues.add(event)
                case .finished(let intent):
                    inFlight -= 1
                    queues.finish(intent)
                }
                while inFlight < Self.maxInFlight, let event = queues.next() { start(event) }
            }
        }
        try? await client.shutdown()
    }

    private func deliver(_ event: StripeEvent, to url: String, with client: HTTPClient) async {
        let body = jsonData(event.json)
        for attempt in 1...4 {
            if await post(body, to: url, event: event, with: client) { return }
            if attempt < 4 { try? await Task.sleep(for: .milliseconds(100 * attempt * attempt)) }
        }
        logger.warning("webhook not delivered", metadata: ["event": "\(event.id)", "type": "\(event.type)"])
    }

    /// Signs with the real clock, not the fake's: receivers check the signature's age against
    /// their own time (Stripe's libraries allow five minutes), and `created` already carries the
    /// fake's time.
    private func post(_ body: Data, to url: String, event: StripeEvent, with client: HTTPClient) async -> Bool {
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        request.headers.add(name: "Stripe-Signature", value: WebhookSignature.header(body: body, secret: secret, timestamp: timestamp))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            _ = try? await response.body.collect(upTo: 1 << 20)
            if (200..<300).contains(Int(response.status.code)) { return true }
            logger.info("webhook refused", metadata: ["event": "\(event.id)", "status": "\(response.status.code)"])
        } catch {
            logger.info("webhook failed", metadata: ["event": "\(event.id)", "error": "\(error)"])
        }
        return false
    }
}

/// The events waiting to be posted: per intent, those behind the one in flight; and, oldest first,
/// the intents whose next event may go as soon as a slot is free.
struct EventQueues: Sendable {
    /// An intent is here from its first queued event until its last is done with; the first of
    /// its events is in flight or in `ready`, the rest wait here.
    private var waiting: [String: [StripeEvent]] = [:]
    private var ready: [StripeEvent] = []
    private var readyHead = 0

    /// Queues an event behind its intent's earlier ones.
    mutating func add(_ event: StripeEvent) {
        if waiting[event.intentID] != nil {
            waiting[event.intentID]!.append(event)
        } else {
            waiting[event.intentID] = []
            ready.append(event)
        }
    }

    /// Frees `intent`'s turn: its next event, if any, becomes ready.
    mutating func finish(_ intent: String) {
        guard var rest = waiting[intent] else { return }
        if rest.isEmpty {
            waiting[intent] = nil
        } else {
            ready.append(rest.removeFirst())
            waiting[intent] = rest
        }
    }

    /// The oldest ready event, to post now.
    mutating func next() -> StripeEvent? {
        guard readyHead < ready.count else { return nil }
        let event = ready[readyHead]
        readyHead += 1
        if readyHead == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
        } else if readyHead >= 1024 && readyHead * 2 >= ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        return event
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Stripe calls of the payment flow: PaymentIntents with manual capture, and refunds.
///
/// One request per call and never a retry: the caller records each attempt and decides, from
/// ``StripeCallError/isRetryable``, whether to send it again, under the same idempotency key.
/// Every POST carries its key, so a repeat of a call that Stripe already applied returns the first
/// answer instead of applying it twice (for 24 hours; then Stripe forgets the key).
public struct StripeClient: Sendable {
    public let configuration: StripeConfiguration
    private let transport: any HTTPTransport

    public init(configuration: StripeConfiguration, transport: any HTTPTransport = AsyncHTTPClientTransport()) {
        self.configuration = configuration
        self.transport = transport
    }

    /// `POST /v1/payment_intents`.
    public func createPaymentIntent(
        _ parameters: PaymentIntentParameters, idempotencyKey: String
    ) async throws(StripeCallError) -> StripePaymentIntent {
        try await post("/v1/payment_intents", parameters.formFields, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/payment_intents/{id}/confirm`. A card that asks for 3-D Secure leaves the intent
    /// in `requires_action` until the customer completes it (in `fake-stripe`, until a second confirm).
    /// - Parameter paymentMethod: `pm_…`; nil confirms with the one the intent already has.
    /// - Throws: a decline as ``StripeCallError/api(_:)`` with ``StripeAPIError/isCardError``,
    ///   status 402 and the intent in ``StripeAPIError/paymentIntent``.
    public func confirmPaymentIntent(
        _ id: String, paymentMethod: String?, idempotencyKey: String
    ) async throws(StripeCallError) -> StripePaymentIntent {
        let fields = paymentMethod.map { [StripeFormField("payment_method", $0)] } ?? []
        return try await post(try Self.path("payment_intents", id, "confirm"), fields, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/payment_intents/{id}/capture`: the whole authorized amount.
    /// - Parameter metadata: merged into the intent's (the booking's id, once it has one).
    public func capturePaymentIntent(
        _ id: String, metadata: [String: String] = [:], idempotencyKey: String
    ) async throws(StripeCallError) -> StripePaymentIntent {
        try await post(try Self.path("payment_intents", id, "capture"), StripeForm.hash("metadata", metadata), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/payment_intents/{id}/cancel`, releasing an authorization.
    /// - Parameter reason: `duplicate`, `fraudulent`, `requested_by_customer` or `abandoned`.
    public func cancelPaymentIntent(
        _ id: String, reason: String?, idempotencyKey: String
    ) async throws(StripeCallError) -> StripePaymentIntent {
        let fields = reason.map { [StripeFormField("cancellation_reason", $0)] } ?? []
        return try await post(try Self.path("payment_intents", id, "cancel"), fields, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/payment_intents/{id}`: what happened to a call whose outcome is unknown.
    public func retrievePaymentIntent(_ id: String) async throws(StripeCallError) -> StripePaymentIntent {
        try await send(method: "GET", path: try Self.path("payment_intents", id), body: nil, idempotencyKey: nil)
    }

    /// `POST /v1/refunds` of everything captured and not yet refunded.
    public func createRefund(
        paymentIntent: String, metadata: [String: String], idempotencyKey: String
    ) async throws(StripeCallError) -> StripeRefund {
        let fields = [StripeFormField("payment_intent", paymentIntent)] + StripeForm.hash("metadata", metadata)
        return try await post("/v1/refunds", fields, idempotencyKey: idempotencyKey)
    }

    /// `GET /v1/refunds?payment_intent=…`, every page, newest first.
    public func listRefunds(paymentIntent: String) async throws(StripeCallError) -> [StripeRefund] {
        var refunds: [StripeRefund] = []
        var startingAfter: String?
        while true {
            var fields = [StripeFormField("payment_intent", paymentIntent), StripeFormField("limit", "100")]
            if let startingAfter { fields.append(StripeFormField("starting_after", startingAfter)) }
            let page: StripeList<StripeRefund> = try await send(
                method: "GET", path: "/v1/refunds?" + StripeForm.encode(fields), body: nil, idempotencyKey: nil)
            refunds += page.data
            guard page.hasMore, let last = page.data.last else { return refunds }
            startingAfter = last.id
        }
    }

    // MARK: One exchange

    private func post<Object: Decodable>(
        _ path: String, _ fields: [StripeFormField], idempotencyKey: String
    ) async throws(StripeCallError) -> Object {
        try await send(method: "POST", path: path, body: StripeForm.encode(fields), idempotencyKey: idempotencyKey)
    }

    private func send<Object: Decodable>(
        method: String, path: String, body: String?, idempotencyKey: String?
    ) async throws(StripeCallError) -> Object {
        var headers = [(name: "Authorization", value: "Bearer \(configuration.secretKey)")]
        if body != nil { headers.append((name: "Content-Type", value: "application/x-www-form-urlencoded")) }
        if let idempotencyKey { headers.append((name: "Idempotency-Key", value: idempotencyKey)) }
        let request = ConnectorHTTPRequest(
            method: method, url: configuration.baseURL + path, headers: headers, body: body.map { Array($0.utf8) },
            timeout: configuration.timeout)
        let response: ConnectorHTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw .transport("\(method) \(path): \(error)")
        }
        return try Self.read(Object.self, from: response, for: "\(method) \(path)")
    }

    /// The object of a 2xx answer, or the error the answer stands for.
    static func read<Object: Decodable>(
        _ type: Object.Type, from response: ConnectorHTTPResponse, for call: String
    ) throws(StripeCallError) -> Object {
        let body = Data(response.body)
        guard (200..<300).contains(response.status) else {
            guard let envelope = try? JSONDecoder().decode(StripeErrorEnvelope.self, from: body) else {
                // A proxy's page or a cut-off body; it may contain no secret, unlike a success.
                throw .malformed(status: response.status, "\(call): no Stripe error object in \(excerpt(response.bodyText))")
            }
            throw .api(
                StripeAPIError(
                    status: response.status, detail: envelope.error.detail,
                    shouldRetry: response.header("Stripe-Should-Retry").flatMap { Bool($0.lowercased()) },
                    requestID: response.header("Request-Id"), paymentIntent: envelope.error.paymentIntent))
        }
        do {
            return try JSONDecoder().decode(Object.self, from: body)
        } catch {
            // The decoding error names the field, not its value: a success body holds the client secret.
            throw .malformed(status: response.status, "\(call): not the expected object: \(error)")
        }
    }

    private static func excerpt(_ text: String) -> String {
        text.count <= 200 ? "\"\(text)\"" : "\"\(text.prefix(200))…\""
    }

    /// `/v1/{collection}/{id}[/{action}]`, the id percent-encoded. An id that is empty, `.` or
    /// `..` or contains `/` would name another resource even encoded (servers and proxies decode
    /// `%2F`), so it is refused without a request.
    static func path(_ collection: String, _ id: String, _ action: String? = nil) throws(StripeCallError) -> String {
        guard !id.isEmpty, id != ".", id != "..", !id.contains("/") else {
            throw .api(
                StripeAPIError(
                    status: 400,
                    detail: StripeErrorDetail(
                        type: "invalid_request_error", message: "'\(id)' is not a Stripe id; the request was not sent",
                        param: "id")))
        }
        return "/v1/\(collection)/\(FormURLEncoding.escape(id))" + (action.map { "/" + $0 } ?? "")
    }
}

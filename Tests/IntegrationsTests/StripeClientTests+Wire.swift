import Foundation
import Integrations
import Synchronization
import Testing

extension StripeClientTests {
    /// What the client sends and how it reads answers, with a scripted transport: the headers,
    /// paths and answers that the fake does not vary.
    @Suite("requests and answers, in process")
    struct WireTests {
        /// Answers each request with `answer(request)` and records it.
        final class ScriptedTransport: HTTPTransport {
            private let answer: @Sendable (ConnectorHTTPRequest) throws -> ConnectorHTTPResponse
            private let requests = Mutex<[ConnectorHTTPRequest]>([])

            init(_ answer: @escaping @Sendable (ConnectorHTTPRequest) throws -> ConnectorHTTPResponse) { self.answer = answer }

            convenience init(status: Int = 200, headers: [(name: String, value: String)] = [], json: String) {
                let response = ConnectorHTTPResponse(status: status, headers: headers, body: Array(json.utf8))
                self.init { _ in response }
            }

            func send(_ request: ConnectorHTTPRequest) async throws -> ConnectorHTTPResponse {
                requests.withLock { $0.append(request) }
                return try answer(request)
            }

            var sent: [ConnectorHTTPRequest] { requests.withLock { $0 } }
        }

        struct ConnectionReset: Error {}

        static func client(_ transport: ScriptedTransport, apiBase: String = "https://api.example.test/") -> StripeClient {
            StripeClient(
                configuration: StripeConfiguration(apiBase: apiBase, secretKey: "sk_test_wire", timeout: .seconds(7)),
                transport: transport)
        }

        static func intentJSON(id: String = "pi_1", latestCharge: String = #""ch_1""#) -> String {
            #"{"id":"\#(id)","object":"payment_intent","status":"requires_capture","amount":5000,"amount_capturable":5000,"#
                + #""amount_received":0,"currency":"usd","client_secret":"\#(id)_secret_abc","latest_charge":\#(latestCharge),"#
                + #""metadata":{"reservation_id":"res_1"},"last_payment_error":null,"cancellation_reason":null,"created":1700000000}"#
        }

        static func header(_ request: ConnectorHTTPRequest?, _ name: String) -> String? {
            request?.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        @Test func aPostCarriesTheKeyTheIdempotencyKeyAndTheFormBody() async throws {
            let transport = ScriptedTransport(json: Self.intentJSON())
            let parameters = StripeClientTests.vendorIntent()

            _ = try await Self.client(transport).createPaymentIntent(parameters, idempotencyKey: "create-res_1-1")

            let sent = try #require(transport.sent.first)
            #expect(sent.method == "POST")
            #expect(sent.url == "https://api.example.test/v1/payment_intents", "the base's trailing slash is dropped")
            #expect(Self.header(sent, "Authorization") == "Bearer sk_test_wire")
            #expect(Self.header(sent, "Idempotency-Key") == "create-res_1-1")
            #expect(Self.header(sent, "Content-Type") == "application/x-www-form-urlencoded")
            #expect(sent.body == Array(parameters.formBody.utf8))
            #expect(sent.timeout == .seconds(7))
        }

        @Test func everyPostHasItsKeyAndItsParameters() async throws {
            let transport = ScriptedTransport(json: Self.intentJSON())
            let stripe = Self.client(transport)

            _ = try await stripe.confirmPaymentIntent("pi_1", paymentMethod: "pm_card_visa", idempotencyKey: "k1")
            _ = try await stripe.confirmPaymentIntent("pi_1", paymentMethod: nil, idempotencyKey: "k2")
            _ = try await stripe.capturePaymentIntent("pi_1", idempotencyKey: "k3")
            _ = try await stripe.cancelPaymentIntent("pi_1", reason: "abandoned", idempotencyKey: "k4")

            let sent = transport.sent
            #expect(sent.map(\.url) == [
                "https://api.example.test/v1/payment_intents/pi_1/confirm", "https://api.example.test/v1/payment_intents/pi_1/confirm",
                "https://api.example.test/v1/payment_intents/pi_1/capture", "https://api.example.test/v1/payment_intents/pi_1/cancel",
            ])
            #expect(sent.map { Self.header($0, "Idempotency-Key") } == ["k1", "k2", "k3", "k4"])
            #expect(sent.map { String(decoding: $0.body ?? [], as: UTF8.self) } == [
                "payment_method=pm_card_visa", "", "", "cancellation_reason=abandoned",
            ])
        }

        @Test func aGetHasNoBodyAndNoIdempotencyKey() async throws {
            let transport = ScriptedTransport(json: Self.intentJSON())

            let intent = try await Self.client(transport).retrievePaymentIntent("pi_1")

            #expect(intent.id == "pi_1" && intent.status == "requires_capture" && intent.amountCapturable == 5000)
            let sent = try #require(transport.sent.first)
            #expect(sent.method == "GET" && sent.body == nil)
            #expect(Self.header(sent, "Idempotency-Key") == nil)
            #expect(Self.header(sent, "Authorization") == "Bearer sk_test_wire")
        }

        @Test func anIdIsPercentEncodedInThePath() async throws {
            let transport = ScriptedTransport(json: Self.intentJSON())

            _ = try await Self.client(transport).capturePaymentIntent("pi_a b?c#d%", idempotencyKey: "k")

            #expect(transport.sent.first?.url == "https://api.example.test/v1/payment_intents/pi_a%20b%3Fc%23d%25/capture")
        }

        @Test(arguments: ["", ".", "..", "pi_1/capture", "../refunds"])
        func anIdThatWouldNameAnotherResourceIsRefusedUnsent(id: String) async throws {
            let transport = ScriptedTransport(json: Self.intentJSON())

            let error = await stripeError { try await Self.client(transport).capturePaymentIntent(id, idempotencyKey: "k") }

            let refused = try #require(error?.apiError, "\(String(describing: error))")
            #expect(refused.status == 400 && refused.detail.param == "id" && refused.requestID == nil)
            #expect(error?.isRetryable == false)
            #expect(transport.sent.isEmpty)
        }

        @Test func anErrorAnswerGivesItsDetailHeadersAndIntent() async throws {
            let body = #"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","#
                + #""message":"Your card has insufficient funds.","param":null,"payment_intent":\#(Self.intentJSON())}}"#
            let transport = ScriptedTransport(
                status: 402, headers: [("request-id", "req_abc"), ("Stripe-Should-Retry", "false")], json: body)

            let error = await stripeError { try await Self.client(transport).confirmPaymentIntent("pi_1", paymentMethod: nil, idempotencyKey: "k") }

            let declined = try #require(error?.apiError)
            #expect(declined.detail == StripeErrorDetail(
                type: "card_error", code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds."))
            #expect(declined.requestID == "req_abc" && declined.shouldRetry == false)
            #expect(declined.paymentIntent?.id == "pi_1")
            #expect(declined.isCardError)
        }

        @Test func anUnreadableIntentInAnErrorLeavesTheErrorReadable() async throws {
            let transport = ScriptedTransport(
                status: 400, json: #"{"error":{"type":"invalid_request_error","code":"x","payment_intent":{"id":7}}}"#)

            let error = await stripeError { try await Self.client(transport).retrievePaymentIntent("pi_1") }

            #expect(error?.apiError?.detail.code == "x")
            #expect(error?.apiError?.paymentIntent == nil)
        }

        @Test(arguments: [
            (500, nil, true), (502, nil, true), (503, nil, true), (409, nil, true), (429, nil, true),
            (400, nil, false), (401, nil, false), (402, nil, false), (404, nil, false),
            (500, "false", false), (429, "false", false), (400, "true", true), (402, "True", true),
        ] as [(Int, String?, Bool)])
        func stripeShouldRetryDecidesElseTheStatus(status: Int, shouldRetry: String?, retryable: Bool) async throws {
            let transport = ScriptedTransport(
                status: status, headers: shouldRetry.map { [("Stripe-Should-Retry", $0)] } ?? [],
                json: #"{"error":{"type":"api_error","message":"m"}}"#)

            let error = await stripeError { try await Self.client(transport).retrievePaymentIntent("pi_1") }

            #expect(error?.apiError?.status == status)
            #expect(error?.isRetryable == retryable)
        }

        @Test(arguments: [
            (502, "<html>Bad Gateway</html>"), (200, "{}"), (200, "not json"),
            (200, #"{"object":"list","data":[],"has_more":false}"#), (400, #"{"message":"no error object"}"#),
        ])
        func anAnswerThatIsNotTheExpectedObjectIsMalformedAndWorthRetrying(status: Int, body: String) async throws {
            let transport = ScriptedTransport(status: status, json: body)

            let error = await stripeError { try await Self.client(transport).retrievePaymentIntent("pi_1") }

            guard case .malformed(let answered, _) = error else {
                Issue.record("expected .malformed, got \(String(describing: error))")
                return
            }
            #expect(answered == status)
            #expect(error?.isRetryable == true)
        }

        @Test func noAnswerIsATransportErrorWorthRetrying() async throws {
            let transport = ScriptedTransport { _ in throw ConnectionReset() }

            let error = await stripeError { try await Self.client(transport).capturePaymentIntent("pi_1", idempotencyKey: "k") }

            guard case .transport(let message) = error else {
                Issue.record("expected .transport, got \(String(describing: error))")
                return
            }
            #expect(message.contains("/v1/payment_intents/pi_1/capture"))
            #expect(error?.isRetryable == true)
        }

        @Test func anExpandedLatestChargeGivesItsID() async throws {
            let transport = ScriptedTransport(json: Self.intentJSON(latestCharge: #"{"id":"ch_9","object":"charge","amount":5000}"#))

            let intent = try await Self.client(transport).retrievePaymentIntent("pi_1")

            #expect(intent.latestCharge == "ch_9")
        }

        @Test func refundsAreReadFromEveryPage() async throws {
            let transport = ScriptedTransport { request in
                let page = request.url.contains("starting_after=re_2")
                    ? #"{"object":"list","has_more":false,"data":[{"id":"re_1","object":"refund","status":"succeeded","amount":1,"payment_intent":"pi_1","charge":"ch_1"}]}"#
                    : #"{"object":"list","has_more":true,"data":[{"id":"re_3","object":"refund","status":"pending","amount":3,"payment_intent":"pi_1","charge":null},"#
                        + #"{"id":"re_2","object":"refund","status":"succeeded","amount":2,"payment_intent":{"id":"pi_1","object":"payment_intent"},"charge":"ch_1"}]}"#
                return ConnectorHTTPResponse(status: 200, body: Array(page.utf8))
            }

            let refunds = try await Self.client(transport).listRefunds(paymentIntent: "pi_1")

            #expect(refunds.map(\.id) == ["re_3", "re_2", "re_1"])
            #expect(refunds.map(\.paymentIntent) == ["pi_1", "pi_1", "pi_1"])
            #expect(transport.sent.map(\.url) == [
                "https://api.example.test/v1/refunds?limit=100&payment_intent=pi_1",
                "https://api.example.test/v1/refunds?limit=100&payment_intent=pi_1&starting_after=re_2",
            ])
        }

        @Test func descriptionsLeaveOutTheSecretKeyAndTheClientSecret() async throws {
            let transport = ScriptedTransport(json: Self.intentJSON())
            let stripe = Self.client(transport)

            let intent = try await stripe.retrievePaymentIntent("pi_1")

            #expect(!"\(stripe.configuration)".contains("sk_test_wire"))
            #expect(!"\(intent)".contains("secret"))
            #expect("\(intent)".contains("pi_1"))
        }
    }
}

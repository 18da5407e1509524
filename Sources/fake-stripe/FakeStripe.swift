import Foundation

/// One request as the server read it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: String
    /// Header names lowercased.
    var headers: [String: String]
    var body: String
}

/// What the server does with a request.
enum Reply: Sendable, Equatable {
    case respond(APIResponse)
    /// Close the connection without answering (the `drop_connection` fault).
    case drop
}

/// The fake's one owner of state: routes a request to ``FakeStripeState``, around it the things
/// Stripe does per call (authentication, idempotency, injected faults, latency), and hands the
/// events to the webhook sender. An actor, so the handlers of many connections share it safely;
/// the latency sleep suspends without holding it, so slow answers overlap.
actor FakeStripe {
    private var state = FakeStripeState()
    private var idempotency = IdempotencyStore()
    private var faults = FaultTable()
    /// Seconds added to the real clock by `POST /_control/clock`.
    private var clockOffset = 0
    private let latency: Duration
    private let webhooks: WebhookSender

    init(latencyMilliseconds: Int, webhooks: WebhookSender) {
        latency = .milliseconds(latencyMilliseconds)
        self.webhooks = webhooks
    }

    /// The fake's clock, in Unix seconds.
    var now: Int { Int(Date().timeIntervalSince1970) + clockOffset }

    func handle(_ request: APIRequest) async -> Reply {
        if request.path.hasPrefix("/_control/") { return .respond(control(request)) }
        let (reply, held) = api(request)
        if latency > .zero { try? await Task.sleep(for: latency) }
        // The key is stored only now: a request with it during the latency gets
        // `idempotency_key_in_use`, as at Stripe while the first is still running.
        if let held { idempotency.finish(held.key, with: held.response) }
        // Stripe names every answer with a Request-Id, errors and replays included.
        guard case .respond(var response) = reply, response.headers["Request-Id"] == nil else { return reply }
        response.headers["Request-Id"] = Self.requestID()
        return .respond(response)
    }

    /// Cancels lapsed authorizations; the server calls it every second too.
    func sweep() {
        emit(state.expireAuthorizations(now: now))
    }

    private func emit(_ events: [StripeEvent]) {
        for event in events { webhooks.send(event) }
    }

    // MARK: Control routes

    private func control(_ request: APIRequest) -> APIResponse {
        switch (request.method, request.path) {
        case ("GET", "/_control/health"):
            return APIResponse(status: 200, json: ["status": "ok", "now": now])
        case ("POST", "/_control/faults"):
            guard let rule = try? JSONDecoder().decode(FaultRule.self, from: Data(request.body.utf8)) else {
                return APIResponse(status: 400, json: ["error": "expected {operation, paymentIntent?, fault, times}"])
            }
            faults.add(rule)
            return APIResponse(status: 200, json: ["armed": true])
        case ("POST", "/_control/clock"):
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body.utf8))) as? [String: Any]
            guard let seconds = body?["advanceSeconds"] as? Int, seconds >= 0 else {
                return APIResponse(status: 400, json: ["error": "expected {advanceSeconds: N >= 0}"])
            }
            clockOffset += seconds
            sweep()
            return APIResponse(status: 200, json: ["now": now])
        default:
            return APIResponse(status: 404, json: ["error": "no control route \(request.method) \(request.path)"])
        }
    }

    // MARK: API routes

    /// A held idempotency key and the answer to store for it once the call has answered.
    private typealias Held = (key: String, response: APIResponse)

    private func api(_ request: APIRequest) -> (Reply, Held?) {
        guard let key = request.headers["authorization"].flatMap(Self.bearerKey), key.hasPrefix("sk_test_") else {
            return (
                .respond(
                APIResponse(
                    StripeError.invalidRequest(
                        code: nil,
                        message: "You did not provide an API key or provided an invalid one. You need to provide your "
                            + "API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                            + "sk_test_...').",
                        status: 401))), nil)
        }
        sweep()
        let segments = request.path.split(separator: "/").map(String.init)
        let params = FormParameters(decoding: request.method == "GET" ? request.query : request.body)
        guard segments.first == "v1" else { return (.respond(APIResponse(Self.unknownRoute(request))), nil) }
        // `/v1/{collection}/{id}/{action}`, absent parts empty.
        let parts = Array(segments.dropFirst()) + ["", "", ""]
        guard segments.count <= 4 else { return (.respond(APIResponse(Self.unknownRoute(request))), nil) }
        switch (request.method, parts[0], parts[1], parts[2]) {
        case ("GET", "payment_intents", let id, "") where !id.isEmpty:
            return (.respond(APIResponse(state.retrievePaymentIntent(id).result)), nil)
        case ("GET", "refunds", let id, "") where !id.isEmpty:
            return (.respond(APIResponse(state.retrieveRefund(id).result)), nil)
        case ("GET", "refunds", "", ""):
            return (.respond(APIResponse(state.listRefunds(params).result)), nil)
        case ("POST", "payment_intents", "", ""):
            return mutate(request, params, .create, intent: nil) { $0.createPaymentIntent(params, now: $1) }
        case ("POST", "payment_intents", let id, "confirm"):
            return mutate(request, params, .confirm, intent: id) { $0.confirm(id, params, now: $1) }
        case ("POST", "payment_intents", let id, "capture"):
            return mutate(request, params, .capture, intent: id) { $0.capture(id, params, now: $1) }
        case ("POST", "payment_intents", let id, "cancel"):
            return mutate(request, params, .cancel, intent: id) { $0.cancel(id, params, now: $1) }
        case ("POST", "refunds", "", ""):
            return mutate(request, params, .refund, intent: params["payment_intent"]) { $0.createRefund(params, now: $1) }
        default:
            return (.respond(APIResponse(Self.unknownRoute(request))), nil)
        }
    }

    /// A call that changes state: idempotency key, then faults, then the change itself. All of it
    /// runs without suspending, so no other request interleaves with one change.
    private func mutate(
        _ request: APIRequest, _ params: FormParameters, _ operation: Operation, intent: String?,
        _ change: (inout FakeStripeState, Int) -> Outcome
    ) -> (Reply, Held?) {
        let key = request.headers["idempotency-key"]
        if let key {
            let fingerprint = "\(request.method) \(request.path)?\(params.fingerprint)"
            switch idempotency.begin(key, fingerprint: fingerprint, now: now) {
            case .proceed: break
            case .replay(let response): return (.respond(response), nil)
            case .reject(let error): return (.respond(APIResponse(error)), nil)
            }
        }
        let fault = faults.take(operation, paymentIntent: intent)
        // Faults other than 500_after_apply stand for a request that never executed: Stripe keeps
        // no result for those, so the key is free for a retry.
        func failWithoutApplying(_ reply: Reply) -> (Reply, Held?) {
            if let key { idempotency.release(key) }
            return (reply, nil)
        }
        switch fault {
        case .apiError?: return failWithoutApplying(.respond(APIResponse(StripeError.apiError())))
        case .lockTimeout?: return failWithoutApplying(.respond(APIResponse(StripeError.lockTimeout())))
        case .dropConnection?: return failWithoutApplying(.drop)
        case .cardError?:
            return failWithoutApplying(.respond(APIResponse(StripeError.cardDeclined(declineCode: "generic_decline", message: "Your card was declined."))))
        case .applyThen500?, nil: break
        }
        let outcome = change(&state, now)
        emit(outcome.events)
        var response = APIResponse(outcome.result)
        response.headers["Request-Id"] = Self.requestID()
        if let key { response.headers["Idempotency-Key"] = key }
        return (.respond(fault == .applyThen500 ? APIResponse(StripeError.apiError()) : response), key.map { (key: $0, response: response) })
    }

    private static func requestID() -> String { "req_" + FakeStripeState.randomString(14) }

    private static func bearerKey(_ header: String) -> String? {
        header.hasPrefix("Bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
    }

    private static func unknownRoute(_ request: APIRequest) -> StripeError {
        .invalidRequest(
            code: nil, message: "Unrecognized request URL (\(request.method): \(request.path)).", status: 404)
    }
}

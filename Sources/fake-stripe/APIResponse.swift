import Foundation

/// One HTTP answer of the API, as stored for idempotent replays.
struct APIResponse: Sendable, Equatable {
    var status: Int
    var body: Data
    var headers: [String: String] = [:]

    init(status: Int, json: [String: Any], headers: [String: String] = [:]) {
        self.status = status
        self.body = jsonData(json)
        self.headers = headers
    }

    init(_ error: StripeError) {
        var headers: [String: String] = [:]
        if let retry = error.shouldRetry { headers["Stripe-Should-Retry"] = retry ? "true" : "false" }
        self.init(status: error.status, json: error.json, headers: headers)
    }

    init(_ result: Result<APIObject, StripeError>) {
        switch result {
        case .success(let object): self.init(status: 200, json: object.json)
        case .failure(let error): self.init(error)
        }
    }
}

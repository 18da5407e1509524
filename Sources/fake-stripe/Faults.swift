import Foundation

/// The API operations a fault can be aimed at.
enum Operation: String, Sendable, Codable {
    case create, confirm, capture, cancel, refund
}

/// How an injected fault makes a call fail.
enum FaultKind: String, Sendable, Codable {
    /// 500 `api_error`, nothing applied.
    case apiError = "api_error"
    /// 402 `card_error` (`card_declined`, `generic_decline`), nothing applied.
    case cardError = "card_error"
    /// The change is applied (and its answer kept for the idempotency key), then 500 is answered:
    /// the "did it happen?" case a client has to recover from.
    case applyThen500 = "500_after_apply"
    /// The connection is closed without an answer, nothing applied.
    case dropConnection = "drop_connection"
    /// 429 `lock_timeout`, nothing applied.
    case lockTimeout = "lock_timeout"
}

/// One `POST /_control/faults` body: the next `times` calls of `operation` (on `paymentIntent`
/// when given) fail with `fault`.
struct FaultRule: Sendable, Codable, Equatable {
    var operation: Operation
    var paymentIntent: String?
    var fault: FaultKind
    var times: Int
}

/// The armed faults, consumed in the order they were added.
struct FaultTable: Sendable {
    private var rules: [FaultRule] = []

    mutating func add(_ rule: FaultRule) {
        if rule.times > 0 { rules.append(rule) }
    }

    /// The fault for this call, if any, counting it against its rule.
    mutating func take(_ operation: Operation, paymentIntent: String?) -> FaultKind? {
        guard let index = rules.firstIndex(where: {
            $0.operation == operation && ($0.paymentIntent == nil || $0.paymentIntent == paymentIntent)
        }) else { return nil }
        let fault = rules[index].fault
        rules[index].times -= 1
        if rules[index].times == 0 { rules.remove(at: index) }
        return fault
    }
}

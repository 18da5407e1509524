import Foundation

/// What an API call answers with when it succeeds.
enum APIObject: Sendable, Equatable {
    case intent(PaymentIntent)
    case refund(Refund)
    case refundList([Refund], url: String)

    var json: [String: Any] {
        switch self {
        case .intent(let intent): intent.json
        case .refund(let refund): refund.json
        case .refundList(let refunds, let url):
            ["object": "list", "data": refunds.map(\.json), "has_more": false, "url": url]
        }
    }
}

/// The answer of one call and the events it caused. A decline is both a failure and a change
/// (the intent records `last_payment_error`), so events come with errors too.
struct Outcome: Sendable {
    var result: Result<APIObject, StripeError>
    var events: [StripeEvent] = []

    var intent: PaymentIntent? {
        if case .success(.intent(let intent)) = result { return intent }
        return nil
    }
}

/// All of the fake's objects and the rules that change them. Pure: the caller passes the time and
/// performs the returned events; nothing here blocks or talks to the network.
struct FakeStripeState: Sendable {
    /// Stripe releases an uncaptured card authorization after seven days.
    static let authorizationLifetime = 7 * 24 * 3600

    private(set) var intents: [String: PaymentIntent] = [:]
    private(set) var refunds: [String: Refund] = [:]
    /// Refund ids in creation order, for lists.
    private var refundOrder: [String] = []
    /// The same per payment intent, so that `GET /v1/refunds?payment_intent=` reads only its own.
    private var refundsByIntent: [String: [String]] = [:]
    private var nextEvent = 0
    /// The intents that entered `requires_capture`, by when their authorization lapses, so that
    /// ``expireAuthorizations(now:)`` looks only at the ones due. An entry stays when its intent is
    /// captured or canceled first and is skipped when it comes due.
    private var lapses = LapseQueue()

    init() {}

    // MARK: PaymentIntents

    mutating func createPaymentIntent(_ params: FormParameters, now: Int) -> Outcome {
        do throws(StripeError) {
            try params.rejectUnknown(
                allowed: [
                    "amount", "currency", "capture_method", "payment_method", "confirm", "application_fee_amount",
                    "transfer_data[destination]", "description", "return_url", "payment_method_types[0]",
                ],
                prefixes: ["metadata"])
            guard let amount = try params.integer("amount") else { throw Self.missingParam("amount") }
            guard amount >= 1 else {
                throw .invalidRequest(code: "amount_too_small", param: "amount", message: "Amount must be at least 1")
            }
            guard let currency = params["currency"] else { throw Self.missingParam("currency") }
            guard currency.count == 3, currency.allSatisfy(\.isLetter) else {
                throw .invalidRequest(code: "parameter_invalid_string", param: "currency", message: "Invalid currency: \(currency)")
            }
            let captureMethod = params["capture_method"] ?? "automatic"
            guard ["automatic", "automatic_async", "manual"].contains(captureMethod) else {
                throw .invalidRequest(
                    code: "parameter_invalid_string", param: "capture_method", message: "Invalid capture_method: \(captureMethod)")
            }
            let fee = try params.integer("application_fee_amount")
            if let paymentMethod = params["payment_method"] { try Self.checkPaymentMethod(paymentMethod) }
            let confirm = try params.boolean("confirm") ?? false
            if confirm && params["payment_method"] == nil {
                throw .invalidRequest(
                    code: "payment_intent_unexpected_state", param: "payment_method",
                    message: "You cannot confirm this PaymentIntent because it's missing a payment method.")
            }
            let id = Self.makeID("pi")
            var intent = PaymentIntent(
                id: id, amount: amount, currency: currency.lowercased(), captureMethod: captureMethod,
                status: params["payment_method"] == nil ? .requiresPaymentMethod : .requiresConfirmation,
                created: now, clientSecret: "\(id)_secret_\(Self.randomString(25))")
            intent.metadata = params.dictionary("metadata")
            intent.paymentMethod = params["payment_method"]
            intent.transferDestination = params["transfer_data[destination]"]
            intent.applicationFeeAmount = fee
            intent.description = params["description"]
            intents[id] = intent
            if confirm { return authorize(id, now: now) }
            return Outcome(result: .success(.intent(intent)))
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    func retrievePaymentIntent(_ id: String) -> Outcome {
        guard let intent = intents[id] else { return Outcome(result: .failure(.missing("payment_intent", id))) }
        return Outcome(result: .success(.intent(intent)))
    }

    mutating func confirm(_ id: String, _ params: FormParameters, now: Int) -> Outcome {
        do throws(StripeError) {
            guard var intent = intents[id] else { throw .missing("payment_intent", id, param: "intent") }
            try params.rejectUnknown(allowed: ["payment_method", "return_url", "capture_method"])
            let allowed: [PaymentIntentStatus] = [.requiresPaymentMethod, .requiresConfirmation, .requiresAction]
            guard allowed.contains(intent.status) else { throw .unexpectedState(intent, action: "confirm", allowed: allowed) }
            if let paymentMethod = params["payment_method"] {
                try Self.checkPaymentMethod(paymentMethod)
                intent.paymentMethod = paymentMethod
            }
            guard intent.paymentMethod != nil else {
                var error = StripeError.invalidRequest(
                    code: "payment_intent_unexpected_state", param: "payment_method",
                    message: "You cannot confirm this PaymentIntent because it's missing a payment method.")
                error.paymentIntent = intent
                throw error
            }
            intents[id] = intent
            return authorize(id, now: now)
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    /// Confirms a stored intent with its payment method: what the card network would say.
    private mutating func authorize(_ id: String, now: Int) -> Outcome {
        guard var intent = intents[id], let paymentMethod = intent.paymentMethod else {
            return Outcome(result: .failure(.apiError()))
        }
        let charge = Self.makeID("ch")
        var events: [StripeEvent] = []
        switch paymentMethod {
        case PaymentMethods.insufficientFunds, PaymentMethods.declined:
            let insufficient = paymentMethod == PaymentMethods.insufficientFunds
            let declineCode = insufficient ? "insufficient_funds" : "generic_decline"
            let message = insufficient ? "Your card has insufficient funds." : "Your card was declined."
            intent.status = .requiresPaymentMethod
            intent.latestCharge = charge
            intent.lastPaymentError = PaymentError(
                code: "card_declined", declineCode: declineCode, message: message, charge: charge, paymentMethod: paymentMethod)
            intent.paymentMethod = nil
            intents[id] = intent
            events.append(makeEvent("payment_intent.payment_failed", .intent(intent), now: now))
            var error = StripeError.cardDeclined(declineCode: declineCode, message: message)
            error.charge = charge
            error.paymentMethod = paymentMethod
            error.paymentIntent = intent
            return Outcome(result: .failure(error), events: events)
        case PaymentMethods.threeDSecure where intent.status != .requiresAction:
            intent.status = .requiresAction
            intent.lastPaymentError = nil
            intents[id] = intent
            events.append(makeEvent("payment_intent.requires_action", .intent(intent), now: now))
        default:
            intent.latestCharge = charge
            intent.lastPaymentError = nil
            if intent.captureMethod == "manual" {
                intent.status = .requiresCapture
                intent.amountCapturable = intent.amount
                intents[id] = intent
                lapses.insert(at: intent.created + Self.authorizationLifetime, id)
                events.append(makeEvent("payment_intent.amount_capturable_updated", .intent(intent), now: now))
            } else {
                intent.status = .succeeded
                intent.amountReceived = intent.amount
                intents[id] = intent
                events.append(makeEvent("payment_intent.succeeded", .intent(intent), now: now))
            }
        }
        return Outcome(result: .success(.intent(intents[id]!)), events: events)
    }

    mutating func capture(_ id: String, _ params: FormParameters, now: Int) -> Outcome {
        do throws(StripeError) {
            guard var intent = intents[id] else { throw .missing("payment_intent", id, param: "intent") }
            try params.rejectUnknown(allowed: ["amount_to_capture", "application_fee_amount"], prefixes: ["metadata"])
            guard intent.status == .requiresCapture else {
                throw .unexpectedState(intent, action: "capture", allowed: [.requiresCapture])
            }
            let amount = try params.integer("amount_to_capture") ?? intent.amountCapturable
            guard amount <= intent.amountCapturable else {
                throw .invalidRequest(
                    code: "amount_too_large", param: "amount_to_capture",
                    message: "The amount to capture (\(amount)) is greater than the amount capturable (\(intent.amountCapturable)).")
            }
            if let fee = try params.integer("application_fee_amount") { intent.applicationFeeAmount = fee }
            intent.metadata.merge(params.dictionary("metadata")) { $1 }
            intent.amountReceived = amount
            intent.amountCapturable = 0
            intent.status = .succeeded
            intents[id] = intent
            return Outcome(
                result: .success(.intent(intent)), events: [makeEvent("payment_intent.succeeded", .intent(intent), now: now)])
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    mutating func cancel(_ id: String, _ params: FormParameters, now: Int) -> Outcome {
        do throws(StripeError) {
            guard let intent = intents[id] else { throw .missing("payment_intent", id, param: "intent") }
            try params.rejectUnknown(allowed: ["cancellation_reason"])
            let reason = params["cancellation_reason"]
            if let reason, !["duplicate", "fraudulent", "requested_by_customer", "abandoned"].contains(reason) {
                throw .invalidRequest(
                    code: "parameter_invalid_string", param: "cancellation_reason", message: "Invalid cancellation_reason: \(reason)")
            }
            let allowed: [PaymentIntentStatus] = [.requiresPaymentMethod, .requiresConfirmation, .requiresAction, .requiresCapture]
            guard allowed.contains(intent.status) else { throw .unexpectedState(intent, action: "cancel", allowed: allowed) }
            let canceled = cancelIntent(id, reason: reason, now: now)
            return Outcome(
                result: .success(.intent(canceled)), events: [makeEvent("payment_intent.canceled", .intent(canceled), now: now)])
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    private mutating func cancelIntent(_ id: String, reason: String?, now: Int) -> PaymentIntent {
        var intent = intents[id]!
        intent.status = .canceled
        intent.cancellationReason = reason
        intent.canceledAt = now
        intent.amountCapturable = 0
        intents[id] = intent
        return intent
    }

    /// Releases every authorization older than ``authorizationLifetime`` at `now`, as Stripe does
    /// when an uncaptured charge expires.
    mutating func expireAuthorizations(now: Int) -> [StripeEvent] {
        var events: [StripeEvent] = []
        while let id = lapses.popDue(now: now) {
            guard intents[id]?.status == .requiresCapture else { continue }
            let canceled = cancelIntent(id, reason: "automatic", now: now)
            events.append(makeEvent("charge.expired", .charge(canceled), now: now))
            events.append(makeEvent("payment_intent.canceled", .intent(canceled), now: now))
        }
        return events
    }

    // MARK: Refunds

    mutating func createRefund(_ params: FormParameters, now: Int) -> Outcome {
        do throws(StripeError) {
            try params.rejectUnknown(allowed: ["payment_intent", "amount", "reason"], prefixes: ["metadata"])
            guard let id = params["payment_intent"] else { throw Self.missingParam("payment_intent") }
            guard var intent = intents[id] else { throw .missing("payment_intent", id, param: "payment_intent") }
            guard intent.status == .succeeded, let charge = intent.latestCharge else {
                var error = StripeError.invalidRequest(
                    code: "payment_intent_unexpected_state", param: "payment_intent",
                    message: "This PaymentIntent (\(id)) does not have a successful charge to refund.")
                error.paymentIntent = intent
                throw error
            }
            let remaining = intent.amountReceived - intent.amountRefunded
            guard remaining > 0 else {
                throw .invalidRequest(
                    code: "charge_already_refunded", message: "Charge \(charge) has already been refunded.")
            }
            let amount = try params.integer("amount") ?? remaining
            guard amount <= remaining else {
                throw .invalidRequest(
                    code: "amount_too_large", param: "amount",
                    message: "Refund amount (\(amount)) is greater than unrefunded amount on charge (\(remaining))")
            }
            guard amount >= 1 else {
                throw .invalidRequest(code: "amount_too_small", param: "amount", message: "Amount must be at least 1")
            }
            let refund = Refund(
                id: Self.makeID("re"), amount: amount, charge: charge, currency: intent.currency, paymentIntent: id,
                created: now, reason: params["reason"], metadata: params.dictionary("metadata"))
            refunds[refund.id] = refund
            refundOrder.append(refund.id)
            refundsByIntent[id, default: []].append(refund.id)
            intent.amountRefunded += amount
            intents[id] = intent
            return Outcome(result: .success(.refund(refund)), events: [makeEvent("charge.refunded", .charge(intent), now: now)])
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    func retrieveRefund(_ id: String) -> Outcome {
        guard let refund = refunds[id] else { return Outcome(result: .failure(.missing("refund", id))) }
        return Outcome(result: .success(.refund(refund)))
    }

    /// Newest first, as Stripe lists.
    func listRefunds(_ params: FormParameters) -> Outcome {
        do throws(StripeError) {
            try params.rejectUnknown(allowed: ["payment_intent", "charge", "limit", "starting_after", "ending_before"])
            let limit = try params.integer("limit") ?? 10
            let ids = params["payment_intent"].map { refundsByIntent[$0] ?? [] } ?? refundOrder
            let charge = params["charge"]
            let list = ids.reversed().lazy.compactMap { refunds[$0] }.filter { charge == nil || $0.charge == charge }.prefix(limit)
            return Outcome(result: .success(.refundList(Array(list), url: "/v1/refunds")))
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    // MARK: Helpers

    private mutating func makeEvent(_ type: String, _ object: StripeEvent.Object, now: Int) -> StripeEvent {
        nextEvent += 1
        return StripeEvent(id: Self.makeID("evt"), type: type, created: now, object: object)
    }

    private static func missingParam(_ name: String) -> StripeError {
        .invalidRequest(code: "parameter_missing", param: name, message: "Missing required param: \(name).")
    }

    private static func checkPaymentMethod(_ id: String) throws(StripeError) {
        guard PaymentMethods.known.contains(id) else {
            throw .invalidRequest(
                code: "resource_missing", param: "payment_method", message: "No such PaymentMethod: '\(id)'")
        }
    }

    static func makeID(_ prefix: String) -> String { "\(prefix)_3Fk" + randomString(21) }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `count` letters and digits, ten from each 64-bit draw of the system generator (62^10 < 2^64)
    /// rather than one draw each.
    static func randomString(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var bits: UInt64 = 0
        for index in 0..<count {
            if index % 10 == 0 { bits = generator.next(upperBound: 839_299_365_868_340_224) }  // 62^10
            bytes.append(alphabet[Int(bits % 62)])
            bits /= 62
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A binary min-heap of intent ids by lapse time (ties by id, so the order is stable): insert and
/// pop in O(log n), and a look at the earliest in O(1), which is all a sweep with nothing due costs.
struct LapseQueue: Sendable {
    private var heap: [(at: Int, id: String)] = []

    private static func before(_ a: (at: Int, id: String), _ b: (at: Int, id: String)) -> Bool {
        a.at != b.at ? a.at < b.at : a.id < b.id
    }

    mutating func insert(at time: Int, _ id: String) {
        heap.append((time, id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest id whose time is at or before `now`, nil when none is due.
    mutating func popDue(now: Int) -> String? {
        guard let first = heap.first, first.at <= now else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first.id }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && Self.before(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && Self.before(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first.id
    }
}

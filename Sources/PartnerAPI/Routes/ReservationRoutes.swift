import BookijiCore
import Coordinator
import FastCGI
import Foundation

extension PartnerAPIHandler {
    /// `POST /v1/reservations`: place a hold. With an `Idempotency-Key` header (or the body's
    /// `idempotencyKey`), the first response is stored and replayed for 24 hours.
    func createReservation(_ context: RequestContext) throws -> HTTPResponse {
        let partnerID = context.partner!.id
        let body = try JSONBody(context.request, accepting: RouteInputs.hold)
        let request = try Self.holdRequest(body)
        let headerKey = context.request.header("idempotency-key")
        let bodyKey = try body.optionalString("idempotencyKey")
        if let headerKey, let bodyKey, headerKey != bodyKey {
            throw BookijiError(.invalidRequest, "the Idempotency-Key header and the body's idempotencyKey differ; send one key")
        }
        let coordinator = ReservationCoordinator(database: database, advisoryLocks: settings.advisoryLocks)
        let webhookURL = context.partner!.webhookURL
        // A hold changes the vendor's availability: this process's cached answers see it at once.
        defer { settings.availabilityCache.invalidateRevision(of: request.vendorID.lowercased(), at: SystemTime.monotonicNanos()) }
        guard let key = headerKey ?? bodyKey else {
            let record = try coordinator.hold(partnerID: partnerID, request, now: SystemTime.epochSeconds())
            return HTTPResponse(status: 201, json: ReservationJSON.created(record, webhookURL: context.partner!.webhookURL))
        }
        guard TextLimits.idempotencyKey.contains(key) else {
            throw BookijiError(
                .invalidRequest, "an idempotency key must be \(TextLimits.idempotencyKey.range) characters",
                details: [
                    "field": headerKey != nil ? "Idempotency-Key" : "idempotencyKey", "limit": .number(TextLimits.idempotencyKey.range.upperBound),
                ])
        }
        let outcome = try coordinator.hold(
            partnerID: partnerID, request, idempotency: IdempotencyClaim(key: key, requestHash: Self.requestHash(context.request)),
            now: SystemTime.epochSeconds(),
            render: { StoredAnswer(status: 201, body: String(decoding: ReservationJSON.created($0, webhookURL: webhookURL), as: UTF8.self)) },
            renderFailure: { failure in
                let response = ErrorResponse.make(failure)
                return StoredAnswer(status: response.status, body: String(decoding: response.body, as: UTF8.self))
            })
        switch outcome {
        case .placed(let record):
            return HTTPResponse(status: 201, json: ReservationJSON.created(record, webhookURL: webhookURL))
        case .replayed(let answer):
            return HTTPResponse(status: answer.status, json: Array(answer.body.utf8), headers: [("Idempotent-Replayed", "true")])
        }
    }

    /// SHA-256 over method, path and the body's canonical JSON (keys sorted), so a retry with
    /// the fields in another order is the same request.
    static func requestHash(_ request: HTTPRequest) -> String {
        var canonical = Array("\(request.method) \(request.path)\n".utf8)
        if let object = try? JSONSerialization.jsonObject(with: Data(request.body)),
           let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            canonical += data
        } else {
            canonical += request.body
        }
        return SHA256.hash(canonical).hexString
    }

    static func holdRequest(_ body: JSONBody) throws -> HoldRequest {
        func instant(_ field: String) throws -> Int64 {
            do {
                return try RFC3339.parse(try body.string(field))
            } catch let error as RFC3339.ParseError {
                throw BookijiError(.invalidRequest, "\(field): \(error.message)", details: ["field": field])
            }
        }
        let vendorID = try body.string("vendorId")
        let requesterID = try body.string("requesterId")
        guard TextLimits.requesterID.contains(requesterID) else {
            throw BookijiError(
                .invalidRequest, "requesterId must be \(TextLimits.requesterID.range) characters (Unicode code points)",
                details: ["field": "requesterId", "limit": .number(TextLimits.requesterID.range.upperBound)])
        }
        guard UUIDText.isValid(vendorID) else {
            throw BookijiError(.vendorNotFound, "no vendor with id '\(vendorID)'", details: ["vendorId": vendorID])
        }
        var metadata = "{}"
        if let object = try body.optionalObject("metadata") {
            metadata = try ReservationMetadata.checkedJSON(object)
        }
        return HoldRequest(
            vendorID: vendorID, slot: UTCInterval(start: try instant("slotStartTime"), end: try instant("slotEndTime")),
            requesterID: requesterID, metadataJSON: metadata)
    }

    /// `GET /v1/reservations/{reservationId}` with its state history. Another partner's
    /// reservation is "not found", exactly like an unknown id.
    func reservation(_ context: RequestContext) throws -> HTTPResponse {
        let (record, history, legs) = try ReservationCoordinator(database: database)
            .find(id: context.parameter("reservationId"), partnerID: context.partner!.id, now: SystemTime.epochSeconds())
        return HTTPResponse(
            status: 200, json: ReservationJSON.detail(record, history: history, legs: legs, webhookURL: context.partner!.webhookURL))
    }

    /// `GET /v1/vendor/reservations/{id}` with a vendor key: the vendor's view, with its deposit's
    /// client secret for Stripe.js once the intent exists.
    func vendorReservation(_ context: RequestContext) throws -> HTTPResponse {
        let (record, history, legs) = try ReservationCoordinator(database: database)
            .findForVendor(id: context.parameter("reservationId"), vendorID: context.vendorID!, now: SystemTime.epochSeconds())
        return HTTPResponse(status: 200, json: ReservationJSON.detail(record, history: history, legs: legs, audience: .vendor))
    }

    /// `POST /v1/reservations/{id}/authorize` (partner key, the requester's payment) and
    /// `POST /v1/vendor/reservations/{id}/authorize` (vendor key, the deposit), body
    /// `{"paymentMethodId":"pm_…"}`: 202 with the reservation; the worker confirms the intent.
    func authorizePayment(_ context: RequestContext, side: PaymentSide) throws -> HTTPResponse {
        let body = try JSONBody(context.request, accepting: RouteInputs.authorize)
        let paymentMethod = try body.string("paymentMethodId")
        let owner: (ReservationRecord) -> Bool
        if side == .vendor {
            let vendorID = context.vendorID!
            owner = { $0.vendorID == vendorID }
        } else {
            let partnerID = context.partner!.id
            owner = { $0.partnerID == partnerID }
        }
        let (record, legs) = try PaymentAuthorization(database: database).authorize(
            reservationID: context.parameter("reservationId"), side: side, paymentMethod: paymentMethod, owner: owner,
            now: SystemTime.epochSeconds())
        return HTTPResponse(
            status: 202,
            json: ReservationJSON.detail(record, history: nil, legs: legs, audience: side == .vendor ? .vendor : .partner))
    }

    /// `GET /v1/reservations?vendorId=&state=&cursor=&limit=`, newest first.
    func listReservations(_ context: RequestContext) throws -> HTTPResponse {
        let parameters = context.request.queryParameters
        let query = try ReservationListQuery(parameters)
        var vendorID: String?
        if let text = parameters["vendorId"], !text.isEmpty {
            guard UUIDText.isValid(text) else {
                throw BookijiError(.invalidParameter, "vendorId must be a vendor id (UUID)", details: ["parameter": "vendorId"])
            }
            vendorID = text
        }
        let records = try ReservationCoordinator(database: database).list(
            partnerID: context.partner!.id, vendorID: vendorID, state: query.state, after: query.cursor, limit: query.limit + 1,
            now: SystemTime.epochSeconds())
        return HTTPResponse(status: 200, json: APIRendering.reservationPage(records, limit: query.limit, vendorView: false))
    }

    /// `POST /v1/reservations/{reservationId}/cancel`, body optional: `{"reason": "…"}`.
    func cancelReservation(_ context: RequestContext) throws -> HTTPResponse {
        let note = try Self.cancellationNote(JSONBody.optional(context.request, accepting: RouteInputs.cancel))
        let record = try ReservationCoordinator(database: database).cancel(
            id: context.parameter("reservationId"), partnerID: context.partner!.id, note: note, now: SystemTime.epochSeconds())
        settings.availabilityCache.invalidateRevision(of: record.vendorID, at: SystemTime.monotonicNanos())
        return HTTPResponse(status: 200, json: ReservationJSON.detail(record, history: nil))
    }

    /// `POST /v1/vendor/reservations/{id}/confirm|decline` with a vendor key; a decline may say
    /// why (`{"reason": "…"}`).
    func vendorDecision(_ context: RequestContext, confirm: Bool) throws -> HTTPResponse {
        let body = try JSONBody.optional(context.request, accepting: confirm ? RouteInputs.noInput : RouteInputs.decline)
        let note = confirm ? nil : try Self.cancellationNote(body)
        let coordinator = ReservationCoordinator(database: database)
        let id = context.parameter("reservationId"), vendorID = context.vendorID!, now = SystemTime.epochSeconds()
        // Either answer may free the slot (a confirmation whose slot is gone cancels it).
        defer { settings.availabilityCache.invalidateRevision(of: vendorID, at: SystemTime.monotonicNanos()) }
        let record = confirm
            ? try coordinator.confirmByVendor(id: id, vendorID: vendorID, now: now)
            : try coordinator.declineByVendor(id: id, vendorID: vendorID, note: note, now: now)
        return HTTPResponse(status: 200, json: ReservationJSON.detail(record, history: nil, legs: PaymentLegs(), audience: .vendor))
    }

    /// The optional `reason` of a cancel or decline: text of 1 to 500 code points (as the column's
    /// CHECK counts them); absent, null or empty means none.
    static func cancellationNote(_ body: JSONBody?) throws(BookijiError) -> String? {
        guard let text = try body?.optionalString("reason"), !text.isEmpty else { return nil }
        let limit = ReservationCancellation.noteLimit
        guard limit.contains(text) else {
            throw BookijiError(
                .invalidRequest, "reason may be at most \(limit.range.upperBound) characters (Unicode code points)",
                details: ["field": "reason", "limit": .number(limit.range.upperBound)])
        }
        return text
    }

    /// `GET /v1/partner/stats`: limits, current usage and the 7-day hold-to-commit reputation.
    func partnerStats(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.partner!.id
        let standing = try PartnerAccount(database: database).standing(partnerID: id, now: SystemTime.epochSeconds())
        let (limits, usage, reputation) = (standing.limits, standing.usage, standing.reputation)
        var json = JSONWriter()
        json.objectStart()
        json.field("partnerId", id)
        json.key("limits")
        json.objectStart()
        json.field("reservationsPerHour", limits.reservationsPerHour)
        json.field("maxActiveHolds", limits.maxActiveHolds)
        json.objectEnd()
        json.key("usage")
        json.objectStart()
        json.field("createdLastHour", usage.createdLastHour)
        json.field("activeHolds", usage.activeHolds)
        json.objectEnd()
        json.key("reputation")
        ReservationJSON.reputation(reputation, into: &json)
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes)
    }
}

/// Opaque list cursors: base64url of `createdAt|id` of the last row returned, `createdAt` to
/// the microsecond as the store writes it (`YYYY-MM-DDTHH:MM:SS.ffffffZ`; cursors written before
/// that had milliseconds, and still work).
///
/// A cursor comes back from the client, so it is checked as hostile input: only the exact form
/// ``encode(createdAt:id:)`` writes is accepted, with an instant from 1970 to 9999, so what
/// reaches the database is text it parses (PostgreSQL refuses year 0, and some of what a lenient
/// RFC 3339 parser takes); anything else is 400 `invalid_parameter`, never 500.
enum ReservationCursor {
    /// Longer than any cursor ``encode(createdAt:id:)`` writes (86 characters).
    static let maximumLength = 128

    static func encode(createdAt: String, id: String) -> String {
        Data("\(createdAt)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> (createdAt: String, id: String)? {
        guard text.utf8.count <= maximumLength,
              text.utf8.allSatisfy({ Self.isBase64URL($0) })
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        // Bytes that are not UTF-8 decode to U+FFFD, which neither part below accepts.
        let parts = String(decoding: data, as: UTF8.self).utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard parts.count == 2, UUIDText.isValid(parts[1]), let createdAt = canonicalInstant(parts[0]) else { return nil }
        return (createdAt, parts[1])
    }

    /// The text when it is exactly `YYYY-MM-DDTHH:MM:SS.fffZ` or `.ffffffZ` for an instant from
    /// 1970 to 9999.
    static func canonicalInstant(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24 || bytes.count == 27, bytes[19] == UInt8(ascii: "."), bytes[bytes.count - 1] == UInt8(ascii: "Z"),
              bytes[20..<(bytes.count - 1)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let seconds = try? RFC3339.parse(text), (0...253_402_300_799).contains(seconds),
              RFC3339.format(seconds).utf8.elementsEqual(bytes[0..<19] + [UInt8(ascii: "Z")])
        else { return nil }
        return text
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}

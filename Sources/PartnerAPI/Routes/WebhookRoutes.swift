import BookijiCore
import Coordinator
import FastCGI

extension PartnerAPIHandler {
    private var webhookEndpoints: WebhookEndpoints { WebhookEndpoints(database: database, policy: settings.webhookPolicy) }

    /// `POST /v1/webhook-endpoints {"url", "events"?}`: 201 with the endpoint and its secret,
    /// shown this once.
    func createWebhookEndpoint(_ context: RequestContext) throws -> HTTPResponse {
        let body = try JSONBody(context.request, accepting: RouteInputs.webhookEndpoint)
        let endpoint = try webhookEndpoints.create(
            partnerID: context.partner!.id, url: try body.string("url"), events: try body.optionalStringArray("events"))
        return HTTPResponse(status: 201, json: WebhookJSON.endpoint(endpoint, withSecret: true), headers: [("Cache-Control", "no-store")])
    }

    /// `GET /v1/webhook-endpoints`.
    func webhookEndpoints(_ context: RequestContext) throws -> HTTPResponse {
        let endpoints = try webhookEndpoints.list(partnerID: context.partner!.id)
        var json = JSONWriter()
        json.objectStart()
        json.key("endpoints")
        json.arrayStart()
        for endpoint in endpoints { json.raw(WebhookJSON.endpoint(endpoint, withSecret: false)) }
        json.arrayEnd()
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes)
    }

    /// `GET /v1/webhook-endpoints/{id}`.
    func webhookEndpoint(_ context: RequestContext) throws -> HTTPResponse {
        let endpoint = try webhookEndpoints.endpoint(id: context.parameter("endpointId"), partnerID: context.partner!.id)
        return HTTPResponse(status: 200, json: WebhookJSON.endpoint(endpoint, withSecret: false))
    }

    /// `DELETE /v1/webhook-endpoints/{id}`: 204; its waiting deliveries are dropped.
    func deleteWebhookEndpoint(_ context: RequestContext) throws -> HTTPResponse {
        _ = try JSONBody.optional(context.request, accepting: RouteInputs.noInput)
        try webhookEndpoints.delete(id: context.parameter("endpointId"), partnerID: context.partner!.id)
        return HTTPResponse(status: 204)
    }

    /// `POST /v1/webhook-endpoints/{id}/rotate-secret`: the new secret, shown this once; the old
    /// one keeps signing beside it for 24 hours.
    func rotateWebhookSecret(_ context: RequestContext) throws -> HTTPResponse {
        _ = try JSONBody.optional(context.request, accepting: RouteInputs.noInput)
        let endpoint = try webhookEndpoints.rotateSecret(
            id: context.parameter("endpointId"), partnerID: context.partner!.id, now: SystemTime.epochSeconds())
        return HTTPResponse(status: 200, json: WebhookJSON.endpoint(endpoint, withSecret: true), headers: [("Cache-Control", "no-store")])
    }

    /// `POST /v1/webhook-endpoints/{id}/enable|disable`: enabling resumes waiting deliveries.
    func setWebhookEndpointEnabled(_ context: RequestContext, enabled: Bool) throws -> HTTPResponse {
        _ = try JSONBody.optional(context.request, accepting: RouteInputs.noInput)
        let endpoint = try webhookEndpoints.setEnabled(
            id: context.parameter("endpointId"), partnerID: context.partner!.id, enabled: enabled)
        return HTTPResponse(status: 200, json: WebhookJSON.endpoint(endpoint, withSecret: false))
    }

    /// `GET /v1/webhook-endpoints/{id}/deliveries?limit=&before=`: attempts, newest first.
    func webhookDeliveries(_ context: RequestContext) throws -> HTTPResponse {
        let parameters = context.request.queryParameters
        var limit = 50
        if let text = parameters["limit"], !text.isEmpty {
            guard let value = Int(text), (1...200).contains(value) else {
                throw BookijiError(.invalidParameter, "limit must be 1 to 200", details: ["parameter": "limit"])
            }
            limit = value
        }
        var before: Int64?
        if let text = parameters["before"], !text.isEmpty {
            guard let value = Int64(text), value > 0 else {
                throw BookijiError(.invalidParameter, "before must be a delivery id", details: ["parameter": "before"])
            }
            before = value
        }
        let deliveries = try webhookEndpoints.deliveries(
            endpointID: context.parameter("endpointId"), partnerID: context.partner!.id, before: before, limit: limit)
        var json = JSONWriter(capacity: 256 * deliveries.count + 64)
        json.objectStart()
        json.key("deliveries")
        json.arrayStart()
        for delivery in deliveries { WebhookJSON.delivery(delivery, into: &json) }
        json.arrayEnd()
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes)
    }

    /// `POST /v1/webhook-endpoints/{id}/deliveries/{deliveryId}/retry`: 202, sent again.
    func retryWebhookDelivery(_ context: RequestContext) throws -> HTTPResponse {
        _ = try JSONBody.optional(context.request, accepting: RouteInputs.noInput)
        let delivery = try webhookEndpoints.retry(
            deliveryID: context.parameter("deliveryId"), endpointID: context.parameter("endpointId"), partnerID: context.partner!.id)
        var json = JSONWriter()
        WebhookJSON.delivery(delivery, into: &json)
        return HTTPResponse(status: 202, json: json.bytes)
    }
}

/// Webhook endpoint and delivery bodies.
enum WebhookJSON {
    static func endpoint(_ endpoint: WebhookEndpoint, withSecret: Bool) -> [UInt8] {
        var json = JSONWriter()
        json.objectStart()
        json.field("id", endpoint.id)
        json.field("url", endpoint.url)
        json.key("events")
        json.arrayStart()
        for event in endpoint.events ?? WebhookEndpoint.eventTypes { json.string(event) }
        json.arrayEnd()
        json.field("enabled", endpoint.enabled)
        json.field("disabledReason", endpoint.disabledReason)
        json.key("disabledAt")
        if let at = endpoint.disabledAt { json.instant(at) } else { json.null() }
        json.key("failingSince")
        if let at = endpoint.failingSince { json.instant(at) } else { json.null() }
        json.key("createdAt"); json.instant(endpoint.createdAt)
        if withSecret {
            json.field("secret", endpoint.secret)
            if let until = endpoint.previousSecretUntil { json.key("previousSecretExpiresAt"); json.instant(until) }
        }
        json.objectEnd()
        return json.bytes
    }

    static func delivery(_ delivery: WebhookDelivery, into json: inout JSONWriter) {
        json.objectStart()
        json.field("id", String(delivery.id))
        json.field("eventId", delivery.eventID)
        json.field("event", delivery.eventType)
        json.field("reservationId", delivery.reservationID)
        json.field("sequence", delivery.sequence)
        json.field("status", delivery.status.rawValue)
        json.field("attempts", delivery.attempts)
        json.key("lastStatusCode")
        if let status = delivery.lastStatus { json.int(status) } else { json.null() }
        json.field("lastError", delivery.lastError)
        json.key("nextAttemptAt")
        if let next = delivery.nextAttemptAt { json.instant(next) } else { json.null() }
        json.key("createdAt"); json.instant(delivery.createdAt)
        json.key("finishedAt")
        if let finished = delivery.finishedAt { json.instant(finished) } else { json.null() }
        json.objectEnd()
    }
}

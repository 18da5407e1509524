import BookijiCore
import Coordinator
import FastCGI

extension PartnerAPIHandler {
    /// `POST /v1/stripe/webhooks`: Stripe's events. The `Stripe-Signature` header is checked
    /// against the raw body (the signing secret from `BOOKIJI_STRIPE_WEBHOOK_SECRET`), the event is
    /// stored once by its id, and Stripe gets 200 at once; the worker applies stored events.
    /// Unsigned, stale or forged events are 400 `invalid_signature` and nothing is stored.
    func stripeWebhook(_ context: RequestContext) throws -> HTTPResponse {
        guard let signature = settings.stripeSignature else {
            throw BookijiError(
                .serviceUnavailable,
                "Stripe events are not accepted: this responder has no signing secret (set BOOKIJI_STRIPE_WEBHOOK_SECRET)",
                retryAfter: 60)
        }
        let receipt = try StripeEvents(database: database).receive(
            payload: context.request.body, signatureHeader: context.request.header("stripe-signature"), signature: signature,
            now: SystemTime.epochSeconds())
        var json = JSONWriter()
        json.objectStart()
        json.field("received", true)
        json.field("eventId", receipt.eventID)
        json.field("duplicate", receipt.duplicate)
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes, headers: [("Cache-Control", "no-store")])
    }
}

import BookijiCore
import Coordinator

/// Settings and shared state of every responder thread.
public struct APISettings: Sendable {
    public var databaseURL: String
    /// How long a verified API key is trusted without asking the database again. Revoking a key
    /// takes effect within this time. 0 checks every request.
    public var authCacheSeconds: Double

    /// Rendered availability answers, shared by all threads of the process.
    public var availabilityCache: AvailabilityCache

    /// Advisory slot locks when placing holds. Only tests turn them off, to show the database
    /// constraint alone keeps capacity 1.
    public var advisoryLocks: Bool

    /// Checks the signature of Stripe's events (`POST /v1/stripe/webhooks`); nil when no signing
    /// secret is configured, and then the endpoint refuses every event.
    public var stripeSignature: StripeSignature?

    /// Where partners may point webhooks (`--webhook-allow-host` exempts hosts).
    public var webhookPolicy: WebhookURLPolicy

    /// Checks vendor page links and signs their forms (`BOOKIJI_PAGE_KEY`, or derived from
    /// `BOOKIJI_TOKEN_KEY`); nil when neither is set, and then `/v/` pages say so.
    public var vendorPageKey: VendorPageKey?

    /// Where availability and reservation-list reads may go (`--read-database`); nil: the primary.
    public var replicaRouting: ReplicaRouting? = nil

    public init(
        databaseURL: String, authCacheSeconds: Double = 5, availabilityCache: AvailabilityCache = AvailabilityCache(),
        advisoryLocks: Bool = true, stripeSignature: StripeSignature? = nil, webhookPolicy: WebhookURLPolicy = WebhookURLPolicy(),
        vendorPageKey: VendorPageKey? = nil
    ) {
        self.vendorPageKey = vendorPageKey
        self.webhookPolicy = webhookPolicy
        self.stripeSignature = stripeSignature
        self.databaseURL = databaseURL
        self.authCacheSeconds = authCacheSeconds
        self.availabilityCache = availabilityCache
        self.advisoryLocks = advisoryLocks
    }
}

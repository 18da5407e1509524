import Coordinator

/// Settings and shared state of every responder thread.
public struct APISettings: Sendable {
    public var databaseURL: String
    /// How long a verified API key is trusted without asking the database again. Revoking a key
    /// takes effect within this time. 0 checks every request.
    public var authCacheSeconds: Double

    /// Rendered availability answers, shared by all threads of the process.
    public var availabilityCache: AvailabilityCache

    public init(databaseURL: String, authCacheSeconds: Double = 5, availabilityCache: AvailabilityCache = AvailabilityCache()) {
        self.databaseURL = databaseURL
        self.authCacheSeconds = authCacheSeconds
        self.availabilityCache = availabilityCache
    }
}

/// Settings shared by every responder thread.
public struct APISettings: Sendable {
    public var databaseURL: String
    /// How long a verified API key is trusted without asking the database again. Revoking a key
    /// takes effect within this time. 0 checks every request.
    public var authCacheSeconds: Double

    public init(databaseURL: String, authCacheSeconds: Double = 5) {
        self.databaseURL = databaseURL
        self.authCacheSeconds = authCacheSeconds
    }
}

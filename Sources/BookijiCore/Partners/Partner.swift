/// A partner: an external booking system that calls the API with its own key.
public struct Partner: Sendable, Hashable {
    public var id: String
    public var name: String
    public var keyPrefix: String
    public var createdAt: String
    public var revokedAt: String?
    /// Its oldest enabled webhook endpoint's URL, shown as `webhookUrl` in reservation answers.
    public var webhookURL: String?

    public init(id: String, name: String, keyPrefix: String, createdAt: String, revokedAt: String?, webhookURL: String? = nil) {
        self.id = id
        self.name = name
        self.keyPrefix = keyPrefix
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.webhookURL = webhookURL
    }
}

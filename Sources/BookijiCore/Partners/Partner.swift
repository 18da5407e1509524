/// A partner: an external booking system that calls the API with its own key.
public struct Partner: Sendable, Hashable {
    public var id: String
    public var name: String
    public var keyPrefix: String
    public var createdAt: String
    public var revokedAt: String?

    public init(id: String, name: String, keyPrefix: String, createdAt: String, revokedAt: String?) {
        self.id = id
        self.name = name
        self.keyPrefix = keyPrefix
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

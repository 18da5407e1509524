/// A vendor whose time partners query and book.
public struct Vendor: Sendable, Hashable {
    public var id: String
    public var name: String
    public var timeZone: String
    public var revision: Int64
    /// When the vendor was created and last changed, in milliseconds since the epoch: kept as
    /// numbers, and spelled out only by ``createdAt`` and ``updatedAt``, because the availability
    /// read fetches the vendor for every computed answer and shows neither.
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64
    /// ``createdAtMillis`` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var createdAt: String { RFC3339.format(millis: createdAtMillis) }
    /// ``updatedAtMillis`` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var updatedAt: String { RFC3339.format(millis: updatedAtMillis) }
    /// The stored rules document, or nil for the defaults. Decoded by the Coordinator.
    public var rulesJSON: String?

    public init(
        id: String, name: String, timeZone: String, revision: Int64, createdAtMillis: Int64, updatedAtMillis: Int64,
        rulesJSON: String?
    ) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.revision = revision
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
        self.rulesJSON = rulesJSON
    }
}

/// A named source of a vendor's busy time.
public struct CalendarSource: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case icsFile = "ics_file", icsURL = "ics_url", google, outlook
    }

    public var id: String
    public var vendorID: String
    public var name: String
    public var kind: Kind
    public var configJSON: String
    public var covered: UTCInterval?
    public var contentDigest: String?
    public var status: String
    public var lastSyncedAt: String?
    public var lastError: String?

    public init(
        id: String, vendorID: String, name: String, kind: Kind, configJSON: String, covered: UTCInterval?,
        contentDigest: String?, status: String, lastSyncedAt: String?, lastError: String?
    ) {
        self.id = id
        self.vendorID = vendorID
        self.name = name
        self.kind = kind
        self.configJSON = configJSON
        self.covered = covered
        self.contentDigest = contentDigest
        self.status = status
        self.lastSyncedAt = lastSyncedAt
        self.lastError = lastError
    }
}

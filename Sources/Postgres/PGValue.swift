/// A Swift value that can be sent to Postgres as a statement parameter, in text form.
///
/// Values always travel as parameters (`$1`, `$2`, …), never spliced into SQL text.
public protocol PGEncodable {
    var pgText: String { get }
}

/// A Swift value that can be read from a result column in text form.
public protocol PGDecodable {
    init?(pgText: String)
}

extension String: PGEncodable, PGDecodable {
    public var pgText: String { self }
    public init?(pgText: String) { self = pgText }
}

extension Int: PGEncodable, PGDecodable {
    public var pgText: String { String(self) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Int64: PGEncodable, PGDecodable {
    public var pgText: String { String(self) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Int32: PGEncodable, PGDecodable {
    public var pgText: String { String(self) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Double: PGEncodable, PGDecodable {
    public var pgText: String { String(self) }
    public init?(pgText: String) { self.init(pgText) }
}

extension Bool: PGEncodable, PGDecodable {
    public var pgText: String { self ? "t" : "f" }
    public init?(pgText: String) {
        switch pgText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

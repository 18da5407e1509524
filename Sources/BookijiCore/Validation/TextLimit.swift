/// A length limit on text counted as PostgreSQL counts it: `length()` and `char_length()` of a
/// UTF-8 database count code points (Unicode scalars), not what Swift's `count` counts
/// (grapheme clusters, so `"e\u{301}"` is one Character and two code points, and a family emoji
/// joined by ZWJs is one Character and seven). A value inside the limit here is inside the
/// database's CHECK too.
public struct TextLimit: Sendable {
    public var range: ClosedRange<Int>

    public init(_ range: ClosedRange<Int>) {
        self.range = range
    }

    /// The length the database gives the text.
    public static func length(_ text: String) -> Int { text.unicodeScalars.count }

    public func contains(_ text: String) -> Bool {
        // A string has at least utf8.count / 4 code points: a long one is refused uncounted.
        guard text.utf8.count / 4 <= range.upperBound else { return false }
        return range.contains(Self.length(text))
    }
}

/// The text limits of the partner API, each the same as its column's CHECK in `migrations/`.
public enum TextLimits {
    /// `reservations.requester_id`: `length(requester_id) BETWEEN 1 AND 200`.
    public static let requesterID = TextLimit(1...200)
    /// `idempotency_keys.key`: `length(key) BETWEEN 1 AND 255`.
    public static let idempotencyKey = TextLimit(1...255)
    /// Names of partners, vendors and calendar sources: `length(name) BETWEEN 1 AND 200`.
    public static let name = TextLimit(1...200)
}

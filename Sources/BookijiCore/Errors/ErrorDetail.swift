/// One value of ``BookijiError/details``: text, a whole number or a list of texts, shown in the
/// error body as a JSON string, number or array, so a partner reads `"limit":200`, not `"200"`.
///
/// String literals and interpolations make ``text(_:)``, integer literals ``number(_:)`` and
/// array literals ``list(_:)``, so `details: ["field": "name", "limit": 200]` reads as it shows.
public enum ErrorDetail: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral
{
    case text(String)
    case number(Int)
    case list([String])

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .number(value) }
    public init(arrayLiteral elements: String...) { self = .list(elements) }

    public var description: String {
        switch self {
        case .text(let text): text
        case .number(let number): String(number)
        case .list(let list): list.joined(separator: ",")
        }
    }
}

import BookijiCore
import FastCGI

/// What a route handler sees: the request, its path parameters, and the caller.
public struct RequestContext {
    public var request: HTTPRequest
    public var pathParameters: [String: String]
    public var partner: Partner?
    /// The vendor whose key authenticated a vendor route.
    public var vendorID: String?

    public func parameter(_ name: String) -> String { pathParameters[name] ?? "" }
}


/// Matches method + path to a handler. Paths are segment patterns such as
/// `/v1/vendors/{vendorId}`; a path that matches with another method yields 405 with `Allow`.
/// A match names its pattern (the route template), which logs and metrics use instead of the
/// raw path: bounded, and free of ids and tokens.
public struct Router<Handler> {
    public enum Access: Sendable { case publicRoute, partner, vendor }

    struct Route {
        var method: String
        var pattern: String
        var segments: [Substring]
        var access: Access
        var handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, access: Access = .partner, _ handler: Handler) {
        routes.append(Route(method: method, pattern: pattern, segments: pattern.split(separator: "/"), access: access, handler: handler))
    }

    /// Every route as (method, pattern), in the order added.
    public var routeTable: [(method: String, pattern: String)] {
        routes.map { ($0.method, "/" + $0.segments.joined(separator: "/")) }
    }

    public enum Match {
        case found(Handler, Access, [String: String], template: String)
        /// `template` is the pattern of the first route whose path matched.
        case methodNotAllowed(allowed: [String], template: String)
        case notFound
    }

    public func match(method: String, path: String) -> Match {
        // Split on the byte: splitting on the Character "/" walks grapheme clusters.
        let parts = path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
        var allowed: [String] = []
        var template: String?
        for route in routes {
            guard let parameters = Self.bind(route.segments, parts) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route.handler, route.access, parameters, template: route.pattern)
            }
            allowed.append(route.method)
            template = template ?? route.pattern
        }
        guard let template else { return .notFound }
        return .methodNotAllowed(allowed: allowed, template: template)
    }

    private static func bind(_ pattern: [Substring], _ parts: [Substring]) -> [String: String]? {
        guard pattern.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, parts) {
            if expected.utf8.first == UInt8(ascii: "{") && expected.utf8.last == UInt8(ascii: "}") {
                parameters[String(expected.dropFirst().dropLast())] = PercentDecoding.decode(actual)
            } else if !expected.utf8.elementsEqual(actual.utf8) {
                // Bytes, not Characters: paths are ASCII, and this runs for every route.
                return nil
            }
        }
        return parameters
    }
}

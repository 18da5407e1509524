import BookijiCore
import FastCGI

/// Checks on what a request carries outside its body: path parameters and query parameters.
///
/// `%00` decodes to a NUL character, which no PostgreSQL text can hold (libpq would cut the
/// value short at it, so the driver refuses it, and that surfaced as a 500). No route has a use
/// for one: it is 400 `invalid_parameter` naming the parameter, before the route runs.
enum RequestInput {
    static func refuseNUL(_ context: RequestContext) throws(BookijiError) {
        // Vendor pages answer people in HTML and read no parameter as text: a bad link is a page.
        guard !context.request.path.hasPrefix("/v/") else { return }
        for (name, value) in context.pathParameters.sorted(by: { $0.key < $1.key }) where value.utf8.contains(0) {
            throw nulError(name, where: "path parameter")
        }
        guard context.request.query.utf8.contains(UInt8(ascii: "%")) else { return }
        for (name, value) in context.request.queryParameters.sorted(by: { $0.key < $1.key })
        where name.utf8.contains(0) || value.utf8.contains(0) {
            throw nulError(name, where: "query parameter")
        }
    }

    private static func nulError(_ name: String, where kind: String) -> BookijiError {
        let shown = String(decoding: name.utf8.map { $0 == 0 ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        return BookijiError(
            .invalidParameter, "\(kind) '\(shown)' contains a NUL character (%00), which no parameter may hold",
            details: ["parameter": shown])
    }
}

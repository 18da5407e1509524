import BookijiCore
import FastCGI

/// The `Content-Type` rule for request bodies: a body the API reads as JSON must say so.
///
/// `application/json` (any case), with parameters allowed; a `charset` must be UTF-8, the only
/// one JSON has (RFC 8259). Anything else, or no `Content-Type` with a body, is 415
/// `unsupported_media_type`, so a client that sends form fields or text by mistake hears it
/// instead of having its text read as JSON. Not checked here: Stripe's events (the route checks
/// their signature over the raw bytes) and the vendor page's HTML form.
enum MediaType {
    /// Checks a request whose body the route parses as JSON.
    /// - Parameters:
    ///   - bodyRequired: true where the route needs a body. Routes that take none
    ///     (`…/cancel`, `…/confirm`, `…/rotate-secret`) pass false: an empty body is then fine
    ///     with any `Content-Type` or none, which is what most clients send for a bodiless
    ///     POST; a body they would ignore must still be JSON.
    static func requireJSON(_ request: HTTPRequest, bodyRequired: Bool) throws(BookijiError) {
        let header = request.header("content-type")
        if request.body.isEmpty && (header == nil || !bodyRequired) { return }
        guard let header, !header.isEmpty else {
            throw BookijiError(
                .unsupportedMediaType, "a request body must be sent with 'Content-Type: application/json'",
                details: ["contentType": "", "expected": "application/json"])
        }
        guard isJSON(header) else {
            throw BookijiError(
                .unsupportedMediaType,
                "Content-Type '\(header)' is not accepted; send the body as JSON with 'Content-Type: application/json' (UTF-8)",
                details: ["contentType": header, "expected": "application/json"])
        }
    }

    /// Whether a `Content-Type` value is `application/json`, with a UTF-8 charset if it names one.
    static func isJSON(_ header: String) -> Bool {
        var parts = header.split(separator: ";", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: Character(" ")) }
        guard parts.removeFirst().lowercased() == "application/json" else { return false }
        for parameter in parts where !parameter.isEmpty {
            guard let equals = parameter.firstIndex(of: "=") else { return false }
            let name = String(parameter[..<equals]).trimmingCharacters(in: Character(" ")).lowercased()
            var value = String(parameter[parameter.index(after: equals)...]).trimmingCharacters(in: Character(" ")).lowercased()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if name == "charset" && value != "utf-8" && value != "utf8" { return false }
        }
        return true
    }
}

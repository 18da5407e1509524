import FastCGI

extension PartnerAPIHandler {
    /// `GET /v1/openapi.json`: the API's contract, `openapi/openapi.json` as built into this binary
    /// (``OpenAPIDocument``). Public: a partner reads it before it has a key.
    func openAPIDocument() -> HTTPResponse {
        HTTPResponse(status: 200, json: OpenAPIDocument.bytes, headers: [("Cache-Control", "public, max-age=300")])
    }

    /// Every route this handler answers, as (method, pattern) in the order they were added; the
    /// OpenAPI document lists the same set (a test holds them together).
    public var routeTable: [(method: String, pattern: String)] { router.routeTable }
}

/// The OpenAPI 3.1 document, embedded: a resource bundle would have to travel beside the binary.
public enum OpenAPIDocument {
    /// The document's bytes, exactly `openapi/openapi.json` without its final newline.
    public static let bytes: [UInt8] = Array(json.utf8)
}

import BookijiCore
import FastCGI

extension PartnerAPIHandler {
    /// `GET /v1/health`: 200 when the database answers, 503 when it does not. No key needed, so
    /// load balancers and operators can call it.
    func health() throws -> HTTPResponse {
        do {
            try database.ping()
        } catch let error as BookijiError {
            throw BookijiError(
                .serviceUnavailable, "the database is unavailable", details: ["database": "down"], retryAfter: 1,
                underlying: error.underlying ?? error)
        }
        var json = JSONWriter()
        json.objectStart()
        json.field("status", "ok")
        json.field("database", "ok")
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes, headers: [("Cache-Control", "no-store")])
    }

    /// `GET /v1/ping`: proves the key works without touching the database once the key is cached.
    func ping(_ context: RequestContext) -> HTTPResponse {
        var json = JSONWriter()
        json.objectStart()
        json.field("status", "ok")
        json.field("partnerId", context.partner?.id ?? "")
        json.key("time")
        json.instant(SystemTime.epochSeconds())
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes, headers: [("Cache-Control", "no-store")])
    }
}

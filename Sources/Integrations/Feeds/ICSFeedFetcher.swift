import BookijiCore

/// Fetches an iCalendar feed with a conditional GET, over the project's one HTTP client
/// (``AsyncHTTPClient/HTTPClient/integrations``: redirects followed, gzip and deflate accepted and
/// decompressed) and the spec's retry policy (connection failures, 429 and 5xx are retried with
/// bounded exponential backoff, `Retry-After` honoured).
///
/// The caller keeps the validators between fetches and hands the answer to the Coordinator's
/// `CalendarImport`, which never fetches itself.
public struct ICSFeedFetcher: Sendable {
    /// What the server answered.
    public enum Response: Sendable, Hashable {
        /// `200`: the body (decompressed) and the validators to send next time.
        case content(body: [UInt8], etag: String?, lastModified: String?)
        /// `304`: the validators sent still match.
        case notModified(etag: String?, lastModified: String?)
    }

    public var transport: any HTTPTransport
    public var retryPolicy: RetryPolicy
    public var clock: ConnectorClock
    /// How long one attempt may take, reading the body included.
    public var timeout: Duration

    /// - Parameters:
    ///   - maxBytes: bodies larger than this (after decompression) are refused: a feed that large
    ///     is a mistake or an attack. Used only for the default transport.
    ///   - transport: defaults to async-http-client with the `maxBytes` limit.
    public init(
        timeout: Duration = .seconds(60), maxBytes: Int = 256 << 20, transport: (any HTTPTransport)? = nil,
        retryPolicy: RetryPolicy = .standard, clock: ConnectorClock = .system
    ) {
        self.timeout = timeout
        self.transport = transport ?? AsyncHTTPClientTransport(maxResponseBytes: maxBytes)
        self.retryPolicy = retryPolicy
        self.clock = clock
    }

    /// GETs `url`, sending `If-None-Match` / `If-Modified-Since` when given.
    /// - Throws: ``ConnectorError``: `invalidInput` for a URL that is not http(s) with a host;
    ///   `network`, `unavailable`, `rateLimited` when every attempt failed; `responseTooLarge`;
    ///   and for any other status but 200 and 304 a code by status (`forbidden`, `badRequest`, ...)
    ///   whose message starts with `HTTP <status>`.
    public func fetch(_ url: String, ifNoneMatch: String?, ifModifiedSince: String?) async throws -> Response {
        guard Self.isFetchable(url) else {
            throw ConnectorError(.invalidInput, "\(url) is not an http or https URL with a host")
        }
        let timeout = self.timeout
        let client = RetryingClient(
            transport: transport, policy: retryPolicy, clock: clock, service: "the feed server",
            errorDetail: { APIErrorDetail(code: nil, message: Self.excerpt($0.bodyText)) })
        let response: ConnectorHTTPResponse
        do {
            response = try await client.send(tokens: nil) { _ in
                var headers = [(name: "Accept", value: "text/calendar, */*;q=0.5"), (name: "User-Agent", value: "bookiji/1")]
                if let ifNoneMatch { headers.append((name: "If-None-Match", value: ifNoneMatch)) }
                if let ifModifiedSince { headers.append((name: "If-Modified-Since", value: ifModifiedSince)) }
                return ConnectorHTTPRequest(method: "GET", url: url, headers: headers, timeout: timeout)
            }
        } catch var error as ConnectorError {
            if let status = error.httpStatus { error.message = "HTTP \(status): " + error.message }
            throw error
        }
        let etag = response.header("ETag")
        let lastModified = response.header("Last-Modified")
        switch response.status {
        case 200:
            return .content(body: response.body, etag: etag, lastModified: lastModified)
        case 304:
            return .notModified(etag: etag, lastModified: lastModified)
        default:
            var error = client.rejection(response, doing: "the feed request")
            error.message = "HTTP \(response.status): " + error.message
            throw error
        }
    }

    static func isFetchable(_ url: String) -> Bool {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") {
            rest = lower.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            rest = lower.dropFirst(8)
        } else {
            return false
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !host.isEmpty && !host.hasPrefix(":")
    }

    /// The start of an error body, one line, for messages.
    static func excerpt(_ text: String) -> String? {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? nil : String(line.prefix(200))
    }
}

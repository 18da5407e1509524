import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches an iCalendar feed with a conditional GET.
///
/// Foundation's `URLSession` (libcurl underneath on Linux) rather than a hand-written HTTP/1.1
/// client: real feeds are https (Google's and Outlook's secret iCal addresses), redirect, and
/// arrive chunked or gzip-compressed, and it brings all of that without a new dependency.
/// Caching is off so a `304` reaches us as a `304` instead of being answered from a local cache.
public struct ICSFeedFetcher: Sendable {
    /// What the server answered.
    public enum Response: Sendable, Hashable {
        /// `200`: the body and the validators to send next time.
        case content(body: [UInt8], etag: String?, lastModified: String?)
        /// `304`: the validators sent still match.
        case notModified(etag: String?, lastModified: String?)
    }

    public var timeoutSeconds: Double
    /// Bodies larger than this are refused: a feed that large is a mistake or an attack.
    public var maxBytes: Int

    public init(timeoutSeconds: Double = 60, maxBytes: Int = 256 << 20) {
        self.timeoutSeconds = timeoutSeconds
        self.maxBytes = maxBytes
    }

    /// GETs `url`, sending `If-None-Match` / `If-Modified-Since` when given. Blocks the calling
    /// thread (the CLI has nothing else to do meanwhile).
    /// - Throws: ``CalendarImportError`` `.fetchFailed` for a transport error or any status but 200 and 304.
    public func fetch(_ url: String, ifNoneMatch: String?, ifModifiedSince: String?) throws(CalendarImportError) -> Response {
        guard let target = URL(string: url) else {
            throw CalendarImportError(.invalidArgument, input: url, "not a valid URL")
        }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeoutSeconds)
        request.setValue("text/calendar, */*;q=0.5", forHTTPHeaderField: "Accept")
        request.setValue("bookiji-import-ics/1", forHTTPHeaderField: "User-Agent")
        if let ifNoneMatch { request.setValue(ifNoneMatch, forHTTPHeaderField: "If-None-Match") }
        if let ifModifiedSince { request.setValue(ifModifiedSince, forHTTPHeaderField: "If-Modified-Since") }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = timeoutSeconds * 5
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }

        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            outcome.set(data: data, response: response as? HTTPURLResponse, error: error)
            done.signal()
        }.resume()
        done.wait()

        let (data, response, error) = outcome.get()
        if let error {
            throw CalendarImportError(.fetchFailed, input: url, "cannot fetch: \(error.localizedDescription)")
        }
        guard let response else {
            throw CalendarImportError(.fetchFailed, input: url, "no HTTP response")
        }
        let etag = response.value(forHTTPHeaderField: "ETag")
        let lastModified = response.value(forHTTPHeaderField: "Last-Modified")
        switch response.statusCode {
        case 200:
            let body = data.map { [UInt8]($0) } ?? []
            guard body.count <= maxBytes else {
                throw CalendarImportError(.fetchFailed, input: url, "the feed is \(body.count) bytes, more than the \(maxBytes) allowed")
            }
            return .content(body: body, etag: etag, lastModified: lastModified)
        case 304:
            return .notModified(etag: etag, lastModified: lastModified)
        default:
            throw CalendarImportError(
                .fetchFailed, input: url,
                "HTTP \(response.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: response.statusCode))")
        }
    }

    /// The completion handler's results, handed from URLSession's delegate queue to the waiting thread.
    // @unchecked Sendable: every access goes through the lock.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        private var response: HTTPURLResponse?
        private var error: (any Error)?

        func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) {
            lock.withLock { (self.data, self.response, self.error) = (data, response, error) }
        }

        func get() -> (Data?, HTTPURLResponse?, (any Error)?) {
            lock.withLock { (data, response, error) }
        }
    }
}

import Coordinator
import Integrations

extension ICSFeedFetcher {
    /// Fetches what ``Coordinator/CalendarImport/feedRequest(for:now:)`` asked for, in the form
    /// ``Coordinator/CalendarImport/run(_:now:feed:progress:)`` takes: a failure that retrying
    /// later may cure or not is an answer (recorded on the source), never thrown.
    /// - Throws: only `CancellationError`.
    public func answer(_ request: CalendarImport.FeedRequest) async throws -> CalendarImport.FeedAnswer {
        do {
            switch try await fetch(request.url, ifNoneMatch: request.ifNoneMatch, ifModifiedSince: request.ifModifiedSince) {
            case .content(let body, let etag, let lastModified):
                return .content(body: body, etag: etag, lastModified: lastModified)
            case .notModified(let etag, let lastModified):
                return .notModified(etag: etag, lastModified: lastModified)
            }
        } catch let error as ConnectorError {
            return .failed(error.message)
        } catch let error as CancellationError {
            throw error
        } catch {
            return .failed("cannot fetch: \(error)")
        }
    }
}

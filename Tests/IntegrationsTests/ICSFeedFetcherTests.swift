import Integrations
import Testing

@Suite("ICS feed fetching")
struct ICSFeedFetcherTests {
    /// Answers from a script, recording each request.
    final class ScriptedTransport: HTTPTransport, @unchecked Sendable {  // every access holds the lock
        private let lock = NSLockBox()
        private var answers: [ConnectorHTTPResponse]
        private(set) var requests: [ConnectorHTTPRequest] = []

        init(_ answers: [ConnectorHTTPResponse]) { self.answers = answers }

        func send(_ request: ConnectorHTTPRequest) async throws -> ConnectorHTTPResponse {
            lock.withLock {
                requests.append(request)
                return answers.count > 1 ? answers.removeFirst() : answers[0]
            }
        }

        var sent: [ConnectorHTTPRequest] { lock.withLock { requests } }
    }

    func fetcher(_ transport: ScriptedTransport) -> ICSFeedFetcher {
        ICSFeedFetcher(transport: transport, clock: RecordingClock(scale: 0).clock)
    }

    @Test func validatorsAreSentAndA304IsNotModified() async throws {
        let transport = ScriptedTransport([ConnectorHTTPResponse(status: 304, headers: [("ETag", "\"v2\"")])])
        let answer = try await fetcher(transport).fetch(
            "https://example.com/cal.ics", ifNoneMatch: "\"v1\"", ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(answer == .notModified(etag: "\"v2\"", lastModified: nil))
        let sent = try #require(transport.sent.first)
        #expect(sent.method == "GET")
        #expect(sent.headers.contains { $0.name == "If-None-Match" && $0.value == "\"v1\"" })
        #expect(sent.headers.contains { $0.name == "If-Modified-Since" })
    }

    @Test func a200GivesTheBodyAndItsValidatorsWithoutConditionalHeadersWhenNoneAreKnown() async throws {
        let transport = ScriptedTransport([
            ConnectorHTTPResponse(status: 200, headers: [("etag", "\"x\""), ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")], body: Array("BEGIN:VCALENDAR".utf8)),
        ])
        let answer = try await fetcher(transport).fetch("http://example.com/a.ics", ifNoneMatch: nil, ifModifiedSince: nil)
        #expect(answer == .content(body: Array("BEGIN:VCALENDAR".utf8), etag: "\"x\"", lastModified: "Mon, 01 Jan 2024 00:00:00 GMT"))
        #expect(!(transport.sent.first?.headers.contains { $0.name.hasPrefix("If-") } ?? true))
    }

    @Test func a503IsRetriedFiveTimesAndTheErrorNamesTheStatus() async throws {
        let transport = ScriptedTransport([ConnectorHTTPResponse(status: 503, body: Array("down for maintenance\n".utf8))])
        do {
            _ = try await fetcher(transport).fetch("https://example.com/a.ics", ifNoneMatch: nil, ifModifiedSince: nil)
            Issue.record("a 503 was accepted")
        } catch let error as ConnectorError {
            #expect(error.code == .unavailable)
            #expect(error.message.hasPrefix("HTTP 503"), "\(error.message)")
            #expect(error.message.contains("down for maintenance"))
        }
        #expect(transport.sent.count == 5)
    }

    @Test func a404IsNotRetried() async throws {
        let transport = ScriptedTransport([ConnectorHTTPResponse(status: 404)])
        await #expect(throws: ConnectorError.self) {
            _ = try await fetcher(transport).fetch("https://example.com/a.ics", ifNoneMatch: nil, ifModifiedSince: nil)
        }
        #expect(transport.sent.count == 1)
    }

    @Test(arguments: ["ftp://example.com/a.ics", "https://", "example.com/a.ics", "http://:80/x"])
    func aURLThatIsNotHTTPIsRefusedBeforeAnyRequest(url: String) async throws {
        let transport = ScriptedTransport([ConnectorHTTPResponse(status: 200)])
        do {
            _ = try await fetcher(transport).fetch(url, ifNoneMatch: nil, ifModifiedSince: nil)
            Issue.record("fetched \(url)")
        } catch let error as ConnectorError {
            #expect(error.code == .invalidInput)
        }
        #expect(transport.sent.isEmpty)
    }
}

import Foundation

final class NSLockBox: Sendable {
    private let lock = NSLock()
    func withLock<T>(_ body: () throws -> T) rethrows -> T { try lock.withLock(body) }
}

import BookijiCore
import Integrations
import Foundation

/// One running `Tests/Fakes/fake_calendar_apis.py`, private to one test.
final class FakeCalendarServer: Sendable {
    let daemon: Daemon
    let port: Int
    let transport = AsyncHTTPClientTransport()

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var googleAPI: String { baseURL + "/google/calendar/v3" }
    var googleTokenURL: String { baseURL + "/google/token" }
    var graphAPI: String { baseURL + "/graph/v1.0" }
    var microsoftAuthority: String { baseURL + "/ms" }

    static let script: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Support, IntegrationsTests, Tests
        return url.appendingPathComponent("Fakes/fake_calendar_apis.py").path
    }()


    private init(daemon: Daemon, port: Int) {
        self.daemon = daemon
        self.port = port
    }

    /// Starts a fake and waits (without blocking a thread: Swift Testing runs tests on the
    /// small cooperative pool) until it has printed its port.
    static func start() async throws -> FakeCalendarServer {
        let log = NSTemporaryDirectory() + "fake-calendar-\(UUID().uuidString.prefix(8)).log"
        let daemon = try Daemon(python3, [script, "0", "--parent-pid", String(getpid())], logPath: log)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, daemon.isRunning {
            if let line = daemon.log.split(separator: "\n").first, let port = Int(line) {
                return FakeCalendarServer(daemon: daemon, port: port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        daemon.stop()
        throw CommandFailure(description: "the fake calendar server did not start: \(daemon.log)")
    }

    deinit { daemon.stop() }

    func stop() { daemon.stop() }

    /// Changes fault settings, e.g. `["googleFailNext": [429], "retryAfter": 1]`.
    func control(_ settings: [String: Any]) async throws {
        let body = try JSONSerialization.data(withJSONObject: settings)
        let response = try await transport.send(
            ConnectorHTTPRequest(
                method: "POST", url: baseURL + "/_control", headers: [("Content-Type", "application/json")],
                body: Array(body)))
        guard response.status == 200 else {
            throw CommandFailure(description: "control refused: \(response.bodyText)")
        }
    }

    /// Requests the fake received, optionally of one api (`google`, `graph`, `token`).
    func requests(_ api: String? = nil) async throws -> [RecordedRequest] {
        let url = baseURL + "/_requests" + (api.map { "?api=\($0)" } ?? "")
        let response = try await transport.send(ConnectorHTTPRequest(method: "GET", url: url))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return ((object?["requests"] as? [[String: Any]]) ?? []).map(RecordedRequest.init)
    }

    /// Sends a raw request, for checking the fake itself.
    func post(_ path: String, json: Any, token: String? = nil) async throws -> (status: Int, body: [String: Any]) {
        var headers = [(name: "Content-Type", value: "application/json")]
        if let token { headers.append((name: "Authorization", value: "Bearer \(token)")) }
        let response = try await transport.send(
            ConnectorHTTPRequest(
                method: "POST", url: baseURL + path, headers: headers,
                body: Array(try JSONSerialization.data(withJSONObject: json))))
        let body = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        return (response.status, body)
    }

    /// A fresh access token straight from the fake's token endpoint.
    func issueToken(google: Bool) async throws -> String {
        let url = google ? googleTokenURL : microsoftAuthority + "/common/oauth2/v2.0/token"
        let response = try await transport.send(
            ConnectorHTTPRequest(
                method: "POST", url: url, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("grant_type=refresh_token&refresh_token=rt&client_id=c&scope=s".utf8)))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard let token = object?["access_token"] as? String else {
            throw CommandFailure(description: "no token: \(response.bodyText)")
        }
        return token
    }
}

/// One request as the fake recorded it.
struct RecordedRequest: @unchecked Sendable {  // only read after decoding; the dictionary is never mutated
    let api: String
    let path: String
    let authorization: String?
    let prefer: String?
    let body: [String: Any]
    let at: Double

    init(_ object: [String: Any]) {
        api = object["api"] as? String ?? ""
        path = object["path"] as? String ?? ""
        authorization = object["authorization"] as? String
        prefer = object["prefer"] as? String
        body = object["body"] as? [String: Any] ?? [:]
        at = object["at"] as? Double ?? 0
    }

    /// Google: `items[].id`; Graph: `schedules`.
    var calendarIDs: [String] {
        if let items = body["items"] as? [[String: Any]] { return items.compactMap { $0["id"] as? String } }
        return body["schedules"] as? [String] ?? []
    }

    /// The requested window in epoch seconds, from either API's body.
    var window: (start: Int64, end: Int64)? {
        if let min = body["timeMin"] as? String, let max = body["timeMax"] as? String {
            return (try? (RFC3339.parse(min), RFC3339.parse(max)))
        }
        if let start = (body["startTime"] as? [String: Any])?["dateTime"] as? String,
            let end = (body["endTime"] as? [String: Any])?["dateTime"] as? String
        {
            return (try? (RFC3339.parse(start + "Z"), RFC3339.parse(end + "Z")))
        }
        return nil
    }

    /// The refresh-grant form, for token requests.
    var form: [String: String] { (body["form"] as? [String: String]) ?? [:] }
}

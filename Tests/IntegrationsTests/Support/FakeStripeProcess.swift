import Foundation
import Integrations

/// One running `fake-stripe` (Sources/fake-stripe), private to one test: faults armed on one
/// test's fake cannot fire in another's.
final class FakeStripeProcess: Sendable {
    let daemon: Daemon
    let port: Int
    private let control = AsyncHTTPClientTransport()

    var apiBase: String { "http://127.0.0.1:\(port)" }

    /// `$FAKE_STRIPE_BIN`, else the `fake-stripe` that `swift build` put beside the test bundle.
    static let binary: String = {
        if let explicit = ProcessInfo.processInfo.environment["FAKE_STRIPE_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("fake-stripe").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }  // Support, IntegrationsTests, Tests
        return root.appendingPathComponent(".build/debug/fake-stripe").path
    }()

    private init(daemon: Daemon, port: Int) {
        self.daemon = daemon
        self.port = port
    }

    /// Starts the fake on a port it picks itself and waits (suspending, not blocking a thread of
    /// the small cooperative pool) for its `listening on 127.0.0.1:PORT` line.
    /// - Parameter arguments: more options, e.g. `["--latency-ms", "400"]`.
    static func start(arguments: [String] = []) async throws -> FakeStripeProcess {
        let log = NSTemporaryDirectory() + "fake-stripe-\(UUID().uuidString.prefix(8)).log"
        let daemon = try Daemon(binary, ["--port", "0"] + arguments, logPath: log)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, daemon.isRunning {
            let announced = daemon.log.split(separator: "\n").first { $0.hasPrefix("listening on 127.0.0.1:") }
            if let port = announced.flatMap({ Int($0.split(separator: ":").last ?? "") }) {
                return FakeStripeProcess(daemon: daemon, port: port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        daemon.stop()
        throw CommandFailure(description: "fake-stripe (\(binary)) did not start: \(daemon.log)")
    }

    deinit { daemon.stop() }

    /// A client of this fake.
    func client(secretKey: String = "sk_test_bookiji", transport: any HTTPTransport = AsyncHTTPClientTransport()) -> StripeClient {
        StripeClient(configuration: StripeConfiguration(apiBase: apiBase, secretKey: secretKey, timeout: .seconds(10)), transport: transport)
    }

    /// Makes the next `times` calls of `operation` (on `paymentIntent` when given) fail with `fault`:
    /// `api_error`, `card_error`, `500_after_apply`, `drop_connection` or `lock_timeout`.
    func arm(_ fault: String, on operation: String, paymentIntent: String? = nil, times: Int = 1) async throws {
        var rule: [String: Any] = ["operation": operation, "fault": fault, "times": times]
        rule["paymentIntent"] = paymentIntent
        let response = try await control.send(
            ConnectorHTTPRequest(
                method: "POST", url: apiBase + "/_control/faults", headers: [("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: rule))))
        guard response.status == 200 else { throw CommandFailure(description: "fault refused: \(response.bodyText)") }
    }

    /// The intent as the fake renders it, every field, read without the client.
    func rawIntent(_ id: String) async throws -> [String: Any] {
        let response = try await control.send(
            ConnectorHTTPRequest(
                method: "GET", url: apiBase + "/v1/payment_intents/" + id, headers: [("Authorization", "Bearer sk_test_raw")]))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard response.status == 200, let object else { throw CommandFailure(description: "no intent \(id): \(response.bodyText)") }
        return object
    }
}

import Foundation
import Postgres

/// The whole stack for one test: a fresh database (migrated), the real `bookiji serve`
/// responder on a unix socket, and a real nginx in front of it on a free loopback port.
final class Service: @unchecked Sendable {  // owned by one test at a time
    let cluster: PostgresCluster
    let database: String
    let directory: String
    let port: Int
    let socketPath: String
    private(set) var responder: Daemon?
    private(set) var nginx: Daemon?
    let responderArguments: [String]
    /// False for a second front door on another service's database: that service drops it.
    private let ownsDatabase: Bool

    var databaseURL: String { cluster.url(database: database) }

    /// The signing secret every test responder checks Stripe's events with.
    static let stripeWebhookSecret = "whsec_test_secret"

    /// The key every test responder checks vendor page links with (`BOOKIJI_PAGE_KEY`, 32 bytes).
    static let pageKey = "dGVzdCBwYWdlIGtleSBmb3IgdmVuZG9yIGxpbmtzISE="

    /// - Parameter primary: another service whose database this one uses (already migrated),
    ///   with a responder and nginx of its own: several front doors on one database.
    init(
        cluster: PostgresCluster = .shared, responderArguments: [String] = [], nginxArguments: [String] = [],
        sharingDatabaseOf primary: Service? = nil
    ) throws {
        self.cluster = primary?.cluster ?? cluster
        self.responderArguments = responderArguments
        ownsDatabase = primary == nil
        database = try primary?.database ?? cluster.createDatabase()
        directory = try Paths.scratchDirectory("svc")
        port = freePort()
        socketPath = directory + "/bookiji.sock"
        if ownsDatabase { try bookiji(["migrate", "--dir", Paths.repositoryRoot + "/migrations"]) }
        try startResponder()
        try run(Paths.script("nginx-conf"), [
            "--out", directory + "/nginx", "--listen", "127.0.0.1:\(port)", "--socket", socketPath,
        ] + nginxArguments)
        nginx = try Daemon("/usr/sbin/nginx", [
            "-p", directory + "/nginx", "-c", directory + "/nginx/nginx.conf", "-g", "daemon off;",
        ], logPath: directory + "/nginx.out")
        guard eventually(seconds: 10, { (try? get("/v1/health").status) == 200 }) else {
            throw CommandFailure(description: "service did not become healthy; responder log:\n\(responder?.log ?? "")\nnginx:\n\(nginx?.log ?? "")")
        }
    }

    func startResponder(extra: [String] = []) throws {
        responder = try Daemon(Paths.bookiji, [
            "serve", "--socket", socketPath, "--database", databaseURL, "--threads", "4",
            // Tests change data through the CLI and read it back at once; trusting a vendor's
            // revision for a while has tests of its own, which pass their own value.
            "--availability-revision-seconds", "0",
        ] + responderArguments + extra, logPath: directory + "/responder.log",
            environment: ["BOOKIJI_STRIPE_WEBHOOK_SECRET": Self.stripeWebhookSecret, "BOOKIJI_PAGE_KEY": Self.pageKey])
        guard eventually(seconds: 10, { FileManager.default.fileExists(atPath: socketPath) }) else {
            throw CommandFailure(description: "responder did not open its socket:\n\(responder?.log ?? "")")
        }
    }

    /// Runs the `bookiji` CLI against this service's database.
    @discardableResult
    func bookiji(_ arguments: [String]) throws -> String {
        try run(Paths.bookiji, arguments, environment: ["BOOKIJI_DATABASE_URL": databaseURL])
    }

    /// Creates a partner through the CLI and returns its id and API key.
    func createPartner(name: String = "Test Partner") throws -> (id: String, key: String) {
        let json = try JSONSerialization.jsonObject(with: Data(bookiji(["partner", "create", "--name", name, "--json"]).utf8)) as! [String: Any]
        return (json["partnerId"] as! String, json["apiKey"] as! String)
    }

    func createVendor(name: String = "Test Vendor", timezone: String = "Europe/Berlin") throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(bookiji([
            "vendor", "create", "--name", name, "--timezone", timezone, "--json",
        ]).utf8)) as! [String: Any]
        return json["vendorId"] as! String
    }

    func get(_ path: String, key: String? = nil, headers: [String: String] = [:]) throws -> WireResponse {
        var all = headers
        if let key { all["Authorization"] = "Bearer \(key)" }
        return try HTTPClient.send(port: port, path: path, headers: all)
    }

    func send(_ method: String, _ path: String, key: String? = nil, body: [UInt8]? = nil, headers: [String: String] = [:]) throws -> WireResponse {
        var all = headers
        if let key { all["Authorization"] = "Bearer \(key)" }
        if body != nil && all["Content-Type"] == nil { all["Content-Type"] = "application/json" }
        return try HTTPClient.send(port: port, method: method, path: path, headers: all, body: body)
    }

    /// A path inside this test's scratch folder.
    func directoryPath(_ name: String) -> String { directory + "/" + name }

    /// A direct connection to this service's database, for setting up and checking state.
    func sql() throws -> PGConnection { try PGConnection(url: databaseURL) }

    func stop() {
        nginx?.stop()
        responder?.stop()
        // BOOKIJI_TEST_KEEP=1 keeps logs and configs for a post-mortem.
        if ProcessInfo.processInfo.environment["BOOKIJI_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
        if ownsDatabase, let admin = try? PGConnection(url: cluster.url(database: "postgres")) {
            _ = try? admin.execute(script: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
        }
    }
}

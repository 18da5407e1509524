import ArgumentParser
import BookijiCore
import Coordinator
import FastCGI
import Foundation
import Logging
import PartnerAPI
import Postgres

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the FastCGI responder on a unix socket or a TCP port (put nginx in front of it).")

    @OptionGroup var db: DatabaseOptions

    @OptionGroup var pooler: DatabasePoolerOptions

    @Option(help: "Path of the FastCGI unix socket (default /run/bookiji/bookiji.sock; not with --listen).")
    var socket: String?

    @Option(help: ArgumentHelp(
        "Listen for FastCGI on TCP instead of a unix socket: HOST:PORT, [IPV6]:PORT, or *:PORT for every IPv4 address.",
        discussion: "For nginx on other hosts (an upstream with several servers). An address other than loopback needs --allow-from: whoever can speak FastCGI to the responder is believed about the client's address and headers, and bypasses nginx's limits.",
        valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp(
        "With --listen: an address or network (10.0.0.5, 10.0.0.0/24, fd00::/64) that may connect, such as the nginx hosts; repeatable; 'any' for every address.",
        discussion: "Connections from other addresses are closed before a byte is read. FCGI_WEB_SERVER_ADDRS (libfcgi's comma-separated list) is read too, and adds to it.",
        valueName: "address"))
    var allowFrom: [String] = []

    @Option(help: "Permission bits of the socket, octal, so nginx's worker user can connect.")
    var socketMode: String = "0666"

    @Option(help: "Worker threads; each has its own database connection.")
    var threads: Int = 4

    @Option(help: "Largest request body accepted, in bytes; larger ones get 413 unread.")
    var maxBodyBytes: Int = 1_048_576

    @Option(help: "Seconds a verified API key is trusted before asking the database again (0: every request).")
    var authCacheSeconds: Double = 5

    @Option(help: "Seconds an availability answer is cached in the responder (0 disables the cache).")
    var availabilityCacheSeconds: Int = 300

    @Option(help: ArgumentHelp(
        "Seconds a vendor's revision is trusted for cached availability before asking the database again, while no revision listener vouches for it (0: every request).",
        discussion: "Holds, cancels and vendor decisions made through this responder refresh it at once. Changes made elsewhere (the CLI, the worker, another responder) show within milliseconds while the revision listener is connected; this time is the fallback while it is not (or with --no-revision-listener)."))
    var availabilityRevisionSeconds: Double = 1

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Keep one LISTEN connection that hears every change of a vendor's revision, so cached availability follows changes made anywhere at once (with the cache on and --availability-revision-seconds above 0).",
        discussion: "It needs a server session of its own: behind a transaction pooler, point it past the pooler."))
    var revisionListener = true

    @Flag(help: ArgumentHelp("Test only: place holds without advisory slot locks (the exclusion constraint still holds).", visibility: .hidden))
    var unsafeDisableAdvisoryLocks = false

    @Option(help: ArgumentHelp(
        "Seconds to wait for the database when connecting.",
        discussion: "With the statement timeout this bounds how long a request waits for a database that hangs or cannot be reached before it is answered 503."))
    var databaseConnectTimeout: Double = 2

    @Option(help: ArgumentHelp(
        "Seconds a statement may run (the session's statement_timeout); the responder gives up on a silent server one second later and drops the connection.",
        discussion: "A request answers 503 service_unavailable within about this plus one second when the database stops answering, health checks included."))
    var databaseStatementTimeout: Double = 3

    @Option(help: ArgumentHelp(
        "Seconds in-flight requests get to finish after SIGTERM or SIGINT before the process exits.",
        discussion: "Keep the service manager's stop timeout (systemd's TimeoutStopSec) above it."))
    var shutdownGraceSeconds: Double = 30

    @Option(help: "Write the process id to this file.")
    var pidFile: String?

    @Option(help: "A host partners may point webhooks at although it is private or loopback, over http too (tests, local development); repeatable.")
    var webhookAllowHost: [String] = []

    @Option(help: ArgumentHelp(
        "libpq URL of a streaming replica for availability and reservation-list reads.",
        discussion: "Writes, holds' revalidation, commits, authentication and single-reservation reads stay on the primary; a replica further behind than --max-replica-lag, or unreachable, is bypassed until it catches up.",
        valueName: "url"))
    var readDatabase: String?

    @Option(help: "Seconds the read replica may be behind the primary before reads bypass it.")
    var maxReplicaLag: Double = 1

    func validate() throws {
        guard (1...512).contains(threads) else { throw ValidationError("--threads must be 1...512") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard mode_t(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        guard socket == nil || listen == nil else { throw ValidationError("give --socket or --listen, not both") }
        guard listen != nil || allowFrom.isEmpty else { throw ValidationError("--allow-from needs --listen") }
        do {
            _ = try endpoint()
            _ = try allowedPeers()
        } catch let error as FastCGIError {
            throw ValidationError(listen != nil ? "--listen/--allow-from: \(error.message)" : error.message)
        }
        guard authCacheSeconds >= 0 else { throw ValidationError("--auth-cache-seconds must be >= 0") }
        guard maxReplicaLag >= 0, maxReplicaLag <= 3600 else { throw ValidationError("--max-replica-lag must be 0...3600") }
        guard readDatabase?.isEmpty != true else { throw ValidationError("--read-database wants a libpq URL") }
        guard availabilityCacheSeconds >= 0 else { throw ValidationError("--availability-cache-seconds must be >= 0") }
        guard availabilityRevisionSeconds >= 0, availabilityRevisionSeconds <= 3600 else {
            throw ValidationError("--availability-revision-seconds must be 0...3600")
        }
        guard databaseConnectTimeout > 0, databaseConnectTimeout <= 600 else {
            throw ValidationError("--database-connect-timeout must be more than 0 and at most 600")
        }
        guard databaseStatementTimeout >= 0.001, databaseStatementTimeout <= 3600 else {
            throw ValidationError("--database-statement-timeout must be 0.001...3600")
        }
        guard shutdownGraceSeconds >= 0, shutdownGraceSeconds <= 3600 else {
            throw ValidationError("--shutdown-grace-seconds must be 0...3600")
        }
    }

    func run() throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "bookiji.serve")
        PGTimeouts.processDefault = .requestPath(connect: databaseConnectTimeout, statement: databaseStatementTimeout)
        try pooler.applyToProcess(database: try db.url())
        DatabaseOutage.observe(DatabaseOutageLog(logger: Logger(label: "bookiji.database")).log)
        var settings = APISettings(
            databaseURL: try db.url(), authCacheSeconds: authCacheSeconds,
            availabilityCache: AvailabilityCache(
                timeToLiveSeconds: Int64(availabilityCacheSeconds), revisionTrustSeconds: availabilityRevisionSeconds),
            advisoryLocks: !unsafeDisableAdvisoryLocks,
            stripeSignature: ProcessInfo.processInfo.environment["BOOKIJI_STRIPE_WEBHOOK_SECRET"]
                .flatMap { $0.isEmpty ? nil : StripeSignature(secret: $0) },
            webhookPolicy: WebhookURLPolicy(allowedHosts: webhookAllowHost),
            vendorPageKey: try VendorPageKey.fromEnvironment(ProcessInfo.processInfo.environment))
        if let readDatabase {
            let replicaLogger = Logger(label: "bookiji.replica")
            settings.replicaRouting = ReplicaRouting(url: readDatabase, primaryURL: settings.databaseURL, maxLagSeconds: maxReplicaLag) {
                switch $0 {
                case .unavailable(let cause): replicaLogger.warning("read replica bypassed", metadata: ["cause": "\(cause)"])
                case .available: replicaLogger.info("read replica in use")
                }
            }
        }
        if settings.vendorPageKey == nil {
            logger.warning("vendor confirmation pages are off: set BOOKIJI_PAGE_KEY (or BOOKIJI_TOKEN_KEY) to the worker's value")
        }
        let server: FastCGIServer
        let endpoint = try endpoint()
        do {
            server = try FastCGIServer(configuration: FastCGIConfiguration(
                endpoint: endpoint, socketMode: mode_t(socketMode, radix: 8)!, allowedPeers: try allowedPeers(),
                threads: threads, maxBodyBytes: maxBodyBytes, shutdownGraceSeconds: shutdownGraceSeconds))
        } catch {
            // A socket or port in use, a path that is not a socket, a network address without an
            // allow-list: in the service's log as well as on the terminal.
            logger.critical("cannot open the socket; not starting", metadata: ["socket": "\(endpoint)", "cause": "\(error)"])
            throw error
        }
        ServeDatabaseCheck.start(url: settings.databaseURL, logger: Logger(label: "bookiji.database"))
        if let pidFile {
            try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        logger.info("serving", metadata: ["socket": "\(server.boundEndpoint)", "threads": "\(threads)"])
        let listener = revisionListener ? settings.startRevisionListener(logger: Logger(label: "bookiji.revisions")) : nil
        server.run { [settings] _ in PartnerAPIHandler(settings: settings) }
        listener?.stop()
        if let pidFile { try? FileManager.default.removeItem(atPath: pidFile) }
        logger.info("stopped")
    }

    /// `--listen`, else `--socket` (or its default).
    private func endpoint() throws -> FastCGIEndpoint {
        if let listen { return try FastCGIEndpoint(listen: listen) }
        return .unixSocket(path: socket ?? "/run/bookiji/bookiji.sock")
    }

    /// `--allow-from` and `FCGI_WEB_SERVER_ADDRS` together; nil when neither names anyone.
    private func allowedPeers() throws -> PeerAllowList? {
        let environment = ProcessInfo.processInfo.environment["FCGI_WEB_SERVER_ADDRS"] ?? ""
        let entries = allowFrom + environment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return entries.isEmpty ? nil : try PeerAllowList(entries)
    }
}

import ArgumentParser
import BookijiCore
import Coordinator
import Foundation
import Integrations
import Logging
import Postgres
import PartnerAPI
import Store
import Telemetry
import Worker

/// `bookiji worker`: the long-running process for everything off the request path (expiry,
/// outbox delivery, leader-locked periodic jobs). `bookiji worker status` reports on it.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the background worker (expiry, outbox delivery, periodic jobs), or report on it.",
        subcommands: [Run.self, Status.self],
        defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the worker until SIGTERM/SIGINT; in-flight work finishes, then it exits 0. Any number may run at once.")

        @OptionGroup var db: DatabaseOptions

        @OptionGroup var pooler: DatabasePoolerOptions

        @Option(help: "Seconds an outbox claim lasts before another worker may take the row again.")
        var leaseSeconds: Double = 60

        @Option(help: "Longest wait for outbox work without a notification, in seconds.")
        var pollSeconds: Double = 5

        @Option(help: "Outbox rows claimed per transaction (the webhook fan-out takes up to 200 a batch whatever this says).")
        var batchSize: Int = 10

        @Flag(help: "Do not run the expiry sweeper in this process.")
        var noExpiry = false

        @Option(help: "Seconds between looks for calendar sources due a sync (each source has its own interval, default 15 minutes).")
        var calendarSyncSeconds: Int = 60

        @Flag(help: "Do not run the calendar-sync job in this process.")
        var noCalendarSync = false

        @Option(help: "Stripe's API base URL (BOOKIJI_STRIPE_API_BASE; a fake Stripe in tests and local use).")
        var stripeApiBase: String = ProcessInfo.processInfo.environment["BOOKIJI_STRIPE_API_BASE"] ?? "https://api.stripe.com"

        @Option(help: "Reservations whose payments are driven at once (each mostly waits on Stripe).")
        var paymentConcurrency: Int = 32

        @Option(help: "Seconds between reconciliation runs (lost events, unsettled compensation, stalled commits).")
        var reconcileSeconds: Int = 300

        @Option(help: "A host webhooks may go to although it is private or loopback, over http too (tests, local development); repeatable.")
        var webhookAllowHost: [String] = []

        @Option(help: "Webhook deliveries sent at once.")
        var webhookConcurrency: Int = 16

        @Option(help: ArgumentHelp("Benchmarks only: multiply the webhook retry schedule's delays by this.", visibility: .hidden))
        var webhookRetryScale: Double = 1

        @Option(help: "The SMTP relay vendor emails go through, smtp://host:port (STARTTLS when it offers it); without it a vendor's email channel fails and is retried.")
        var smtpUrl: String?

        @Option(help: "PEM file of the certificates trusted for the relay's STARTTLS, instead of the system's.")
        var smtpCaFile: String?

        @Option(help: "The From address of vendor emails.")
        var mailFrom: String = "bookiji@localhost"

        @Option(help: "The public base URL where nginx serves /v/ (vendor confirmation page links), e.g. https://book.example.com.")
        var publicUrl: String?

        @Option(help: "Seconds a reservation in its payment phase may sit without being driven before reconciliation hands it back (and fetches its waiting intents from Stripe).")
        var stalledAfterSeconds: Int = 60

        @Option(help: ArgumentHelp(
            "Test only (debug builds): kill the worker with SIGKILL at this payment step, e.g. vendor-capture:after.",
            visibility: .hidden))
        var testCrashAt: [String] = []

        @Flag(help: ArgumentHelp(
            "Test only: register the `test.record` outbox handler and the `test.periodic` job (see Worker/Testing).",
            visibility: .hidden))
        var testHandlers = false

        @Option(help: ArgumentHelp("Test only: milliseconds `test.record` and `test.periodic` take.", visibility: .hidden))
        var testSleepMs: Int = 200

        @Option(help: ArgumentHelp("Test only: milliseconds between `test.periodic` turns.", visibility: .hidden))
        var testPeriodicEveryMs: Int = 100

        @Option(help: "Serve this worker's metrics (Prometheus text format) at GET /metrics on HOST:PORT, e.g. 127.0.0.1:9464; keep it on loopback or a private network.")
        var metricsListen: String?

        @Option(help: "Seconds between samples of the backlog gauges (outbox, webhook deliveries, stale reservations).")
        var metricsSampleSeconds: Int = 15

        @Option(help: "Seconds to wait for a database connection (socket, authentication, session setup).")
        var databaseConnectTimeout: Double = 5

        @Option(help: ArgumentHelp(
            "Seconds a statement may run (the session's statement_timeout); the worker gives up on a silent server one second later, drops the connection and retries the work on a new one.",
            valueName: "seconds"))
        var databaseStatementTimeout: Double = 30

        @Option(help: "Write the process id to this file.")
        var pidFile: String?

        func validate() throws {
            guard leaseSeconds > 0 else { throw ValidationError("--lease-seconds must be positive") }
            guard pollSeconds > 0 else { throw ValidationError("--poll-seconds must be positive") }
            guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be 1...1000") }
            guard calendarSyncSeconds > 0 else { throw ValidationError("--calendar-sync-seconds must be positive") }
            guard testSleepMs >= 0, testPeriodicEveryMs > 0 else { throw ValidationError("test timings must be positive") }
            guard (1...512).contains(paymentConcurrency) else { throw ValidationError("--payment-concurrency must be 1...512") }
            guard (1...512).contains(webhookConcurrency) else { throw ValidationError("--webhook-concurrency must be 1...512") }
            guard webhookRetryScale > 0, webhookRetryScale <= 1 else { throw ValidationError("--webhook-retry-scale must be in (0, 1]") }
            guard databaseConnectTimeout > 0, databaseConnectTimeout <= 600 else {
                throw ValidationError("--database-connect-timeout must be more than 0 and at most 600")
            }
            guard databaseStatementTimeout >= 0.001, databaseStatementTimeout <= 3600 else {
                throw ValidationError("--database-statement-timeout must be 0.001...3600")
            }
            guard metricsSampleSeconds > 0 else { throw ValidationError("--metrics-sample-seconds must be positive") }
            if let metricsListen {
                do { _ = try MetricsListener.split(metricsListen) } catch { throw ValidationError("--metrics-listen: \(error)") }
            }
            guard reconcileSeconds > 0 else { throw ValidationError("--reconcile-seconds must be positive") }
            guard stalledAfterSeconds >= 0 else { throw ValidationError("--stalled-after-seconds must not be negative") }
            guard stripeApiBase.hasPrefix("http://") || stripeApiBase.hasPrefix("https://") else {
                throw ValidationError("--stripe-api-base must be an http(s) URL, e.g. https://api.stripe.com")
            }
            if let smtpUrl {
                do { _ = try SMTPClient.Configuration(url: smtpUrl) } catch { throw ValidationError("--smtp-url: \(error.message)") }
            }
            do { _ = try EmailAddress.check(mailFrom, field: "--mail-from") } catch { throw ValidationError(error.message) }
            if let publicUrl, !(publicUrl.hasPrefix("https://") || publicUrl.hasPrefix("http://")) {
                throw ValidationError("--public-url must be an http(s) URL, e.g. https://book.example.com")
            }
            for point in testCrashAt where !CrashPoints.all.contains(point) {
                throw ValidationError("unknown crash point \(point); one of \(CrashPoints.all.joined(separator: ", "))")
            }
        }

        func run() throws {
            JSONLogHandler.bootstrap()
            PrometheusExport.bootstrap()
            // A hung database costs a job a bounded wait, not the worker forever; an outage logs
            // one line when it starts and one when it ends.
            PGTimeouts.processDefault = .requestPath(connect: databaseConnectTimeout, statement: databaseStatementTimeout)
            // Through a transaction pooler, the LISTEN hub and the leader locks go to the direct URL.
            try pooler.applyToProcess(database: try db.url())
            DatabaseOutage.observe(DatabaseOutageLog(logger: Logger(label: "bookiji.database")).log)
            let url = try db.url()
            let logger = Logger(label: "bookiji.worker")
            var configuration = BookijiWorker.Configuration(databaseURL: url)
            configuration.logger = logger
            configuration.services.append((name: "metrics.backlog", service: BacklogSampler(
                databaseURL: url, every: .seconds(metricsSampleSeconds), logger: logger)))
            if let metricsListen {
                configuration.services.append((name: "metrics.listener", service: try MetricsListener(address: metricsListen, logger: logger)))
            }
            configuration.expiry = !noExpiry
            configuration.outbox.leaseSeconds = leaseSeconds
            configuration.outbox.pollIntervalSeconds = pollSeconds
            configuration.outbox.batchSize = batchSize
            configuration.jobs.append(Self.operationRecordsPurge(databaseURL: url, logger: logger))
            configuration.jobs.append(Self.outboxPurge(databaseURL: url, logger: logger))
            configuration.jobs.append(TransitionPartitionsJob.make(databaseURL: url, logger: logger))
            if !noCalendarSync {
                configuration.jobs.append(Self.calendarSync(every: calendarSyncSeconds, databaseURL: url, logger: logger))
            }
            // Payments: the driver makes every Stripe call; stored Stripe events are applied;
            // reconciliation repairs what a lost event, signal or crash left.
            var stripeTransport: AsyncHTTPClientTransport?
            // Shut down once the worker has stopped: an HTTPClient released without it traps
            // ("Client not shut down before the deinit"), which made a SIGTERM exit 132 now and then.
            defer { try? stripeTransport?.client.syncShutdown() }
            if let secretKey = ProcessInfo.processInfo.environment["BOOKIJI_STRIPE_SECRET_KEY"], !secretKey.isEmpty {
                // One connection per call in flight (the client lives until the worker stops).
                let transport = AsyncHTTPClientTransport(client: .stripe(connectionsPerHost: paymentConcurrency))
                stripeTransport = transport
                let stripe = StripeClient(
                    configuration: StripeConfiguration(apiBase: stripeApiBase, secretKey: secretKey), transport: transport)
                configuration.handlers.append(PaymentDriver(
                    databaseURL: url, stripe: stripe, concurrency: paymentConcurrency, crashPoints: CrashPoints(testCrashAt),
                    logger: logger))
                configuration.jobs.append(Self.reconciliation(
                    every: reconcileSeconds, stalledAfter: stalledAfterSeconds, databaseURL: url, logger: logger))
                configuration.jobs.append(Self.staleAuthorizationCleanup(databaseURL: url, logger: logger))
            } else {
                logger.warning("payments are off: BOOKIJI_STRIPE_SECRET_KEY is not set, so no Stripe call is made and confirmed reservations wait until they expire")
            }
            configuration.databaseHandlers.append(StripeEventHandler())
            // Partner webhooks: events fan out to deliveries, which the sender signs and sends.
            configuration.databaseHandlers.append(WebhookFanOut())
            var webhooks = WebhookSender.Settings()
            webhooks.concurrency = webhookConcurrency
            webhooks.retryScale = webhookRetryScale
            webhooks.policy = WebhookURLPolicy(allowedHosts: webhookAllowHost)
            configuration.services.append((name: "webhooks", service: WebhookSender(
                databaseURL: url, settings: webhooks, notifications: configuration.notifications, logger: logger)))
            configuration.handlers.append(try vendorNotifier(databaseURL: url, logger: logger))
            if testHandlers {
                configuration.handlers.append(TestRecordHandler(databaseURL: url, sleepMillis: testSleepMs))
                configuration.databaseHandlers.append(TestDatabaseRecordHandler())
                configuration.jobs.append(PeriodicJob(
                    name: TestPeriodicJob.name, every: .milliseconds(testPeriodicEveryMs), databaseURL: url, logger: logger,
                    body: TestPeriodicJob.body(sleepMillis: testSleepMs)))
            }
            if let pidFile {
                try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
            }
            let worker = BookijiWorker(configuration)
            try blockingAwait { try await worker.run() }
            if let pidFile { try? FileManager.default.removeItem(atPath: pidFile) }
        }

        /// Vendor notifications: webhooks (the partners' SSRF rules) and email through the relay,
        /// with links to the confirmation page signed by the page key.
        func vendorNotifier(databaseURL: String, logger: Logger) throws -> VendorNotifier {
            var settings = VendorNotifier.Settings()
            settings.policy = WebhookURLPolicy(allowedHosts: webhookAllowHost)
            settings.mailFrom = mailFrom
            settings.publicURL = publicUrl
            settings.pageKey = try VendorPageKey.fromEnvironment(ProcessInfo.processInfo.environment)
            if let smtpUrl {
                var smtp = try SMTPClient.Configuration(url: smtpUrl, clientName: ProcessInfo.processInfo.hostName)
                smtp.trustedCertificatesFile = smtpCaFile
                settings.smtp = try SMTPClient(configuration: smtp)
            } else {
                logger.warning("vendor email is off: no --smtp-url (vendors with an email address cannot be notified by email)")
            }
            if settings.publicURL == nil || settings.pageKey == nil {
                logger.warning("vendor notifications carry no confirmation link: set --public-url and BOOKIJI_PAGE_KEY (or BOOKIJI_TOKEN_KEY)")
            }
            return VendorNotifier(databaseURL: databaseURL, settings: settings, logger: logger)
        }

        /// Deletes payment-call recovery points that finished more than 24 hours ago, hourly.
        static func operationRecordsPurge(databaseURL: String, logger: Logger) -> PeriodicJob {
            PeriodicJob.onSession(name: "operation-records-purge", every: .seconds(3600), databaseURL: databaseURL, logger: logger) {
                session, now in
                let purged = try OperationRecords(database: Database(session: session)).purge(now: now)
                return ["purged": purged]
            }
        }

        /// Deletes outbox rows delivered more than 7 days ago, hourly (dead letters stay).
        static func outboxPurge(databaseURL: String, logger: Logger) -> PeriodicJob {
            PeriodicJob.onSession(name: "outbox-purge", every: .seconds(3600), databaseURL: databaseURL, logger: logger) { session, _ in
                let purged = try OutboxStore(session: session).purgeDelivered(olderThan: 7 * 86_400)
                return ["purged": purged]
            }
        }

        /// Hands back to the payment driver every reservation that needs it and is not being driven
        /// (spec: "Repair Logic"), every `seconds` (5 minutes by default), under its leader lock.
        static func reconciliation(every seconds: Int, stalledAfter: Int, databaseURL: String, logger: Logger) -> PeriodicJob {
            PeriodicJob.onSession(name: "payment-reconciliation", every: .seconds(seconds), databaseURL: databaseURL, logger: logger) {
                session, now in
                let report = try PaymentFlow(database: Database(session: session)).reconcile(now: now, quietSeconds: Int64(stalledAfter))
                if report.unsettled + report.stalled > 0 {
                    logger.info("payments reconciled", metadata: ["unsettled": "\(report.unsettled)", "stalled": "\(report.stalled)"])
                }
                return ["unsettled": report.unsettled, "stalled": report.stalled]
            }
        }

        /// Daily: reservations holding an authorization older than 7 days (Stripe lapses them) are
        /// expired if still active, and their authorizations canceled.
        static func staleAuthorizationCleanup(databaseURL: String, logger: Logger) -> PeriodicJob {
            PeriodicJob.onSession(name: "stale-authorization-cleanup", every: .seconds(86_400), databaseURL: databaseURL, logger: logger) {
                session, now in
                let report = try PaymentFlow(database: Database(session: session))
                    .reconcile(now: now, staleAuthorizationAge: 7 * 86_400)
                if report.staleAuthorizations > 0 {
                    logger.warning("stale authorizations cleaned up", metadata: ["reservations": "\(report.staleAuthorizations)"])
                }
                return ["staleAuthorizations": report.staleAuthorizations, "unsettled": report.unsettled, "stalled": report.stalled]
            }
        }

        /// Syncs every calendar source whose own interval has elapsed (Google, Microsoft, ICS
        /// feeds), under the job's leader lock; each source's failure is recorded on the source.
        static func calendarSync(every seconds: Int, databaseURL: String, logger: Logger) -> PeriodicJob {
            PeriodicJob(name: "calendar-sync", every: .seconds(seconds), databaseURL: databaseURL, logger: logger) { now in
                let outcomes = try await CalendarSyncs(session: try Session(url: databaseURL)).syncDue(now: now)
                let failed = outcomes.filter(\.failed).count
                if !outcomes.isEmpty {
                    logger.info("calendar sources synced", metadata: ["synced": "\(outcomes.count - failed)", "failed": "\(failed)"])
                }
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each job's last run and the outbox's depth (pending, in flight, dead letters, oldest pending).")

        @OptionGroup var db: DatabaseOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let status = try cliErrors { try WorkerStatus.read(databaseURL: db.url()) }
            let now = Date().timeIntervalSince1970
            if json {
                printJSON { json in
                    json.key("jobs")
                    json.arrayStart()
                    for job in status.jobs {
                        json.objectStart()
                        json.field("job", job.job)
                        json.key("lastStartedAt"); json.instant(Int64(job.lastStartedAt))
                        json.key("lastFinishedAt")
                        if let finished = job.lastFinishedAt { json.instant(Int64(finished)) } else { json.null() }
                        json.field("outcome", job.lastOutcome)
                        json.field("error", job.lastError)
                        json.field("worker", job.lastWorker)
                        json.field("runs", job.runs)
                        json.field("failures", job.failures)
                        json.field("lastReport", job.lastReport)
                        json.field("totals", job.totals)
                        json.objectEnd()
                    }
                    json.arrayEnd()
                    json.key("outbox")
                    json.objectStart()
                    json.field("pending", status.outbox.pending)
                    json.field("inFlight", status.outbox.inFlight)
                    json.field("deadLetters", status.outbox.deadLetters)
                    json.key("oldestPendingAgeSeconds")
                    if let age = status.outbox.oldestPendingAgeSeconds { json.double(age) } else { json.null() }
                    json.objectEnd()
                }
                return
            }
            if status.jobs.isEmpty { print("jobs: none has run yet") }
            for job in status.jobs {
                let ago = Int((now - job.lastStartedAt).rounded())
                var line = "job \(job.job): last run \(ago)s ago by \(job.lastWorker), \(job.lastOutcome)"
                if let error = job.lastError { line += " (\(error))" }
                line += "; \(job.runs) runs, \(job.failures) failed"
                if !job.totals.isEmpty { line += "; last run: \(job.lastReport.isEmpty ? "-" : job.lastReport); totals: \(job.totals)" }
                print(line)
            }
            let age = status.outbox.oldestPendingAgeSeconds.map { "\(Int($0.rounded()))s" } ?? "-"
            print("outbox: \(status.outbox.pending) pending (\(status.outbox.inFlight) in flight), "
                + "\(status.outbox.deadLetters) dead letters, oldest pending \(age)")
        }
    }
}

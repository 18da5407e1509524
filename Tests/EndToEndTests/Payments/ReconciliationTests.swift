import Foundation
import Postgres
import Testing

/// Repair (issue 12, point 6): reconciliation hands back to the driver what a lost Stripe event
/// or a lost signal left waiting, and `bookiji worker status` says what it did.
@Suite(.serialized)
struct ReconciliationTests {
    static let fast = ["--reconcile-seconds", "1", "--stalled-after-seconds", "1"]

    /// 3-D Secure completed in the browser, but Stripe's event never arrives: reconciliation
    /// fetches the intent from Stripe, finds it authorized, and the booking commits.
    @Test func anIntentWhoseEventNeverArrivedIsFetched() throws {
        let world = try PaymentWorld(workerArguments: Self.fast, webhooks: false)
        defer { world.stop() }
        let (id, _, intent) = try world.awaitingAuthentication()
        try world.authenticate(intent)
        try world.waitFor(id, state: "COMMITTED", seconds: 30)
        #expect(try world.scalar("SELECT count(*) FROM stripe_events") == 0, "no event came: the worker fetched the intent")
        let status = try world.service.bookiji(["worker", "status"])
        #expect(status.contains("job payment-reconciliation"), "\(status)")
        #expect(status.contains("stalled="), "\(status)")
    }

    /// A commit left by a crash whose signal was lost too (the outbox row deleted): reconciliation
    /// resumes it.
    @Test func aCommitLeftByACrashIsResumed() throws {
        let world = try PaymentWorld(workerArguments: ["--test-crash-at", "vendor-capture:before", "--lease-seconds", "2"])
        defer { world.stop() }
        let id = try world.hold()
        try world.confirm(id)
        try world.authorizeVendor(id)
        try world.authorizeRequester(id)
        #expect(world.worker?.waitForExit(seconds: 30) != nil, "the worker died before the capture")
        #expect(try world.reservation(id)["state"] as? String == "COMMIT_IN_PROGRESS")
        try world.service.sql().query("DELETE FROM outbox WHERE topic = 'payment.advance'")
        try world.startWorker(Self.fast + ["--lease-seconds", "2"])
        try world.waitFor(id, state: "COMMITTED", seconds: 30)
        let json = try world.service.bookiji(["worker", "status", "--json"])
        let jobs = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
        let reconciliation = try #require(jobs.first { $0["job"] as? String == "payment-reconciliation" })
        #expect((reconciliation["totals"] as? String)?.contains("stalled=1") == true, "\(reconciliation)")
    }
}

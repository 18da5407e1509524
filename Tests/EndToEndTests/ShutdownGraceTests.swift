import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `bookiji serve --shutdown-grace-seconds`: after SIGTERM a request in flight gets that long to
/// finish, and no longer. The request is held in flight by a table lock it waits for (with a
/// statement timeout longer than the test, so only the grace period decides).
struct ShutdownGraceTests {
    @Test(arguments: [(grace: 8, finishes: true), (grace: 1, finishes: false)])
    func inFlightRequestGetsTheGracePeriodAfterSigterm(grace: Int, finishes: Bool) throws {
        let service = try Service(responderArguments: [
            "--shutdown-grace-seconds", String(grace), "--database-statement-timeout", "60",
        ])
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendorID = try service.createVendor()
        #expect(try service.get("/v1/vendors/\(vendorID)", key: key).status == 200)

        let blocker = try service.sql()
        try blocker.execute(script: "BEGIN; LOCK TABLE vendors IN ACCESS EXCLUSIVE MODE")
        let result = ResultBox()
        Thread { result.set(try? service.get("/v1/vendors/\(vendorID)", key: key)) }.start()
        let admin = try service.sql()
        try #require(eventually(seconds: 5) {
            (try? admin.query("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'vendors'::regclass").first!.int(0)) == 1
        })
        let responder = try #require(service.responder)
        let signalled = ContinuousClock.now
        responder.signal(SIGTERM)

        if finishes {
            // Well past the old hard-coded 4.5 s, still inside the grace period.
            usleep(5_500_000)
            #expect(responder.isRunning, "the responder must wait for the in-flight request")
            try blocker.execute(script: "COMMIT")
            #expect(responder.waitForExit(seconds: 5) == 0, "responder log:\n\(responder.log)")
            #expect(eventually(seconds: 5) { result.value != nil })
            #expect(result.value?.status == 200)
        } else {
            let status = responder.waitForExit(seconds: Double(grace) + 4)
            let elapsed = ContinuousClock.now - signalled
            #expect(status != nil, "the responder outlived its grace period")
            #expect(elapsed >= .seconds(grace), "exited after \(elapsed), before the grace period was over")
            // The request was cut: nginx got no answer from the responder.
            #expect(eventually(seconds: 5) { result.value != nil })
            #expect(result.value?.status != 200)
            #expect(responder.log.contains("shutdown grace period over"))
            try blocker.execute(script: "ROLLBACK")
        }
    }
}

import FastCGI
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FastCGIServerTests {
    /// N worker threads serve N requests at once.
    @Suite struct Concurrency {
        static let slowMilliseconds = 400

        @Test func slowRequestsAreServedInParallelByTheWorkerThreads() throws {
            let server = try TestServer(threads: 4)
            defer { server.shutDown() }
            let slow = Self.slowMilliseconds
            let started = ContinuousClock.now
            let statuses = try onThreads(4) { _ in try server.send(path: "/slow", query: "ms=\(slow)").status }
            let elapsed = ContinuousClock.now - started
            #expect(statuses == [200, 200, 200, 200])
            #expect(elapsed >= .milliseconds(slow))
            #expect(elapsed < .milliseconds(slow * 2), "4 slow requests on 4 threads took \(elapsed)")
            #expect(server.recorder.read { $0.workers } == [0, 1, 2, 3])
        }

        /// The contrast that shows the test above measures the threads: one worker queues them.
        @Test func oneWorkerServesOneRequestAtATime() throws {
            let server = try TestServer(threads: 1)
            defer { server.shutDown() }
            let slow = Self.slowMilliseconds
            let started = ContinuousClock.now
            let statuses = try onThreads(3) { _ in try server.send(path: "/slow", query: "ms=\(slow)").status }
            #expect(statuses == [200, 200, 200])
            #expect(ContinuousClock.now - started >= .milliseconds(3 * slow))
        }
    }

    /// `stop()` and SIGTERM/SIGINT: no new requests, in-flight ones finish, then `run` returns.
    @Suite struct Shutdown {
        @Test func stopLetsTheInFlightRequestFinishThenRunReturns() throws {
            let server = try TestServer(threads: 2)
            defer { server.shutDown() }
            let inFlight = Background { try server.send(path: "/slow", query: "ms=600") }
            try #require(eventually(seconds: 5) { server.recorder.read { $0.started } == 1 })

            server.server.stop()
            let returnedAt = server.waitForRunToReturn(seconds: 4)
            #expect(returnedAt != nil, "run(_:) did not return within 4 s of stop()")

            let response = try #require(inFlight.wait(seconds: 5)).get()
            #expect(response.status == 200)
            if let returnedAt, let finished = server.recorder.read({ $0.lastFinish }) {
                #expect(finished <= returnedAt)
            }
            // No new connections once stopped.
            #expect(throws: FastCGIClientError.self) { try FastCGIClient.connect(server.socketPath) }
        }

        /// Stopping one server must not stop the servers started after it in the same process
        /// (libfcgi's `FCGX_ShutdownPending()` would: its flag is process-wide and never cleared).
        @Test func serverStartedAfterAnotherWasStoppedStillServes() throws {
            let first = try TestServer(threads: 1)
            #expect(try first.send(path: "/echo").status == 200)
            first.shutDown()
            #expect(first.waitForRunToReturn(seconds: 0) != nil)

            let second = try TestServer(threads: 1)
            defer { second.shutDown() }
            #expect(try second.send(path: "/echo", timeoutSeconds: 3).status == 200)
        }

        /// Sends the signal to this very process. Safe only while ``FastCGIServer/run(_:)`` has its
        /// handler installed (checked first), and this suite runs one server at a time.
        @Test(arguments: [SIGTERM, SIGINT])
        func signalStopsTheServerAfterInFlightRequests(_ signal: Int32) throws {
            let server = try TestServer(threads: 2)
            defer { server.shutDown() }
            // One answered request proves `run` has started its workers, which it does only
            // after installing the signal handlers.
            #expect(try server.send(path: "/echo").status == 200)
            try #require(Self.hasHandler(signal), "run(_:) did not install a handler; not sending the signal")

            let inFlight = Background { try server.send(path: "/slow", query: "ms=500") }
            try #require(eventually(seconds: 5) { server.recorder.read { $0.started } == 2 })
            kill(getpid(), signal)

            let returnedAt = server.waitForRunToReturn(seconds: 5)
            #expect(returnedAt != nil, "run(_:) did not return after signal \(signal)")
            let response = try #require(inFlight.wait(seconds: 5)).get()
            #expect(response.status == 200)
            if let returnedAt, let finished = server.recorder.read({ $0.lastFinish }) {
                #expect(finished <= returnedAt)
            }
            #expect(access(server.socketPath, F_OK) != 0, "the socket file is removed on shutdown")
        }

        /// The grace period is the server's to honour: a request slower than it is given up on
        /// (`run` returns and the process would exit under it), one within it finishes first.
        @Test(arguments: [(grace: 2.0, slowMilliseconds: 800, finishes: true), (grace: 0.3, slowMilliseconds: 2500, finishes: false)])
        func inFlightRequestGetsTheGracePeriodAndNoMore(grace: Double, slowMilliseconds: Int, finishes: Bool) throws {
            let server = try TestServer(threads: 2, shutdownGraceSeconds: grace)
            defer { server.shutDown() }
            let inFlight = Background { try server.send(path: "/slow", query: "ms=\(slowMilliseconds)") }
            try #require(eventually(seconds: 5) { server.recorder.read { $0.started } == 1 })

            let stoppedAt = ContinuousClock.now
            server.server.stop()
            let returnedAt = try #require(server.waitForRunToReturn(seconds: grace + 3), "run(_:) did not return")
            let finishedBeforeReturn = server.recorder.read { $0.handled } == 1
            #expect(finishedBeforeReturn == finishes)
            if finishes {
                #expect(try #require(inFlight.wait(seconds: 5)).get().status == 200)
            } else {
                // Given up on at the end of the grace period, not when the request ended.
                #expect(returnedAt - stoppedAt >= .milliseconds(Int(grace * 1000)))
                #expect(returnedAt - stoppedAt < .milliseconds(slowMilliseconds - 500), "run returned after \(returnedAt - stoppedAt)")
                _ = inFlight.wait(seconds: 5)
            }
        }

        static func hasHandler(_ signal: Int32) -> Bool {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0, let handler = current.__sigaction_handler.sa_handler else {
                return false
            }
            return unsafeBitCast(handler, to: Int.self) != 1  // SIG_IGN
        }
    }
}

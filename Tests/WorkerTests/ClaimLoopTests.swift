import Logging
import Testing
@testable import Worker

/// The claim loop, in process: a backlog is claimed in batches, a lone item is claimed at once,
/// concurrency is never exceeded and every item is handled once.
struct ClaimLoopTests {
    /// A queue of items (milliseconds each takes), with what the loop did to it.
    actor Queue {
        var items: [Int]
        /// Each claim: how many it asked for, how many it got.
        private(set) var claims: [(asked: Int, got: Int)] = []
        private(set) var handled: [Int] = []
        private(set) var started: [Int: ContinuousClock.Instant] = [:]
        private(set) var inFlight = 0
        private(set) var mostInFlight = 0
        private var next = 0

        init(_ items: [Int]) { self.items = items }

        func claim(_ limit: Int) -> [(id: Int, ms: Int)] {
            let taken = items.prefix(limit).map { ms -> (id: Int, ms: Int) in
                defer { next += 1 }
                return (next, ms)
            }
            items.removeFirst(taken.count)
            claims.append((limit, taken.count))
            return taken
        }

        func add(_ ms: Int) { items.append(ms) }

        func begin(_ id: Int) {
            started[id] = .now
            inFlight += 1
            mostInFlight = max(mostInFlight, inFlight)
        }

        func end(_ id: Int) {
            inFlight -= 1
            handled.append(id)
        }
    }

    /// Runs the loop until `done` says so (or 10 s pass), then shuts it down.
    func run(_ queue: Queue, concurrency: Int, batch: Int, until done: @escaping @Sendable () async -> Bool) async {
        let shutdown = ShutdownFlag()
        let loop = ClaimLoop(concurrency: concurrency, batch: batch, shutdown: shutdown, logger: Logger(label: "test"), label: "test")
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await loop.run(
                    claim: { limit in await queue.claim(limit) },
                    wait: { try await Task.sleep(for: .milliseconds(5)) },
                    handle: { item in
                        await queue.begin(item.id)
                        try? await Task.sleep(for: .milliseconds(item.ms))
                        await queue.end(item.id)
                    })
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(10)
                while !(await done()), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
                shutdown.raise()
            }
        }
    }

    @Test func aBacklogIsClaimedInBatches() async {
        // Items of unequal lengths finish one at a time: claiming as each slot frees would ask
        // for one at a time.
        let queue = Queue((0..<40).map { 10 + ($0 % 4) * 7 })
        await run(queue, concurrency: 8, batch: 2) { await queue.handled.count == 40 }
        let claims = await queue.claims, handled = await queue.handled
        #expect(handled.sorted() == Array(0..<40))
        #expect(await queue.mostInFlight <= 8)
        // The first claim takes every slot; each later one while the backlog lasts (up to the
        // first that was not full) waits for two.
        let backlog = claims.prefix { $0.got == $0.asked }
        #expect(claims.first?.asked == 8)
        #expect(backlog.count >= 10 && backlog.dropFirst().allSatisfy { $0.asked >= 2 }, "\(claims)")
    }

    @Test func aLoneItemIsClaimedAtOnceWhileOthersRun() async {
        // Three slow items hold three of four slots; the claim after them was not full, so an
        // item arriving meanwhile takes the free slot at once, not after a batch of slots frees.
        let queue = Queue([400, 400, 400])
        let began = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await run(queue, concurrency: 4, batch: 4) { await queue.handled.count == 5 }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(50))
                await queue.add(10)
                try? await Task.sleep(for: .milliseconds(50))
                await queue.add(10)
            }
        }
        let started = await queue.started
        for id in [3, 4] {
            let after = started[id].map { $0 - began } ?? .seconds(99)
            #expect(after < .milliseconds(300), "item \(id) started after \(after)")
        }
        #expect(await queue.mostInFlight <= 4)
    }
}

import Logging
import Store

/// Keeps up to `concurrency` items in flight: claims as many as there are free slots, starts each
/// at once in a task of its own, waits for work when a claim comes back empty, and stops claiming
/// at shutdown while the items in flight finish. The outbox's concurrent dispatchers and the
/// webhook sender run on it.
///
/// With a `batch` above 1, a claim of `batch` or more that came back full (a backlog) is followed
/// by one only when `batch` slots are free, so a backlog is claimed in batches rather than an item
/// or two as each finishes (each claim is a statement; Benchmarks/webhooks measured 1.5 rows a
/// claim). After a claim that was not full, the next one claims as soon as one slot is free, so a
/// lone item is never held back waiting for others.
struct ClaimLoop: Sendable {
    let concurrency: Int
    /// Slots the next claim waits for after a full claim (at most `concurrency`).
    let batch: Int
    let shutdown: ShutdownFlag
    let logger: Logger
    /// Names the loop in its error log lines.
    let label: String

    init(concurrency: Int, batch: Int = 1, shutdown: ShutdownFlag, logger: Logger, label: String) {
        self.concurrency = concurrency
        self.batch = min(max(1, batch), max(1, concurrency))
        self.shutdown = shutdown
        self.logger = logger
        self.label = label
    }

    /// - Parameters:
    ///   - claim: claims up to the given number of items (leasing them).
    ///   - wait: returns when there may be work again (a notification, a due retry, the poll).
    ///   - handle: works on one item and records its outcome; never throws.
    func run<Item: Sendable>(
        claim: @escaping @Sendable (Int) async throws -> [Item], wait: @escaping @Sendable () async throws -> Void,
        handle: @escaping @Sendable (Item) async -> Void
    ) async {
        let slots = Slots(concurrency)
        var wanted = 1
        await withDiscardingTaskGroup { group in
            while !shutdown.isRaised {
                await slots.acquire(wanted)
                let free = await slots.takeAll() + wanted
                do {
                    let claimed = try await claim(free)
                    await slots.release(free - claimed.count)
                    // A full claim of a batch or more leaves more behind: the next waits for a
                    // batch of free slots. A small one (slots held by slow items) does not, so an
                    // item arriving meanwhile is not held back behind them.
                    wanted = free >= batch && claimed.count >= free ? batch : 1
                    if claimed.isEmpty {
                        try await wait()
                        continue
                    }
                    for item in claimed {
                        group.addTask {
                            await handle(item)
                            await slots.release(1)
                        }
                    }
                } catch {
                    await slots.release(free)
                    wanted = 1
                    logger.error("\(label) failed", metadata: ["error": "\(oneLine(error))"])
                    await shutdown.sleep(seconds: 1)
                }
            }
        }
    }
}

extension DatabaseExecutor {
    /// The shortest wait after an empty claim: a row due now that the claim skipped is locked by
    /// another transaction (being claimed, delivered or woken), so claiming again at once would spin.
    static let minimumWaitSeconds = 0.05
}

/// Counting semaphore for the loop's items in flight; one taker (the loop), many releasers.
private actor Slots {
    private var free: Int
    private var waiter: (count: Int, continuation: CheckedContinuation<Void, Never>)?

    init(_ count: Int) { free = count }

    /// Takes `count` slots, waiting until that many are free.
    func acquire(_ count: Int) async {
        precondition(waiter == nil, "one taker at a time")
        if free >= count {
            free -= count
            return
        }
        await withCheckedContinuation { waiter = (count, $0) }
    }

    /// Takes every free slot at once; returns how many.
    func takeAll() -> Int {
        defer { free = 0 }
        return free
    }

    func release(_ count: Int) {
        free += max(0, count)
        if let waiter, free >= waiter.count {
            free -= waiter.count
            self.waiter = nil
            waiter.continuation.resume()
        }
    }
}

import Logging
import Store

/// Keeps up to `concurrency` items in flight: claims as many as there are free slots, starts each
/// at once in a task of its own, waits for work when a claim comes back empty, and stops claiming
/// at shutdown while the items in flight finish. The outbox's concurrent dispatchers and the
/// webhook sender run on it.
struct ClaimLoop: Sendable {
    let concurrency: Int
    let shutdown: ShutdownFlag
    let logger: Logger
    /// Names the loop in its error log lines.
    let label: String

    /// - Parameters:
    ///   - claim: claims up to the given number of items (leasing them).
    ///   - wait: returns when there may be work again (a notification, a due retry, the poll).
    ///   - handle: works on one item and records its outcome; never throws.
    func run<Item: Sendable>(
        claim: @escaping @Sendable (Int) async throws -> [Item], wait: @escaping @Sendable () async throws -> Void,
        handle: @escaping @Sendable (Item) async -> Void
    ) async {
        let slots = Slots(concurrency)
        await withDiscardingTaskGroup { group in
            while !shutdown.isRaised {
                await slots.acquire()
                let free = await slots.takeAll() + 1
                do {
                    let claimed = try await claim(free)
                    await slots.release(free - claimed.count)
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

/// Counting semaphore for the dispatcher's rows in flight.
private actor Slots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    /// Takes one slot, waiting until one is free.
    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Takes every free slot at once; returns how many.
    func takeAll() -> Int {
        defer { free = 0 }
        return free
    }

    func release(_ count: Int) {
        for _ in 0..<max(0, count) {
            if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
        }
    }
}

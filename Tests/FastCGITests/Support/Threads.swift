import Foundation
import Synchronization

/// Runs `body(0..<count)` on `count` dedicated threads at once and returns the results in index
/// order. Dedicated threads, not tasks: the bodies block on sockets by design.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let jobs = (0..<count).map { index in Background { try body(index) } }
    return try jobs.map { try $0.wait(seconds: 60)!.get() }
}

/// One blocking job on its own thread, whose result can be awaited with a deadline.
final class Background<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread { [self] in
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
            finished.signal()
        }.start()
    }

    /// The job's result, or nil if it has not finished within `seconds`.
    func wait(seconds: Double) -> Result<T, any Error>? {
        guard finished.wait(timeout: .now() + seconds) == .success else { return nil }
        finished.signal()
        return result.withLock { $0 }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventually(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

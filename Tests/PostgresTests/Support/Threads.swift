import Foundation

/// Runs `body(0..<count)` on `count` dedicated threads at once and returns the results in index
/// order. Dedicated threads, not tasks: the bodies block (on locks, on the database) by design.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = ResultBox<T>(count: count)
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        Thread {
            results.set(index, Result { try body(index) })
            done.leave()
        }.start()
    }
    done.wait()
    return try results.values()
}

/// Results written by the threads of ``onThreads(_:_:)``, each slot once, under the lock.
private final class ResultBox<T: Sendable>: @unchecked Sendable {  // all access goes through `lock`
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<T, any Error>) {
        lock.withLock { slots[index] = value }
    }

    func values() throws -> [T] {
        try lock.withLock { try slots.map { try $0!.get() } }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises every call into libical.
///
/// libical 3.0 keeps process-wide mutable state: the built-in zone table that it fills lazily
/// from the system zoneinfo, each zone's lazily expanded transition array, and the error-state
/// tables behind `icalerrno`. Whether those are protected depends on how the distribution built
/// libical, so we do not rely on it: one lock around all libical work makes the module safe to
/// call from any thread. Parsing the file and formatting output happen outside the lock; only
/// zone lookups and recurrence iteration run inside it, and the offline import path is not
/// latency-critical. The mutex is recursive so that a ``ZoneRules`` freed while the lock is held
/// (its deinit also takes the lock) cannot deadlock.
enum LibicalLock {
    static func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body()
    }

    private static let mutex = RecursiveMutex()
}

/// A recursive pthread mutex.
// @unchecked Sendable: the pthread mutex is the synchronisation primitive itself; its storage is
// allocated once, never moved, and only touched through pthread calls.
final class RecursiveMutex: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        storage = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(storage, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(storage)
        storage.deallocate()
    }

    func lock() { pthread_mutex_lock(storage) }
    func unlock() { pthread_mutex_unlock(storage) }
}

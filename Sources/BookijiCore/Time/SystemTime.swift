#if canImport(Glibc)
import Glibc
#endif

/// The process's clocks, in the units the service uses.
public enum SystemTime {
    /// Wall-clock seconds since the Unix epoch.
    public static func epochSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    /// Monotonic nanoseconds, for durations and cache expiry.
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

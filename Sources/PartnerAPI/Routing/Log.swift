#if canImport(Glibc)
import Glibc
#endif

/// Minimal line logging to stderr (collected by the service manager). One `write(2)` per line
/// keeps lines from different threads whole.
public enum Log {
    public static func info(_ message: String) { write("info", message) }
    public static func error(_ message: String) { write("error", message) }

    private static func write(_ level: String, _ message: String) {
        var line = "bookiji[\(getpid())] \(level): \(message)\n"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

import BookijiCore
import Foundation
import Logging
import PartnerAPI
import Synchronization

/// swift-log's handler for the long-running commands (`serve`, `worker`): one JSON object per
/// line on standard error, for the service manager to collect:
/// `{"time":"…","level":"info","label":"bookiji.api","message":"request","requestId":"…",…}`.
///
/// Each line goes out in one `write(2)`, so lines from different threads never interleave.
struct JSONLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var json = JSONWriter(capacity: 256)
        json.objectStart()
        json.field("time", Self.timestamp())
        json.field("level", event.level.rawValue)
        json.field("label", label)
        json.field("message", event.message.description)
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) { json.field(key, value.description) }
        json.objectEnd()
        var line = json.bytes
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }

    /// Now as RFC 3339 UTC with milliseconds (Core's byte formatter: a request's log line is
    /// on the hot path, and calendar arithmetic through `gmtime_r` and string interpolation cost
    /// several times more).
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return RFC3339.format(millis: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000))
    }

    /// Routes every `Logger` of the process here, at the level `BOOKIJI_LOG_LEVEL` names (`trace`,
    /// `debug`, `info` (the default), `notice`, `warning`, `error`, `critical`). Safe to call
    /// more than once.
    static func bootstrap() {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level = ProcessInfo.processInfo.environment["BOOKIJI_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }

    private static let bootstrapped = Mutex(false)
}

import CoreMetrics

/// The partner API's latency histogram for one responder thread: its handles are kept per
/// (method, route template, status class), so a request costs a dictionary lookup on this
/// thread and the histogram's own lock, not a registry lookup. Used by one thread only.
public struct RequestLatencyRecorder {
    private struct Key: Hashable {
        var method: String
        var route: String
        var statusClass: UInt8
    }

    private var timers: [Key: CoreMetrics.Timer] = [:]

    public init() {}

    /// The route label of a request that matched no route (404 and friends): one series, not
    /// one per path a scanner tries.
    public static let unmatchedRoute = "unmatched"

    /// Records one answered request.
    /// - Parameters:
    ///   - method: the request method; anything but the usual few is recorded as `OTHER`.
    ///   - route: the matched route's template (`/v1/reservations/{reservationId}`), never the raw path.
    public mutating func record(method: String, route: String, status: Int, nanoseconds: UInt64) {
        let key = Key(method: Self.knownMethods.contains(method) ? method : "OTHER", route: route, statusClass: UInt8(clamping: status / 100))
        let timer: CoreMetrics.Timer
        if let known = timers[key] {
            timer = known
        } else {
            timer = CoreMetrics.Timer(label: MetricCatalogue.apiRequestDuration.name, dimensions: [
                ("method", key.method), ("route", key.route), ("status_class", "\(key.statusClass)xx"),
            ])
            timers[key] = timer
        }
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
}

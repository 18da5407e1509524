import CoreMetrics
import Prometheus
import Synchronization

/// The process's one Prometheus registry behind the swift-metrics facade, and its text
/// exposition for `GET /metrics` (the responder's route, the worker's listener).
///
/// swift-prometheus' own factory registers every metric without help text, which `promtool check
/// metrics` rejects; this one takes the help and buckets from ``MetricCatalogue``.
public enum PrometheusExport {
    private static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)
    private static let installed = Atomic<Bool>(false)

    /// Whether ``bootstrap()`` has run: handles made from now on are Prometheus' and may be kept.
    static var isBootstrapped: Bool { installed.load(ordering: .acquiring) }

    /// Installs the Prometheus factory as the process's metrics backend; later calls do nothing.
    /// Until it runs (in-process tests), metrics go to swift-metrics' no-op handlers.
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(CatalogueFactory(registry: registry))
            installed.store(true, ordering: .releasing)
            done = true
        }
    }

    /// Every registered metric in the Prometheus text format (version 0.0.4).
    public static func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// The `Content-Type` of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}

/// swift-metrics handlers made by a ``PrometheusCollectorRegistry``, each with its catalogue
/// entry's help text and buckets.
struct CatalogueFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    static let fallbackDurationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The name with its catalogue help (the whole name as `metricName`: the catalogue's names
    /// already carry their unit).
    private func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: name, unitName: "",
            helpText: MetricCatalogue.byName[name]?.help ?? "Recorded through swift-metrics; not in Bookiji's catalogue.")
    }

    private func buckets(_ name: String) -> [Double] {
        let defined = MetricCatalogue.byName[name]?.buckets ?? []
        return defined.isEmpty ? Self.fallbackDurationBuckets : defined
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = buckets(label).map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        return registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets)
    }

    // Bookiji's metrics live as long as the process; nothing is destroyed.
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

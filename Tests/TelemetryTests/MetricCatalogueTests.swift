import BookijiCore
import Prometheus
import Testing
@testable import Telemetry

/// The catalogue follows Prometheus' conventions, and the exporter gives every family its help.
struct MetricCatalogueTests {
    @Test(arguments: MetricCatalogue.all)
    func namesFollowTheConventions(_ metric: MetricDefinition) {
        #expect(metric.name.hasPrefix("bookiji_"))
        #expect(metric.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
        #expect(!metric.help.isEmpty)
        switch metric.kind {
        case .counter:
            #expect(metric.name.hasSuffix("_total"))
        case .histogram:
            #expect(metric.name.hasSuffix("_seconds"), "histograms here are durations, in seconds")
            #expect(metric.buckets.count >= 5 && metric.buckets == metric.buckets.sorted())
        case .gauge:
            #expect(!metric.name.hasSuffix("_total"))
        }
    }

    @Test func namesAreUnique() {
        #expect(Set(MetricCatalogue.all.map(\.name)).count == MetricCatalogue.all.count)
    }

    /// Each family carries its catalogue help and buckets (swift-prometheus' own factory would
    /// register them without help, which `promtool check metrics` rejects).
    @Test func theExporterWritesHelpAndBucketsFromTheCatalogue() {
        let registry = PrometheusCollectorRegistry()
        let factory = CatalogueFactory(registry: registry)
        factory.makeCounter(label: MetricCatalogue.commits.name, dimensions: [("outcome", "committed")]).increment(by: 2)
        factory.makeTimer(label: MetricCatalogue.apiRequestDuration.name, dimensions: [
            ("method", "GET"), ("route", "/v1/vendors/{vendorId}"), ("status_class", "2xx"),
        ]).recordNanoseconds(3_000_000)
        factory.makeMeter(label: MetricCatalogue.staleReservations.name, dimensions: []).set(Double(7))
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains("# HELP bookiji_commits_total \(MetricCatalogue.commits.help)"))
        #expect(text.contains(#"bookiji_commits_total{outcome="committed"} 2"#))
        #expect(text.contains("# TYPE bookiji_api_request_duration_seconds histogram"))
        #expect(text.contains(#"bookiji_api_request_duration_seconds_bucket{method="GET",route="/v1/vendors/{vendorId}",status_class="2xx",le="0.0025"} 0"#))
        #expect(text.contains(#"bookiji_api_request_duration_seconds_bucket{method="GET",route="/v1/vendors/{vendorId}",status_class="2xx",le="0.005"} 1"#))
        #expect(text.contains("bookiji_stale_reservations 7"))
        #expect(text.components(separatedBy: "# HELP ").count == text.components(separatedBy: "# TYPE ").count, "a HELP per family")
    }
}

/// Authorization and commit outcomes come from the transitions that end them.
struct TransitionOutcomeTests {
    @Test(arguments: [
        (ReservationState.awaitingVendorAuth, ReservationState.vendorAuthorized, "vendor", "authorized"),
        (.awaitingVendorAuth, .failedVendorAuth, "vendor", "failed"),
        (.awaitingVendorAuth, .expired, "vendor", "abandoned"),
        (.awaitingVendorAuth, .cancelled, "vendor", "abandoned"),
        (.awaitingRequesterAuth, .authorizedBoth, "requester", "authorized"),
        (.awaitingRequesterAuth, .failedRequesterAuth, "requester", "failed"),
        (.awaitingRequesterAuth, .expired, "requester", "abandoned"),
    ])
    func aMoveOutOfAnAwaitedAuthorizationEndsIt(from: ReservationState, to: ReservationState, side: String, outcome: String) {
        #expect(from.canTransition(to: to), "the state machine allows \(from) → \(to)")
        let ended = BookijiMetrics.authorizationOutcome(from: from, to: to)
        #expect(ended?.side == side && ended?.outcome == outcome)
    }

    /// Every allowed move that does not leave an awaited authorization ends none.
    @Test func noOtherMoveEndsAnAuthorization() {
        for from in ReservationState.allCases where from != .awaitingVendorAuth && from != .awaitingRequesterAuth {
            for to in ReservationState.allCases where from.canTransition(to: to) {
                #expect(BookijiMetrics.authorizationOutcome(from: from, to: to) == nil, "\(from) → \(to)")
            }
        }
    }

    @Test func commitsEndCommittedFailedOrWithTheSlotTaken() {
        var ended: [String: [String]] = [:]
        for from in ReservationState.allCases {
            for to in ReservationState.allCases where from.canTransition(to: to) {
                if let outcome = BookijiMetrics.commitOutcome(from: from, to: to) { ended[outcome, default: []].append("\(from.rawValue)→\(to.rawValue)") }
            }
        }
        #expect(ended == [
            "committed": ["COMMIT_IN_PROGRESS→COMMITTED"],
            "failed": ["COMMIT_IN_PROGRESS→FAILED_COMMIT"],
            "availability_changed": ["AUTHORIZED_BOTH→FAILED_AVAILABILITY_CHANGED"],
        ])
    }
}

import FastCGI
import Telemetry

extension PartnerAPIHandler {
    /// `GET /metrics`: this responder process's metrics (every thread's) in the Prometheus text
    /// format. nginx exposes it to loopback and an operator allow-list only; it names no partner,
    /// vendor or reservation.
    func metrics() -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [("Content-Type", PrometheusExport.contentType), ("Cache-Control", "no-store")],
            body: PrometheusExport.exposition())
    }
}

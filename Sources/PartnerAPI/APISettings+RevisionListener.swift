import Coordinator
import Logging

extension APISettings {
    /// Starts the process's revision listener on ``databaseURL`` (past a transaction pooler: see
    /// ``VendorRevisionListener/url``) when the availability cache can use it, logging one line
    /// each time it connects and each time it is lost; nil when the cache is off or trusts no
    /// revision (then nothing listens).
    public func startRevisionListener(logger: Logger) -> VendorRevisionListener? {
        guard VendorRevisionListener.isUseful(for: availabilityCache) else { return nil }
        let trustSeconds = Double(availabilityCache.revisionTrustNanos) / 1e9
        let listener = VendorRevisionListener(url: databaseURL, cache: availabilityCache) { event in
            switch event {
            case .connected:
                logger.info("revision listener connected: cached availability follows changes made anywhere at once")
            case .lost(let cause):
                logger.warning(
                    "revision listener lost: cached availability trusts a vendor's revision for \(trustSeconds) s until it reconnects",
                    metadata: ["cause": "\(cause)"])
            }
        }
        listener.start()
        return listener
    }
}

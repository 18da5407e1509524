import Foundation

/// How this process names itself in leases and run records: host, pid and a random suffix, so
/// a restarted process that reuses a pid never inherits an old lease.
enum WorkerIdentity {
    static let current: String = {
        let host = ProcessInfo.processInfo.hostName
        let suffix = UUID().uuidString.prefix(8).lowercased()
        return "\(host):\(getpid()):\(suffix)"
    }()
}

extension Date {
    /// Seconds since the epoch, now.
    static var nowSeconds: Double { Date().timeIntervalSince1970 }
}

import Coordinator
import Logging

/// The two lines an outage of the database gets in a long-running process's log: one when the
/// first request or job fails to reach it, one when the first succeeds again.
struct DatabaseOutageLog: Sendable {
    let logger: Logger

    func log(_ change: DatabaseOutage.Change) {
        switch change {
        case .started(let cause):
            logger.error("database unavailable", metadata: ["cause": "\(cause)"])
        case .ended(let seconds):
            logger.notice("database available again", metadata: ["outageSeconds": "\((seconds * 1000).rounded() / 1000)"])
        }
    }
}

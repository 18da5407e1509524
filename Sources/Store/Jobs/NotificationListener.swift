import Postgres

/// LISTEN/NOTIFY on a session: subscribe to channels, then block until a notification arrives
/// or a timeout passes. The session should be used by one thread that alternates statements and
/// waits; notifications that arrive during a statement are kept for the next wait.
public struct NotificationListener {
    let session: Session

    public init(session: Session) {
        self.session = session
    }

    public func listen(_ channel: String) throws {
        try session.run { session in try session.connection.listen(channel) }
    }

    /// The notifications received within `timeout` seconds (none on timeout). Blocks the thread.
    public func wait(timeout: Double) throws -> [DatabaseNotification] {
        try session.run { session in
            try session.connection.waitForNotifications(timeout: timeout).map {
                DatabaseNotification(channel: $0.channel, payload: $0.payload)
            }
        }
    }
}

/// A NOTIFY received by a ``NotificationListener``.
public struct DatabaseNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
}

import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// A message sent with `NOTIFY channel, 'payload'` (or `pg_notify`) by some session.
public struct PGNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

extension PGConnection {
    /// Subscribes this connection to `channel` (LISTEN). Notifications arrive only between
    /// statements, so a listening connection should not be kept inside long transactions.
    ///
    /// - Parameter channel: a lower-case identifier (`[a-z_][a-z0-9_]*`): LISTEN takes no
    ///   parameters, so the name is checked instead of quoted.
    ///
    /// Throws ``PGError/Code/misuse`` on a pooled connection (``isPooled``): a pooler in
    /// transaction mode forwards no notifications.
    public func listen(_ channel: String) throws(PGError) {
        try requireOwnSession(for: "LISTEN")
        guard Self.isPlainIdentifier(channel) else {
            throw PGError(code: .misuse, message: "channel name '\(channel)' is not a plain lower-case identifier")
        }
        try execute(script: "LISTEN \(channel)")
    }

    /// Waits up to `timeout` seconds for notifications on the channels this connection listens
    /// to and returns those that arrived (none on timeout). Blocks the calling thread in
    /// `poll(2)` on the connection's socket: call it off Swift's cooperative pool.
    ///
    /// Throws ``PGError/Code/connectionFailed`` when the server closed the connection.
    public func waitForNotifications(timeout: Double) throws(PGError) -> [PGNotification] {
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            throw PGError(code: .connectionFailed, message: "not connected to PostgreSQL")
        }
        // Statements run since the last wait may already have read some notifications.
        var received = Self.drainNotifications(conn)
        if !received.isEmpty { return received }
        let fd = PQsocket(conn)
        guard fd >= 0 else { throw PGError(code: .connectionFailed, message: "the connection has no socket") }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, min(timeout, 3600)) * 1000)
        let ready = poll(&pfd, 1, milliseconds)
        guard ready > 0 else { return [] }  // timeout, or EINTR: the caller waits again
        guard PQconsumeInput(conn) == 1, PQstatus(conn) == CONNECTION_OK else {
            throw PGError(code: .connectionFailed, message: "lost the connection while listening: \(Self.errorText(conn))")
        }
        received = Self.drainNotifications(conn)
        return received
    }

    private static func drainNotifications(_ conn: OpaquePointer) -> [PGNotification] {
        var received: [PGNotification] = []
        while let notify = PQnotifies(conn) {
            let message = notify.pointee
            received.append(PGNotification(
                channel: message.relname.map { String(cString: $0) } ?? "",
                payload: message.extra.map { String(cString: $0) } ?? "",
                senderPID: message.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    private static func errorText(_ conn: OpaquePointer) -> String {
        guard let text = PQerrorMessage(conn) else { return "" }
        var s = String(cString: text)
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, (97...122).contains(first) || first == UInt8(ascii: "_"), name.utf8.count <= 63 else {
            return false
        }
        return name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "_") }
    }
}

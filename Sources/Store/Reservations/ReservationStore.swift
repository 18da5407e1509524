import BookijiCore
import Postgres

/// SQL for reservations, their transition log and the outbox.
public struct ReservationStore {
    let connection: PGConnection

    public init(connection: PGConnection) {
        self.connection = connection
    }
}

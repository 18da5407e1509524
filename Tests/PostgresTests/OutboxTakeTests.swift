import Postgres
import Store
import Testing

/// The batch take of database-only handlers: a reservation's rows come in order, one batch at a
/// time, even when two workers take at once.
struct OutboxTakeTests {
    typealias World = CoordinatorUseCaseTests.World
    static let topic = "test.take"

    func queue(_ world: World, reservationID: String?, count: Int) throws -> [Int64] {
        try world.sql.query("""
            INSERT INTO outbox (topic, reservation_id, payload)
            SELECT $1, $2::uuid, '{}'::jsonb FROM generate_series(1, $3::int) RETURNING id
            """, [Self.topic, reservationID, count]).map { try $0.int64(0) }
    }

    @Test func aReservationsRowsAreTakenOneAtATimeInOrder() throws {
        let world = try World()
        let first = try world.hold(), second = try world.hold(at: CoordinatorUseCaseTests.tenAM + 3600)
        let ofFirst = try queue(world, reservationID: first.id, count: 3)
        let ofSecond = try queue(world, reservationID: second.id, count: 2)
        let unowned = try queue(world, reservationID: nil, count: 2)
        let store = OutboxStore(session: Session(world.sql))
        func take() throws -> [Int64] {
            try Session(world.sql).transaction { try OutboxStore(session: $0).take(topics: [Self.topic], worker: "w", limit: 10) }.map(\.id)
        }
        // Rows without a reservation are never held back; each reservation gives its earliest.
        #expect(try take() == [ofFirst[0], ofSecond[0]] + unowned)
        #expect(try take() == [ofFirst[1], ofSecond[1]])
        #expect(try take() == [ofFirst[2]])
        #expect(try take().isEmpty)
        #expect(try store.secondsUntilNextDue(topics: [Self.topic]) == nil)
    }

    @Test func aRowInAnotherWorkersOpenBatchHoldsBackTheReservationsNextRow() throws {
        let world = try World()
        let held = try world.hold()
        let rows = try queue(world, reservationID: held.id, count: 2)
        let other = try PGConnection(url: world.sql.url)
        try other.transaction { connection in
            let taken = try OutboxStore(session: Session(connection)).take(topics: [Self.topic], worker: "a", limit: 10).map(\.id)
            #expect(taken == [rows[0]])
            // The first batch has not committed: the second row must wait for it.
            let meanwhile = try Session(world.sql).transaction {
                try OutboxStore(session: $0).take(topics: [Self.topic], worker: "b", limit: 10)
            }
            #expect(meanwhile.isEmpty)
        }
        let after = try Session(world.sql).transaction { try OutboxStore(session: $0).take(topics: [Self.topic], worker: "b", limit: 10) }
        #expect(after.map(\.id) == [rows[1]])
    }
}

import Availability
import BookijiCore
import Coordinator
import Postgres
import Store
import Testing

/// Every reservation use case of the Coordinator, in process, against the private PostgreSQL,
/// with a clock the test moves (each use case takes its `now`). The end-to-end suites prove the
/// same through nginx; these prove the rules without a socket in between.
struct CoordinatorUseCaseTests {
    /// Monday 2030-01-07 08:00:00Z: the test's "now" unless a test moves it.
    static let monday8am: Int64 = 1_893_974_400 + 8 * 3600
    /// 10:00Z the next day: a slot well inside the open vendor's hours and notice.
    static let tenAM: Int64 = monday8am + 26 * 3600

    /// A fresh database with a partner, an open vendor (every day 06:00-22:00 UTC, 30-minute
    /// slots) and a key for the vendor.
    struct World {
        let database: Database
        let sql: PGConnection
        let url: String
        let partnerID: String
        let partnerKey: String
        let vendorID: String
        let vendorKey: String
        var clock: Int64 = CoordinatorUseCaseTests.monday8am

        init() throws {
            let test = try TestDatabase(migrated: true)
            sql = try test.connect()
            url = test.url
            database = Database(url: test.url)
            let session = Session(sql)
            (partnerID, partnerKey) = try {
                let (partner, key) = try PartnerStore(session).create(name: "Acme")
                return (partner.id, key)
            }()
            let vendors = VendorStore(session)
            vendorID = try vendors.create(name: "Clinic", timeZone: "UTC").id
            _ = try vendors.setRules(id: vendorID, rulesJSON: Self.openRules, timeZone: "UTC")
            _ = try vendors.setPayments(
                id: vendorID, VendorPayments(stripeAccount: "acct_1Clinic", currency: "eur", price: 5000, deposit: 1000, platformFee: 500))
            vendorKey = try #require(try VendorKeyStore(session).create(vendorID: vendorID)).key
        }

        static let openRules = """
            {"timeZone":"UTC","slotMinutes":30,"weeklyHours":{
            "monday":[{"start":"06:00","end":"22:00"}],"tuesday":[{"start":"06:00","end":"22:00"}],
            "wednesday":[{"start":"06:00","end":"22:00"}],"thursday":[{"start":"06:00","end":"22:00"}],
            "friday":[{"start":"06:00","end":"22:00"}],"saturday":[{"start":"06:00","end":"22:00"}],
            "sunday":[{"start":"06:00","end":"22:00"}]}}
            """

        var reservations: ReservationCoordinator { ReservationCoordinator(database: database) }

        func request(at start: Int64 = CoordinatorUseCaseTests.tenAM, minutes: Int64 = 30, requester: String = "req-1") -> HoldRequest {
            HoldRequest(vendorID: vendorID, slot: UTCInterval(start: start, end: start + minutes * 60), requesterID: requester)
        }

        func hold(at start: Int64 = CoordinatorUseCaseTests.tenAM, minutes: Int64 = 30) throws -> ReservationRecord {
            try reservations.hold(partnerID: partnerID, request(at: start, minutes: minutes), now: clock)
        }

        func count(_ sql: String, _ parameters: [(any PGEncodable)?] = []) throws -> Int {
            try self.sql.query(sql, parameters).first!.int(0)
        }
    }

    /// Runs `body`, expecting it to throw a ``BookijiError`` with `code`; returns the error.
    @discardableResult
    static func expectError<T>(_ code: ErrorCode, _ body: () throws -> T) -> BookijiError? {
        do {
            _ = try body()
            Issue.record("expected \(code), got a result")
            return nil
        } catch let error as BookijiError {
            #expect(error.code == code, "\(error)")
            return error
        } catch {
            Issue.record("expected \(code), got \(error)")
            return nil
        }
    }

    // MARK: - hold

    @Test func aHoldAwaitsTheVendorForTenMinutesWithItsNotificationQueued() throws {
        let world = try World()
        let held = try world.hold()
        #expect(held.state == .awaitingVendorConfirmation)
        #expect(held.deadline == world.clock + 600)
        #expect(held.partnerID == world.partnerID && held.vendorID == world.vendorID)
        let (_, history, _) = try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock)
        #expect(history.map(\.to) == ["HELD", "AWAITING_VENDOR_CONFIRMATION"])
        #expect(try world.count(
            "SELECT count(*) FROM outbox WHERE topic = 'vendor.confirmation_requested' AND reservation_id = $1::uuid", [held.id]) == 1)
    }

    @Test func aTakenSlotIsRefusedWithItsReasons() throws {
        let world = try World()
        _ = try world.hold()
        let error = Self.expectError(.slotUnavailable) { try world.hold() }
        #expect(error?.details["reasons"] == ["reserved"])
    }

    @Test func badRequestsAreRefusedBeforeAnythingIsWritten() throws {
        let world = try World()
        Self.expectError(.invalidParameter) { try world.hold(minutes: 0) }
        Self.expectError(.invalidParameter) { try world.hold(minutes: 25 * 60) }
        Self.expectError(.vendorNotFound) {
            try world.reservations.hold(
                partnerID: world.partnerID,
                HoldRequest(vendorID: "00000000-0000-0000-0000-000000000000", slot: UTCInterval(start: Self.tenAM, end: Self.tenAM + 1800), requesterID: "r"),
                now: world.clock)
        }
        // Off the vendor's 5-minute granule, and outside its hours.
        let offGrid = Self.expectError(.slotUnavailable) { try world.hold(at: Self.tenAM + 2 * 60) }
        #expect(offGrid?.details["reasons"] == ["not_offered"])
        Self.expectError(.slotUnavailable) { try world.hold(at: Self.tenAM + 13 * 3600) }
        #expect(try world.count("SELECT count(*) FROM reservations") == 0)
    }

    @Test func aVendorWithoutPaymentSettingsCannotBeHeldAndAHoldKeepsItsPrice() throws {
        let world = try World()
        let bare = try VendorStore(Session(world.sql)).create(name: "No payments", timeZone: "UTC").id
        _ = try VendorStore(Session(world.sql)).setRules(id: bare, rulesJSON: World.openRules, timeZone: "UTC")
        let refused = Self.expectError(.vendorNotBookable) {
            try world.reservations.hold(
                partnerID: world.partnerID,
                HoldRequest(vendorID: bare, slot: UTCInterval(start: Self.tenAM, end: Self.tenAM + 1800), requesterID: "r"),
                now: world.clock)
        }
        #expect(refused?.details["missing"] == ["stripeAccount", "currency", "price", "deposit"])
        #expect(try world.count("SELECT count(*) FROM reservations") == 0)

        let held = try world.hold()
        let price = ReservationPrice(currency: "eur", amount: 5000, deposit: 1000, platformFee: 500, vendorStripeAccount: "acct_1Clinic")
        #expect(held.price == price)
        // New settings apply to new holds only.
        let directory = VendorDirectory(database: world.database)
        _ = try directory.setPayments(
            id: world.vendorID, VendorPayments(stripeAccount: "acct_1Clinic", currency: "eur", price: 9000, deposit: 2000))
        #expect(try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock).0.price == price)
        #expect(try world.hold(at: Self.tenAM + 3600).price?.amount == 9000)
        // Settings are checked before they are stored.
        Self.expectError(.invalidParameter) {
            try directory.setPayments(id: world.vendorID, VendorPayments(stripeAccount: "acct_1", currency: "EUR", price: 1, deposit: 1))
        }
        Self.expectError(.invalidParameter) {
            try directory.setPayments(
                id: world.vendorID, VendorPayments(stripeAccount: "acct_1", currency: "eur", price: 100, deposit: 1, platformFee: 101))
        }
        #expect(try directory.vendorWithPayments(id: world.vendorID)?.1?.price == 9000)
    }

    // MARK: - read, list

    @Test func anotherPartnersReservationIsNotFound() throws {
        let world = try World()
        let held = try world.hold()
        let other = try PartnerStore(Session(world.sql)).create(name: "Other").partner.id
        Self.expectError(.reservationNotFound) { try world.reservations.find(id: held.id, partnerID: other, now: world.clock) }
        Self.expectError(.reservationNotFound) { try world.reservations.find(id: "not-a-uuid", partnerID: world.partnerID, now: world.clock) }
    }

    @Test func listingIsNewestFirstFilteredAndPaged() throws {
        var world = try World()
        var ids: [String] = []
        for hour in 0..<3 {
            ids.append(try world.hold(at: Self.tenAM + Int64(hour) * 3600).id)
            world.clock += 1
        }
        _ = try world.reservations.cancel(id: ids[1], partnerID: world.partnerID, now: world.clock)
        let all = try world.reservations.list(
            partnerID: world.partnerID, vendorID: nil, state: nil, after: nil, limit: 10, now: world.clock)
        #expect(all.map(\.id) == ids.reversed())
        let cancelled = try world.reservations.list(
            partnerID: world.partnerID, vendorID: world.vendorID, state: .cancelled, after: nil, limit: 10, now: world.clock)
        #expect(cancelled.map(\.id) == [ids[1]])
        let first = try world.reservations.list(
            partnerID: world.partnerID, vendorID: nil, state: nil, after: nil, limit: 2, now: world.clock)
        let rest = try world.reservations.list(
            partnerID: world.partnerID, vendorID: nil, state: nil, after: (first[1].createdAtText, first[1].id), limit: 2,
            now: world.clock)
        #expect(first.map(\.id) + rest.map(\.id) == ids.reversed())
    }

    // MARK: - cancel, vendor decisions

    @Test func aCancelledReservationFreesItsSlotAndCannotMoveAgain() throws {
        let world = try World()
        let held = try world.hold()
        let cancelled = try world.reservations.cancel(id: held.id, partnerID: world.partnerID, now: world.clock)
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.failureReason == "cancelled by partner")
        Self.expectError(.invalidTransition) { try world.reservations.cancel(id: held.id, partnerID: world.partnerID, now: world.clock) }
        #expect(try world.hold().state == .awaitingVendorConfirmation)
    }

    @Test func theVendorConfirmsAndTheDeadlineMovesThirtyMinutes() throws {
        var world = try World()
        let held = try world.hold()
        world.clock += 120
        let confirmed = try world.reservations.confirmByVendor(id: held.id, vendorID: world.vendorID, now: world.clock)
        // Confirmation asks for the deposit's authorization at once (both moves logged).
        #expect(confirmed.state == .awaitingVendorAuth)
        #expect(confirmed.deadline == world.clock + 1800)
        #expect(confirmed.vendorConfirmedAt == world.clock)
        Self.expectError(.invalidTransition) {
            try world.reservations.confirmByVendor(id: held.id, vendorID: world.vendorID, now: world.clock)
        }
        #expect(try world.count(
            "SELECT count(*) FROM outbox WHERE topic = 'reservation.vendor_confirmed' AND reservation_id = $1::uuid", [held.id]) == 1)
        #expect(try world.count(
            "SELECT count(*) FROM outbox WHERE topic = 'payment.advance' AND reservation_id = $1::uuid", [held.id]) == 1)
        let moves = try world.count(
            "SELECT count(*) FROM reservation_transitions WHERE reservation_id = $1::uuid AND to_state IN ('CONFIRMED_BY_VENDOR', 'AWAITING_VENDOR_AUTH')",
            [held.id])
        #expect(moves == 2)
    }

    @Test func anotherVendorCannotAnswerAndADeclineCancels() throws {
        let world = try World()
        let held = try world.hold()
        let stranger = try VendorStore(Session(world.sql)).create(name: "Other", timeZone: "UTC").id
        Self.expectError(.reservationNotFound) {
            try world.reservations.confirmByVendor(id: held.id, vendorID: stranger, now: world.clock)
        }
        let declined = try world.reservations.declineByVendor(id: held.id, vendorID: world.vendorID, now: world.clock)
        #expect(declined.state == .cancelled)
        #expect(declined.failureReason == "declined by vendor")
    }

    @Test func aConfirmationWhoseSlotIsGoneCancelsTheReservation() throws {
        let world = try World()
        let held = try world.hold()
        // The vendor closes on that day after the hold (rules change); confirming revalidates.
        _ = try VendorStore(Session(world.sql)).setRules(
            id: world.vendorID, rulesJSON: #"{"timeZone":"UTC","slotMinutes":30,"weeklyHours":{}}"#, timeZone: "UTC")
        Self.expectError(.slotUnavailable) {
            try world.reservations.confirmByVendor(id: held.id, vendorID: world.vendorID, now: world.clock)
        }
        let (after, _, _) = try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock)
        #expect(after.state == .cancelled)
    }

    // MARK: - deadlines

    @Test func aVendorThatNeverAnswersTimesOutOnReadAtItsDeadline() throws {
        var world = try World()
        let held = try world.hold()
        world.clock += 599
        #expect(try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock).0.state == .awaitingVendorConfirmation)
        world.clock += 1
        let (timedOut, history, _) = try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock)
        #expect(timedOut.state == .failedVendorTimeout)
        #expect(history.last?.triggeredBy == "timeout")
        #expect(try world.count("SELECT count(*) FROM outbox WHERE topic = 'reservation.failed' AND reservation_id = $1::uuid", [held.id]) == 1)
        // Reading again changes nothing.
        _ = try world.reservations.find(id: held.id, partnerID: world.partnerID, now: world.clock + 60)
        #expect(try world.count("SELECT count(*) FROM reservation_transitions WHERE reservation_id = $1::uuid", [held.id]) == 3)
    }

    @Test func theSweepMovesEachStageWhereItsDeadlineTakesItOnce() throws {
        var world = try World()
        let waiting = try world.hold()
        let confirmed = try world.hold(at: Self.tenAM + 3600)
        _ = try world.reservations.confirmByVendor(id: confirmed.id, vendorID: world.vendorID, now: world.clock)
        #expect(try world.reservations.nextDeadline() == world.clock + 600)
        world.clock += 600
        #expect(try world.reservations.expireAll(now: world.clock) == 1)
        #expect(try world.reservations.nextDeadline() == world.clock - 600 + 1800)
        world.clock += 1200
        #expect(try world.reservations.expireAll(now: world.clock) == 1)
        #expect(try world.reservations.expireAll(now: world.clock) == 0)
        #expect(try world.reservations.nextDeadline() == nil)
        let states = try [waiting.id, confirmed.id].map {
            try world.reservations.find(id: $0, partnerID: world.partnerID, now: world.clock).0.state
        }
        #expect(states == [.failedVendorTimeout, .expired])
        #expect(try world.count("SELECT count(*) FROM outbox WHERE topic IN ('reservation.failed', 'reservation.expired')") == 2)
    }

    @Test func aHoldPastItsDeadlineStopsBlockingBeforeAnySweep() throws {
        var world = try World()
        let first = try world.hold()
        world.clock += 600
        let second = try world.hold()
        #expect(second.state == .awaitingVendorConfirmation)
        #expect(try world.reservations.find(id: first.id, partnerID: world.partnerID, now: world.clock).0.state == .failedVendorTimeout)
    }

    // MARK: - limits

    @Test func thePartnersHourlyLimitAndHoldCapAreEnforced() throws {
        var world = try World()
        let partners = PartnerStore(Session(world.sql))
        _ = try partners.setLimits(id: world.partnerID, reservationsPerHour: 1000, maxActiveHolds: 2)
        _ = try world.hold()
        _ = try world.hold(at: Self.tenAM + 3600)
        let capped = Self.expectError(.holdCapReached) { try world.hold(at: Self.tenAM + 7200) }
        #expect(capped?.retryAfter != nil)
        // Holds past their deadline no longer count.
        world.clock += 600
        _ = try world.hold(at: Self.tenAM + 7200)

        _ = try partners.setLimits(id: world.partnerID, reservationsPerHour: 3, maxActiveHolds: 100)
        let limited = Self.expectError(.rateLimited) { try world.hold(at: Self.tenAM + 3 * 3600) }
        #expect((limited?.retryAfter ?? 0) > 0)
        let standing = try PartnerAccount(database: world.database).standing(partnerID: world.partnerID, now: world.clock)
        #expect(standing.usage.createdLastHour == 3)
        #expect(standing.limits.reservationsPerHour == 3)
    }

    // MARK: - idempotent replay

    @Test func anIdempotentHoldIsPlacedOnceAndReplayed() throws {
        let world = try World()
        let claim = IdempotencyClaim(key: "k-1", requestHash: "hash-a")
        let render = { (record: ReservationRecord) in StoredAnswer(status: 201, body: #"{"id":"\#(record.id)"}"#) }
        let renderFailure = { (error: BookijiError) in StoredAnswer(status: 409, body: error.code.rawValue) }
        guard case .placed(let record) = try world.reservations.hold(
            partnerID: world.partnerID, world.request(), idempotency: claim, now: world.clock, render: render,
            renderFailure: renderFailure)
        else { Issue.record("the first request must place the hold"); return }
        #expect(record.idempotencyKey == "k-1")
        guard case .replayed(let answer) = try world.reservations.hold(
            partnerID: world.partnerID, world.request(), idempotency: claim, now: world.clock, render: render,
            renderFailure: renderFailure)
        else { Issue.record("the retry must replay"); return }
        #expect(answer == StoredAnswer(status: 201, body: #"{"id":"\#(record.id)"}"#))
        Self.expectError(.idempotencyKeyReused) {
            try world.reservations.hold(
                partnerID: world.partnerID, world.request(), idempotency: IdempotencyClaim(key: "k-1", requestHash: "hash-b"),
                now: world.clock, render: render, renderFailure: renderFailure)
        }
        #expect(try world.count("SELECT count(*) FROM reservations") == 1)

        // A definite refusal is stored and replayed like a success.
        let refused = IdempotencyClaim(key: "k-2", requestHash: "hash-c")
        Self.expectError(.slotUnavailable) {
            try world.reservations.hold(
                partnerID: world.partnerID, world.request(), idempotency: refused, now: world.clock, render: render,
                renderFailure: renderFailure)
        }
        guard case .replayed(let stored) = try world.reservations.hold(
            partnerID: world.partnerID, world.request(), idempotency: refused, now: world.clock, render: render,
            renderFailure: renderFailure)
        else { Issue.record("a stored refusal must replay"); return }
        #expect(stored == StoredAnswer(status: 409, body: "slot_unavailable"))
    }

    // MARK: - access, availability, outages

    @Test func keysIdentifyTheirOwnersUntilRevoked() throws {
        let world = try World()
        let access = AccessControl(database: world.database)
        #expect(try access.partnerKey(world.partnerKey)?.partner.id == world.partnerID)
        #expect(try access.vendorID(forKey: world.vendorKey) == world.vendorID)
        #expect(try access.partnerKey("bk_nonsense") == nil)
        #expect(try PartnerStore(Session(world.sql)).revoke(id: world.partnerID))
        #expect(try access.partnerKey(world.partnerKey) == nil)
    }

    @Test func aHoldShowsAsReservedWithANewRevision() throws {
        let world = try World()
        let availability = AvailabilityService(database: world.database)
        let before = try #require(try availability.revision(of: world.vendorID))
        _ = try world.hold()
        #expect(try #require(try availability.revision(of: world.vendorID)) > before)
        let computed = try availability.compute(
            vendorID: world.vendorID,
            query: AvailabilityQuery(start: Self.tenAM, end: Self.tenAM + 3600, slotMinutes: 30, now: world.clock))
        #expect(computed.result.slots.map(\.isAvailable) == [false, true])
        #expect(computed.validUntil == world.clock + 600)
    }

    @Test func anUnreachableDatabaseIsServiceUnavailable() throws {
        let nowhere = Database(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
        Self.expectError(.serviceUnavailable) { try nowhere.ping() }
        Self.expectError(.serviceUnavailable) {
            try ReservationCoordinator(database: nowhere).find(id: "00000000-0000-0000-0000-000000000000", partnerID: "p", now: 0)
        }
    }
}

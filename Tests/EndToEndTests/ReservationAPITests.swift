import BookijiCore
import Foundation
import Postgres
import Testing

/// Holds, the state machine, expiry, idempotency and abuse limits through nginx.
@Suite(.serialized)
struct ReservationAPITests {
    let tenAM = Booking.day(7) + 10 * 3600

    @Test func holdIsCreatedNotifiedAndReadBackWithItsHistory() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let created = try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 60, extra: #","metadata":{"note":"first"}"#)
        #expect(created.status == 201)
        #expect(created.json["state"] as? String == "AWAITING_VENDOR_CONFIRMATION")
        #expect(created.json["vendorConfirmationRequired"] as? Bool == true)
        let id = try #require(created.json["reservationId"] as? String)
        let expiresAt = try RFC3339.parse(try #require(created.json["expiresAt"] as? String))
        let now = Int64(Date().timeIntervalSince1970)
        #expect(abs(expiresAt - (now + 600)) <= 5, "the initial hold lasts 10 minutes")

        let read = try service.get("/v1/reservations/\(id)", key: partner.key)
        #expect(read.status == 200)
        #expect(read.json["slotStartTime"] as? String == Booking.iso(tenAM))
        #expect((read.json["metadata"] as? [String: Any])?["note"] as? String == "first")
        let history = try #require(read.json["stateHistory"] as? [[String: Any]])
        #expect(history.map { "\($0["fromState"]!)>\($0["toState"]!)" } == ["INTENT_CREATED>HELD", "HELD>AWAITING_VENDOR_CONFIRMATION"])
        #expect(history.map { $0["triggeredBy"] as? String } == ["partner", "system"])

        // The vendor's notification and the partner's `reservation.created` event, with the hold.
        let outbox = try service.sql().query("SELECT topic, payload->>'sequence' FROM outbox WHERE reservation_id = $1::uuid ORDER BY topic", [id])
        #expect(try outbox.map { try $0.string(0) } == ["reservation.created", "vendor.confirmation_requested"])
        #expect(try outbox.first?.string(1) == "1")
    }

    @Test func anyOverlapIsRefusedFirstComeFirstServed() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        #expect(try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 120).status == 201)
        let overlap = try service.hold(key: key, vendor: vendor, start: tenAM + 3600, minutes: 60)
        #expect(overlap.status == 409)
        #expect(overlap.errorCode == "slot_unavailable")
        #expect(overlap.error?["retryable"] as? Bool == false)
        #expect((overlap.error?["details"] as? [String: Any])?["reasons"] as? [String] == ["reserved"])
        #expect(try service.hold(key: key, vendor: vendor, start: tenAM + 7200, minutes: 60).status == 201, "adjacent is fine")
        #expect(try service.hold(key: key, vendor: vendor, start: tenAM - 1800, minutes: 30).status == 201)
        let closed = try service.hold(key: key, vendor: vendor, start: Booking.day(7) + 23 * 3600, minutes: 30)
        #expect(closed.status == 409)
        #expect((closed.error?["details"] as? [String: Any])?["reasons"] as? [String] == ["outside_working_hours"])
        let offGrid = try service.hold(key: key, vendor: vendor, start: tenAM + 600, minutes: 30)
        #expect(offGrid.status == 409)
    }

    /// The responder trusts a vendor's revision for an hour here, so only its own invalidation
    /// can make the cached answer change: a hold (sent with the vendor id in capitals) and a
    /// cancel through the API show at once.
    @Test func availabilityShowsTheHoldAsReservedAtOnce() throws {
        let service = try Service(responderArguments: ["--threads", "2", "--availability-revision-seconds", "3600"])
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        let path = "/v1/vendors/\(vendor)/availability?startTime=\(Booking.iso(tenAM))&endTime=\(Booking.iso(tenAM + 3600))&slotDuration=30&includeConfidence=true"
        let before = try service.get(path, key: key)
        #expect((before.json["slots"] as? [[String: Any]])?.first?["isAvailable"] as? Bool == true)
        #expect(try service.get(path, key: key, headers: ["If-None-Match": before.header("etag") ?? ""]).status == 304)
        let held = try service.hold(key: key, vendor: vendor.uppercased(), start: tenAM, minutes: 30)
        #expect(held.status == 201)
        let after = try service.get(path, key: key, headers: ["If-None-Match": before.header("etag") ?? ""])
        #expect(after.status == 200)
        let slot = (after.json["slots"] as? [[String: Any]])?.first
        #expect(slot?["reasons"] as? [String] == ["reserved"])
        #expect(slot?["confidence"] as? Double == 0.0)
        #expect((after.json["slots"] as? [[String: Any]])?.last?["isAvailable"] as? Bool == true)

        let id = try #require(held.json["reservationId"] as? String)
        #expect(try service.send("POST", "/v1/reservations/\(id)/cancel", key: key).status == 200)
        let freed = try service.get(path, key: key)
        #expect((freed.json["slots"] as? [[String: Any]])?.first?["isAvailable"] as? Bool == true)
    }

    @Test func partnersSeeOnlyTheirOwnReservations() throws {
        let service = try Service()
        defer { service.stop() }
        let mine = try service.createPartner(name: "A"), theirs = try service.createPartner(name: "B")
        let vendor = try service.createOpenVendor()
        let id = try #require(try service.hold(key: mine.key, vendor: vendor, start: tenAM, minutes: 30).json["reservationId"] as? String)
        let other = try service.get("/v1/reservations/\(id)", key: theirs.key)
        let unknown = try service.get("/v1/reservations/\(UUID().uuidString.lowercased())", key: theirs.key)
        #expect(other.status == 404)
        #expect(other.errorCode == "reservation_not_found")
        #expect(unknown.status == 404)
        #expect(other.error?["message"] as? String != nil)
        #expect(try service.send("POST", "/v1/reservations/\(id)/cancel", key: theirs.key).status == 404)
        let list = try service.get("/v1/reservations", key: theirs.key)
        #expect((list.json["reservations"] as? [Any])?.isEmpty == true)
    }

    @Test func listPagesWithACursorAndFilters() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor(), other = try service.createOpenVendor()
        var ids: Set<String> = []
        for i in 0..<5 {
            let response = try service.hold(key: key, vendor: vendor, start: tenAM + Int64(i) * 3600, minutes: 30)
            ids.insert(try #require(response.json["reservationId"] as? String))
        }
        #expect(try service.hold(key: key, vendor: other, start: tenAM, minutes: 30).status == 201)
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try service.get("/v1/reservations?vendorId=\(vendor)&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            #expect(page.status == 200)
            let items = page.json["reservations"] as? [[String: Any]] ?? []
            #expect(items.count <= 2)
            seen += items.compactMap { $0["reservationId"] as? String }
            cursor = page.json["nextCursor"] as? String
        } while cursor != nil
        #expect(seen.count == 5)
        #expect(Set(seen) == ids)
        let cancelled = try service.get("/v1/reservations?state=CANCELLED", key: key)
        #expect((cancelled.json["reservations"] as? [Any])?.isEmpty == true)
        #expect(try service.get("/v1/reservations?state=NOPE", key: key).status == 400)
        #expect(try service.get("/v1/reservations?cursor=garbage", key: key).status == 400)
    }

    @Test func cancelFreesTheSlotAndATerminalStateNeverMoves() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        let id = try #require(try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 60).json["reservationId"] as? String)
        let cancelled = try service.send("POST", "/v1/reservations/\(id)/cancel", key: key)
        #expect(cancelled.status == 200)
        #expect(cancelled.json["state"] as? String == "CANCELLED")
        #expect(cancelled.json["expiresAt"] is NSNull)
        let again = try service.send("POST", "/v1/reservations/\(id)/cancel", key: key)
        #expect(again.status == 409)
        #expect(again.errorCode == "invalid_transition")
        #expect((again.error?["message"] as? String)?.contains("CANCELLED") == true)
        #expect((again.error?["details"] as? [String: Any])?["currentState"] as? String == "CANCELLED")
        #expect(try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 60).status == 201)
    }

    @Test func vendorConfirmsWithItsOwnKeyAndTheDeadlineGrows() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor(), otherVendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let otherKey = try service.createVendorKey(vendor: otherVendor)
        let id = try #require(try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 60).json["reservationId"] as? String)

        #expect(try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: partner.key).status == 401)
        #expect(try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: otherKey).status == 404)
        let confirmed = try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey)
        #expect(confirmed.status == 200)
        #expect(confirmed.json["state"] as? String == "AWAITING_VENDOR_AUTH")
        let expiresAt = try RFC3339.parse(try #require(confirmed.json["expiresAt"] as? String))
        #expect(abs(expiresAt - (Int64(Date().timeIntervalSince1970) + 1800)) <= 5, "vendor confirmation gives 30 more minutes")

        let twice = try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey)
        #expect(twice.status == 409)
        #expect(twice.errorCode == "invalid_transition")
        #expect((twice.error?["details"] as? [String: Any])?["requestedState"] as? String == "CONFIRMED_BY_VENDOR")
        let history = try service.get("/v1/reservations/\(id)", key: partner.key).json["stateHistory"] as? [[String: Any]]
        #expect(history?.dropLast().last?["triggeredBy"] as? String == "vendor")
        #expect(history?.last?["toState"] as? String == "AWAITING_VENDOR_AUTH")
    }

    @Test func vendorDeclineFailsTheReservation() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let id = try #require(try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 60).json["reservationId"] as? String)
        let declined = try service.send("POST", "/v1/vendor/reservations/\(id)/decline", key: vendorKey)
        #expect(declined.status == 200)
        #expect(declined.json["state"] as? String == "CANCELLED")
        #expect(declined.json["failureReason"] as? String == "declined by vendor")
        let confirm = try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey)
        #expect(confirm.status == 409)
        #expect((confirm.error?["message"] as? String)?.contains("CANCELLED") == true)
    }

    @Test func aVendorWithoutPaymentSettingsIs409NotBookableAndAHoldShowsItsPrice() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let bare = try service.createVendor(name: "Bare", timezone: "UTC")
        let file = service.directoryPath("rules-bare.json")
        try Booking.openRules.write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", bare, "--file", file])
        let refused = try service.hold(key: key, vendor: bare, start: tenAM, minutes: 30)
        #expect(refused.status == 409)
        #expect(refused.error?["code"] as? String == "vendor_not_bookable")
        #expect((refused.error?["message"] as? String)?.contains("payment settings") == true)
        #expect(try service.get("/v1/vendors/\(bare)", key: key).json["payments"] is NSNull)

        try service.setPayments(vendor: bare, price: 4200)
        let vendor = try service.get("/v1/vendors/\(bare)", key: key).json
        let payments = try #require(vendor["payments"] as? [String: Any])
        #expect(payments["price"] as? Int == 4200 && payments["currency"] as? String == "eur")
        #expect(payments["deposit"] as? Int == 1000 && payments["platformFee"] as? Int == 500)
        let held = try service.hold(key: key, vendor: bare, start: tenAM, minutes: 30)
        #expect(held.status == 201, "\(held.text)")
        let price = try #require(held.json["price"] as? [String: Any])
        #expect(price["amount"] as? Int == 4200 && price["currency"] as? String == "eur")
        // A later change of settings does not move a reservation already held.
        try service.setPayments(vendor: bare, price: 9900)
        let id = try #require(held.json["reservationId"] as? String)
        let read = try service.get("/v1/reservations/\(id)", key: key).json
        #expect((read["price"] as? [String: Any])?["amount"] as? Int == 4200)
    }

    @Test func anExpiredHoldStopsBlockingBeforeAnySweeperRuns() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        let first = try #require(try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 60).json["reservationId"] as? String)
        // Time passes: the hold's deadline is now behind us.
        try service.sql().query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = $1::uuid", [first])
        let second = try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 60)
        #expect(second.status == 201, "the stale hold must not block: \(second.text)")
        // Its vendor was notified and never answered: the spec's FAILED_VENDOR_TIMEOUT.
        let old = try service.get("/v1/reservations/\(first)", key: key)
        #expect(old.json["state"] as? String == "FAILED_VENDOR_TIMEOUT")
        let last = (old.json["stateHistory"] as? [[String: Any]])?.last
        #expect(last?["toState"] as? String == "FAILED_VENDOR_TIMEOUT")
        #expect(last?["triggeredBy"] as? String == "timeout")
        let announced = try service.sql().query(
            "SELECT payload->>'toState', payload->>'triggeredBy' FROM outbox WHERE reservation_id = $1::uuid AND topic = 'reservation.failed'",
            [first])
        #expect(announced.count == 1)
        #expect(try announced.first?.string(0) == "FAILED_VENDOR_TIMEOUT")
        #expect(try announced.first?.string(1) == "timeout")
    }

    @Test func aConfirmedReservationPastItsDeadlineExpires() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let id = try #require(try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 60).json["reservationId"] as? String)
        #expect(try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: vendorKey).status == 200)
        try service.sql().query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = $1::uuid", [id])
        #expect(try service.bookiji(["expire"]).contains("expired 1 reservation"))
        let read = try service.get("/v1/reservations/\(id)", key: partner.key)
        #expect(read.json["state"] as? String == "EXPIRED")
        let topics = try service.sql().query(
            "SELECT topic FROM outbox WHERE reservation_id = $1::uuid AND topic LIKE 'reservation.%' ORDER BY id", [id])
        #expect(try topics.map { try $0.string(0) } == ["reservation.created", "reservation.vendor_confirmed", "reservation.expired"])
    }

    @Test func readsTreatAPastDeadlineAsExpiredAndTheSweepIsIdempotent() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        var ids: [String] = []
        for i in 0..<3 {
            ids.append(try #require(try service.hold(key: key, vendor: vendor, start: tenAM + Int64(i) * 3600, minutes: 30).json["reservationId"] as? String))
        }
        try service.sql().query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = ANY($1::uuid[])", [PGArray(ids)])
        #expect(try service.get("/v1/reservations/\(ids[0])", key: key).json["state"] as? String == "FAILED_VENDOR_TIMEOUT")
        #expect(try service.bookiji(["expire"]).contains("expired 2 reservations"))
        #expect(try service.bookiji(["expire"]).contains("expired 0 reservations"))
        let logged = try service.sql().query(
            "SELECT count(*) FROM reservation_transitions WHERE to_state = 'FAILED_VENDOR_TIMEOUT' AND reservation_id = ANY($1::uuid[])", [PGArray(ids)])
        #expect(try logged.first!.int(0) == 3, "each timeout logged exactly once")
        let announced = try service.sql().query(
            "SELECT count(*) FROM outbox WHERE topic = 'reservation.failed' AND reservation_id = ANY($1::uuid[])", [PGArray(ids)])
        #expect(try announced.first!.int(0) == 3, "each timeout announced exactly once")
    }

    @Test func theTransitionLogIsAppendOnlyInTheDatabase() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let vendor = try service.createOpenVendor()
        #expect(try service.hold(key: key, vendor: vendor, start: tenAM, minutes: 30).status == 201)
        let db = try service.sql()
        #expect(throws: PGError.self) { try db.query("UPDATE reservation_transitions SET reason = 'edited'") }
        #expect(throws: PGError.self) { try db.query("DELETE FROM reservation_transitions") }
        #expect(throws: PGError.self) { try db.execute(script: "TRUNCATE reservation_transitions CASCADE") }
        #expect(try db.query("SELECT count(*) FROM reservation_transitions").first!.int(0) == 2)
    }

    @Test func theDatabaseAgreesWhichStatesBlockASlot() throws {
        let service = try Service()
        defer { service.stop() }
        let db = try service.sql()
        for state in ReservationState.allCases {
            let blocks = try db.query("SELECT reservation_blocks_slot($1)", [state.rawValue]).first!.bool(0)
            #expect(blocks == state.blocksSlot, "\(state.rawValue)")
        }
    }

    @Test func idempotencyKeysReplayRefuseReuseAndReportInProgress() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let headers = ["Idempotency-Key": "order-42"]
        let first = try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30, headers: headers)
        #expect(first.status == 201)
        #expect(first.header("idempotent-replayed") == nil)
        let replay = try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30, headers: headers)
        #expect(replay.status == 201)
        #expect(replay.header("idempotent-replayed") == "true")
        #expect(replay.json["reservationId"] as? String == first.json["reservationId"] as? String)
        #expect(try service.sql().query("SELECT count(*) FROM reservations").first!.int(0) == 1)

        let reused = try service.hold(key: partner.key, vendor: vendor, start: tenAM + 3600, minutes: 30, headers: headers)
        #expect(reused.status == 409)
        #expect(reused.errorCode == "idempotency_key_reused")
        #expect(reused.error?["retryable"] as? Bool == false)

        // The body's idempotencyKey works the same way.
        let viaBody = try service.hold(key: partner.key, vendor: vendor, start: tenAM + 7200, minutes: 30, extra: #","idempotencyKey":"body-key""#)
        #expect(viaBody.status == 201)
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 7200, minutes: 30, extra: #","idempotencyKey":"body-key""#)
            .header("idempotent-replayed") == "true")

        // A refusal is a response too: the same request with the same key gets the same 409.
        let conflictKey = ["Idempotency-Key": "order-43"]
        let refused = try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30, headers: conflictKey)
        #expect(refused.status == 409)
        let refusedAgain = try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30, headers: conflictKey)
        #expect(refusedAgain.status == 409)
        #expect(refusedAgain.header("idempotent-replayed") == "true")

        // A request still running elsewhere: retryable 409.
        let body = Booking.body(vendor: vendor, start: tenAM + 10_800, minutes: 30)
        let hash = try service.requestHash(method: "POST", path: "/v1/reservations", body: body)
        try service.sql().query(
            "INSERT INTO idempotency_keys (partner_id, key, request_hash, status) VALUES ($1::uuid, 'running', $2, 'in_progress')",
            [partner.id, hash])
        let running = try service.send("POST", "/v1/reservations", key: partner.key, body: body, headers: ["Idempotency-Key": "running"])
        #expect(running.status == 409)
        #expect(running.errorCode == "idempotency_key_in_progress")
        #expect(running.error?["retryable"] as? Bool == true)
        #expect(running.header("retry-after") != nil)
    }

    @Test func malformedJSONAndMissingFieldsAre400NamingTheProblem() throws {
        let service = try Service()
        defer { service.stop() }
        let key = try service.createPartner().key
        let malformed = try service.send("POST", "/v1/reservations", key: key, body: Array(#"{"vendorId": "x", "#.utf8))
        #expect(malformed.status == 400)
        #expect(malformed.errorCode == "malformed_json")
        #expect((malformed.error?["message"] as? String)?.contains("not valid JSON") == true)
        let array = try service.send("POST", "/v1/reservations", key: key, body: Array("[1,2]".utf8))
        #expect(array.status == 400)
        let missing = try service.send("POST", "/v1/reservations", key: key, body: Array(#"{"vendorId":"00000000-0000-0000-0000-000000000000"}"#.utf8))
        #expect(missing.status == 400)
        #expect((missing.error?["details"] as? [String: Any])?["field"] as? String == "requesterId")
        let badTime = try service.send("POST", "/v1/reservations", key: key, body: Array(
            #"{"vendorId":"00000000-0000-0000-0000-000000000000","requesterId":"r","slotStartTime":"tomorrow","slotEndTime":"2030-01-01T00:00:00Z"}"#.utf8))
        #expect(badTime.status == 400)
        #expect((badTime.error?["details"] as? [String: Any])?["field"] as? String == "slotStartTime")
    }

    @Test func partnerRateLimitAndHoldCapAnswer429() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        try service.setLimits(partner: partner.id, perHour: 1000, maxHolds: 2)
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM, minutes: 30).status == 201)
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 3600, minutes: 30).status == 201)
        let capped = try service.hold(key: partner.key, vendor: vendor, start: tenAM + 7200, minutes: 30)
        #expect(capped.status == 429)
        #expect(capped.errorCode == "hold_cap_reached")
        #expect(capped.error?["retryable"] as? Bool == true)

        try service.setLimits(partner: partner.id, perHour: 3, maxHolds: 100)
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 7200, minutes: 30).status == 201)
        let limited = try service.hold(key: partner.key, vendor: vendor, start: tenAM + 10_800, minutes: 30)
        #expect(limited.status == 429)
        #expect(limited.errorCode == "rate_limited")
        let retryAfter = Int(limited.header("retry-after") ?? "") ?? 0
        #expect(retryAfter > 3000 && retryAfter <= 3600)
        #expect(limited.error?["retryAfter"] as? Int == retryAfter)

        let stats = try service.get("/v1/partner/stats", key: partner.key)
        #expect(stats.status == 200)
        let reputation = stats.json["reputation"] as? [String: Any]
        #expect(reputation?["holds"] as? Int == 3)
        #expect(reputation?["committed"] as? Int == 0)
        #expect(reputation?["holdToCommitRatio"] as? Double == 0.0)
        #expect(try service.bookiji(["partner", "stats", partner.id]).contains("3 holds"))
    }
}

extension ReservationAPITests {
    /// The limits read counters that triggers keep (migration 0004); they must say exactly what
    /// counting the reservations says, through holds, a cancel, lazy expiry and the sweep.
    @Test func usageCountersAgreeWithTheReservationsTheyCount() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        try service.setLimits(partner: partner.id, perHour: 1000, maxHolds: 3)
        let admin = try service.sql()
        func counted() throws -> (created: Int, active: Int) {
            let row = try admin.query("""
                SELECT (SELECT coalesce(sum(created), 0) FROM partner_usage_minutes WHERE partner_id = $1::uuid),
                       (SELECT coalesce(sum(holds), 0) FROM partner_active_holds WHERE partner_id = $1::uuid)
                """, [partner.id]).first!
            return (try row.int(0), try row.int(1))
        }
        func actual() throws -> (created: Int, active: Int) {
            let row = try admin.query("""
                SELECT count(*), count(*) FILTER (WHERE deadline IS NOT NULL) FROM reservations WHERE partner_id = $1::uuid
                """, [partner.id]).first!
            return (try row.int(0), try row.int(1))
        }

        var ids: [String] = []
        for hour in 0..<3 {
            let held = try service.hold(key: partner.key, vendor: vendor, start: tenAM + Int64(hour) * 3600, minutes: 30)
            #expect(held.status == 201)
            ids.append(try #require(held.json["reservationId"] as? String))
        }
        #expect(try counted() == (3, 3))
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 4 * 3600, minutes: 30).errorCode == "hold_cap_reached")

        #expect(try service.send("POST", "/v1/reservations/\(ids[0])/cancel", key: partner.key).status == 200)
        #expect(try counted() == (3, 2))
        #expect(try counted() == actual())

        // One hold's deadline passes; nobody has expired it, so the counter still holds it, and
        // the partner at its cap gets it expired instead of a refusal.
        try admin.query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE id = $1::uuid", [ids[1]])
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 5 * 3600, minutes: 30).status == 201)
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 6 * 3600, minutes: 30).status == 201)
        #expect(try service.hold(key: partner.key, vendor: vendor, start: tenAM + 7 * 3600, minutes: 30).errorCode == "hold_cap_reached")
        #expect(try counted() == (5, 3))
        #expect(try counted() == actual())

        try admin.query("UPDATE reservations SET deadline = now() - interval '1 second' WHERE partner_id = $1::uuid AND deadline IS NOT NULL", [partner.id])
        #expect(try service.bookiji(["expire"]).contains("expired 3 reservations"))
        #expect(try counted() == (5, 0))
        #expect(try counted() == actual())
    }
}

extension Service {
    /// The request hash the API stores with an idempotency key, computed the same way.
    func requestHash(method: String, path: String, body: [UInt8]) throws -> String {
        var canonical = Array("\(method) \(path)\n".utf8)
        let object = try JSONSerialization.jsonObject(with: Data(body))
        canonical += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return SHA256.hash(canonical).hexString
    }
}

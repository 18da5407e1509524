import Foundation
import Testing

/// Vendors and keys (issue 17, point 5): a vendor lists its own reservations through the API and
/// the CLI; a partner holds several keys, and a rolled key works beside its successor until the
/// chosen time, even through the responder's key cache.
struct VendorsAndKeysTests {
    @Test func aVendorListsItsOwnReservationsNewestFirstInPages() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let other = try service.createOpenVendor(name: "Other")
        let vendorKey = try service.createVendorKey(vendor: vendor)
        let otherKey = try service.createVendorKey(vendor: other)
        var ids: [String] = []
        for hour in 0..<3 {
            let held = try service.hold(key: partner.key, vendor: vendor, start: Booking.day(7) + Int64(9 + hour) * 3600, minutes: 30)
            ids.append(try #require(held.json["reservationId"] as? String, "\(held.text)"))
        }
        _ = try service.hold(key: partner.key, vendor: other, start: Booking.day(7) + 9 * 3600, minutes: 30)
        let cancelled = try service.send("POST", "/v1/reservations/\(ids[0])/cancel", key: partner.key)
        #expect(cancelled.status == 200)

        // The partner's list of the same vendor is the order to match (newest first; within a
        // second, as holds are stamped, by id).
        let partnerList = try service.get("/v1/reservations?vendorId=\(vendor)", key: partner.key)
        let order = try #require((partnerList.json["reservations"] as? [[String: Any]])?.compactMap { $0["reservationId"] as? String })
        #expect(Set(order) == Set(ids))
        let first = try service.get("/v1/vendor/reservations?limit=2", key: vendorKey)
        #expect(first.status == 200, "\(first.text)")
        let firstPage = try #require(first.json["reservations"] as? [[String: Any]])
        #expect(firstPage.map { $0["reservationId"] as? String } == Array(order.prefix(2)))
        let cursor = try #require(first.json["nextCursor"] as? String)
        let second = try service.get("/v1/vendor/reservations?limit=2&cursor=\(cursor)", key: vendorKey)
        #expect((second.json["reservations"] as? [[String: Any]])?.map { $0["reservationId"] as? String } == [order[2]])
        #expect(second.json["nextCursor"] is NSNull)

        let onlyCancelled = try service.get("/v1/vendor/reservations?state=CANCELLED", key: vendorKey)
        #expect((onlyCancelled.json["reservations"] as? [[String: Any]])?.map { $0["reservationId"] as? String } == [ids[0]])
        #expect(try service.get("/v1/vendor/reservations?state=NOPE", key: vendorKey).status == 400)
        let others = try service.get("/v1/vendor/reservations", key: otherKey)
        #expect((others.json["reservations"] as? [[String: Any]])?.count == 1)
        // A partner key is not a vendor key.
        #expect(try service.get("/v1/vendor/reservations", key: partner.key).status == 401)

        let cli = try JSONSerialization.jsonObject(with: Data(service.bookiji(["vendor", "reservations", vendor, "--json"]).utf8)) as? [String: Any]
        #expect((cli?["reservations"] as? [[String: Any]])?.map { $0["reservationId"] as? String } == order)
        let heldState = try #require(firstPage.first(where: { $0["reservationId"] as? String == ids[1] })?["state"] as? String
            ?? (second.json["reservations"] as? [[String: Any]])?.first?["state"] as? String)
        let text = try service.bookiji(["vendor", "reservations", vendor, "--state", heldState])
        #expect(text.contains(ids[1]) && !text.contains(ids[0]), "\(heldState): \(text)")
    }

    @Test func aRolledPartnerKeyWorksBesideTheNewOneUntilItsTimeDespiteTheAuthCache() throws {
        // A thread that verified the key before the roll trusts it for the cache's 3 s (it has not
        // seen the expiry): the roll's time is further away than that, as the CLI's help asks.
        // Threads that verify it after the roll cache it only up to its expiry.
        let service = try Service(responderArguments: ["--auth-cache-seconds", "3"])
        defer { service.stop() }
        let partner = try service.createPartner()
        #expect(try service.get("/v1/partner/stats", key: partner.key).status == 200)  // now in the auth cache

        let until = Int64(Date().timeIntervalSince1970) + 5
        let rolled = try JSONSerialization.jsonObject(with: Data(service.bookiji([
            "partner", "key", "roll", partner.id, "--old-valid-until", Booking.iso(until), "--json",
        ]).utf8)) as? [String: Any]
        let newKey = try #require(rolled?["apiKey"] as? String)
        #expect((rolled?["rolledKeys"] as? [[String: Any]])?.first?["status"] as? String == "expiring")
        for _ in 0..<4 {
            #expect(try service.get("/v1/partner/stats", key: partner.key).status == 200)
            #expect(try service.get("/v1/partner/stats", key: newKey).status == 200)
        }
        let keys = try JSONSerialization.jsonObject(with: Data(service.bookiji(["partner", "key", "list", partner.id, "--json"]).utf8)) as? [String: Any]
        #expect((keys?["keys"] as? [[String: Any]])?.compactMap { $0["status"] as? String } == ["expiring", "active"])

        // Two seconds before the time: threads verify the old key again and may cache it, for 3 s
        // unless the cache keeps to its expiry.
        while Int64(Date().timeIntervalSince1970) < until - 2 { usleep(100_000) }
        for _ in 0..<8 { #expect(try service.get("/v1/partner/stats", key: partner.key).status == 200) }
        // Past the chosen time the old key is refused on every thread, though it was cached after the roll.
        while Int64(Date().timeIntervalSince1970) <= until { usleep(200_000) }
        for _ in 0..<8 {
            let refused = try service.get("/v1/partner/stats", key: partner.key)
            #expect(refused.status == 401)
            #expect(try service.get("/v1/partner/stats", key: newKey).status == 200)
        }
        let after = try JSONSerialization.jsonObject(with: Data(service.bookiji(["partner", "key", "list", partner.id, "--json"]).utf8)) as? [String: Any]
        #expect((after?["keys"] as? [[String: Any]])?.compactMap { $0["status"] as? String } == ["expired", "active"])

        // create adds a key; revoke takes one out (the partner keeps its others).
        let created = try JSONSerialization.jsonObject(with: Data(service.bookiji(["partner", "key", "create", partner.id, "--json"]).utf8)) as? [String: Any]
        let thirdID = try #require(created?["keyId"] as? String)
        let third = try #require(created?["apiKey"] as? String)
        #expect(try service.get("/v1/partner/stats", key: third).status == 200)
        let revoked = try JSONSerialization.jsonObject(with: Data(service.bookiji(["partner", "key", "revoke", partner.id, thirdID, "--json"]).utf8)) as? [String: Any]
        #expect(revoked?["status"] as? String == "revoked")
        let later = Booking.iso(Int64(Date().timeIntervalSince1970) + 86_400)
        let scheduled = try JSONSerialization.jsonObject(with: Data(service.bookiji([
            "partner", "key", "revoke", partner.id, try #require(rolled?["keyId"] as? String), "--at", later, "--json",
        ]).utf8)) as? [String: Any]
        #expect(scheduled?["status"] as? String == "expiring")
        #expect(try service.get("/v1/partner/stats", key: newKey).status == 200)
        // A key of another partner is not this partner's to revoke.
        let stranger = try service.createPartner(name: "Stranger")
        let wrong = try CLIConventionTests.cli(service, ["partner", "key", "revoke", stranger.id, thirdID])
        #expect(wrong.exitCode == 66)
    }
}

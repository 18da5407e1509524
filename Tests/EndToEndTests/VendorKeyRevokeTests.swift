import Foundation
import Testing

/// `bookiji vendor key revoke`: a revoked vendor key is refused (401) from the next request on;
/// the responder does not cache vendor keys, so there is no window. Other keys keep working.
struct VendorKeyRevokeTests {
    @Test func revokedVendorKeyIsRefusedAtOnceAndTheVendorsOtherKeyStillWorks() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try service.createPartner()
        let vendor = try service.createOpenVendor()
        let created = try JSONSerialization.jsonObject(
            with: Data(service.bookiji(["vendor", "key", "create", vendor, "--json"]).utf8)) as! [String: Any]
        let keyID = try #require(created["keyId"] as? String)
        let key = try #require(created["apiKey"] as? String)
        let otherKey = try service.createVendorKey(vendor: vendor)
        let held = try service.hold(key: partner.key, vendor: vendor, start: Booking.day(7) + 9 * 3600, minutes: 60)
        let id = try #require(held.json["reservationId"] as? String, "\(held.text)")
        for _ in 0..<4 { #expect(try service.get("/v1/vendor/reservations/\(id)", key: key).status == 200) }
        #expect(try service.bookiji(["vendor", "key", "list", vendor]).contains("\(keyID)  \(key.prefix(10))…  active"))

        let output = try service.bookiji(["vendor", "key", "revoke", keyID])
        #expect(output.contains("revoked vendor key \(keyID) of vendor \(vendor)"))

        // Each of the responder's threads refuses it on the very next request.
        for _ in 0..<8 {
            let refused = try service.get("/v1/vendor/reservations/\(id)", key: key)
            #expect(refused.status == 401)
            #expect(refused.errorCode == "unauthorized")
        }
        #expect(try service.send("POST", "/v1/vendor/reservations/\(id)/confirm", key: key).status == 401)
        #expect(try service.get("/v1/vendor/reservations/\(id)", key: otherKey).status == 200)
        #expect(try service.bookiji(["vendor", "key", "list", vendor]).contains("\(keyID)  \(key.prefix(10))…  revoked"))
        // Revoking again is harmless; an unknown id is an error.
        #expect(try service.bookiji(["vendor", "key", "revoke", keyID]).contains("revoked"))
        #expect(throws: CommandFailure.self) { try service.bookiji(["vendor", "key", "revoke", UUID().uuidString.lowercased()]) }
    }
}

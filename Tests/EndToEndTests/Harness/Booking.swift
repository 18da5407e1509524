import Foundation

/// Helpers for reservation tests: a vendor open every day 06:00-22:00 UTC, and slot times on
/// its grid a week from now.
struct Booking {
    static let openRules = """
        {"timeZone":"UTC","slotMinutes":30,"weeklyHours":{
        "monday":[{"start":"06:00","end":"22:00"}],"tuesday":[{"start":"06:00","end":"22:00"}],
        "wednesday":[{"start":"06:00","end":"22:00"}],"thursday":[{"start":"06:00","end":"22:00"}],
        "friday":[{"start":"06:00","end":"22:00"}],"saturday":[{"start":"06:00","end":"22:00"}],
        "sunday":[{"start":"06:00","end":"22:00"}]}}
        """

    /// Midnight UTC, `days` days from today.
    static func day(_ days: Int) -> Int64 {
        let now = Int64(Date().timeIntervalSince1970)
        return (now / 86_400 + Int64(days)) * 86_400
    }

    static func iso(_ epoch: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }

    /// The JSON body of `POST /v1/reservations`.
    static func body(vendor: String, start: Int64, minutes: Int, requester: String = "req-1", extra: String = "") -> [UInt8] {
        Array("""
            {"vendorId":"\(vendor)","slotStartTime":"\(iso(start))","slotEndTime":"\(iso(start + Int64(minutes) * 60))","requesterId":"\(requester)"\(extra)}
            """.utf8)
    }
}

extension Service {
    /// A vendor with ``Booking/openRules``.
    func createOpenVendor(name: String = "Open Vendor") throws -> String {
        let vendor = try createVendor(name: name, timezone: "UTC")
        let file = directoryPath("open-rules-\(vendor).json")
        try Booking.openRules.write(toFile: file, atomically: true, encoding: .utf8)
        try bookiji(["vendor", "rules", "set", vendor, "--file", file])
        try setPayments(vendor: vendor)
        return vendor
    }

    func hold(key: String, vendor: String, start: Int64, minutes: Int, headers: [String: String] = [:], extra: String = "") throws -> WireResponse {
        try send("POST", "/v1/reservations", key: key, body: Booking.body(vendor: vendor, start: start, minutes: minutes, extra: extra), headers: headers)
    }

    /// Payment settings, without which a vendor cannot be held: 50.00 EUR, 10.00 deposit, 5.00 fee.
    func setPayments(vendor: String, price: Int = 5000) throws {
        try bookiji([
            "vendor", "payments", "set", vendor, "--stripe-account", "acct_1TestVendor", "--currency", "eur",
            "--price", String(price), "--deposit", "1000", "--platform-fee", "500",
        ])
    }

    func createVendorKey(vendor: String) throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(bookiji(["vendor", "key", "create", vendor, "--json"]).utf8)) as! [String: Any]
        return json["apiKey"] as! String
    }

    func setLimits(partner: String, perHour: Int, maxHolds: Int) throws {
        try bookiji(["partner", "limits", partner, "--per-hour", String(perHour), "--max-holds", String(maxHolds)])
    }
}

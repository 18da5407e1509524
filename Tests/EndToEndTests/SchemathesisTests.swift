import Foundation
import Testing

/// The contract tried as a hostile client would: schemathesis generates requests from the served
/// `GET /v1/openapi.json` (valid and invalid ones, every phase, the stateful one following the
/// document's links) against the real stack through nginx, and every answer must match the
/// document: statuses, content types, headers, bodies, rejection of invalid input, acceptance of
/// valid input, 405 with `Allow` for other methods, auth enforced. One run for the whole API.
///
/// It takes a few minutes, so it runs when `BOOKIJI_SCHEMATHESIS=1` (scripts/test sets it);
/// by hand: `BOOKIJI_SCHEMATHESIS=1 swift test --filter SchemathesisTests` (its output is kept in
/// the scratch folder's `schemathesis.out`, and the tail is in the failure message).
@Suite(.serialized)
struct SchemathesisTests {
    static let enabled = ProcessInfo.processInfo.environment["BOOKIJI_SCHEMATHESIS"] == "1"

    /// The vendor id the document gives as its example (`HoldRequest.vendorId`): generated holds
    /// use it, so some of them reach a real, bookable vendor and the stateful phase has
    /// reservations to follow.
    static let exampleVendorID = "00000000-0000-4000-8000-00000000b00c"

    @Test(.enabled(if: enabled, "set BOOKIJI_SCHEMATHESIS=1 (scripts/test does)"))
    func liveStackConformsToItsOpenAPIDocument() throws {
        // nginx's per-address limit would answer most of a fuzzer's requests with 429.
        let service = try Service(nginxArguments: ["--rate", "5000r/s", "--burst", "5000"])
        defer { service.stop() }
        let partner = try service.createPartner()
        try service.bookiji(["partner", "limits", partner.id, "--per-hour", "1000000", "--max-holds", "1000000"])
        let created = try service.createVendor(name: "Schemathesis Vendor", timezone: "UTC")
        let sql = try service.sql()
        _ = try sql.execute(script: "UPDATE vendors SET id = '\(Self.exampleVendorID)' WHERE id = '\(created)'")
        let file = service.directoryPath("open-rules.json")
        // The document's example hold is years ahead (so it stays in the future): the horizon reaches it.
        let rules = Booking.openRules.replacingOccurrences(of: #"{"timeZone":"UTC","#, with: #"{"timeZone":"UTC","bookingHorizonDays":3660,"#)
        #expect(rules != Booking.openRules)
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        try service.bookiji(["vendor", "rules", "set", Self.exampleVendorID, "--file", file])
        try service.setPayments(vendor: Self.exampleVendorID)
        let vendorKey = try service.createVendorKey(vendor: Self.exampleVendorID)
        #expect(try service.get("/v1/vendors/\(Self.exampleVendorID)", key: partner.key).status == 200)

        let run = try capture(python3, [
            Paths.repositoryRoot + "/Tests/Fakes/api_contract.py", "fuzz", "--url", "http://127.0.0.1:\(service.port)",
        ], environment: ["PARTNER_KEY": partner.key, "VENDOR_KEY": vendorKey])
        let output = run.stdout + run.stderr
        try? output.write(toFile: service.directoryPath("schemathesis.out"), atomically: true, encoding: .utf8)
        #expect(output.contains("Stateful"), "the stateful phase ran")
        #expect(run.exitCode == 0, "schemathesis found failures:\n\(output.suffix(20_000))")
    }
}

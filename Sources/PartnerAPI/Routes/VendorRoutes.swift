import BookijiCore
import Coordinator
import FastCGI

extension PartnerAPIHandler {
    /// `GET /v1/vendors/{vendorId}`.
    func vendor(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("vendorId")
        guard let (vendor, payments) = try VendorDirectory(database: database).vendorWithPayments(id: id) else {
            throw BookijiError(.vendorNotFound, "no vendor with id '\(id)'", details: ["vendorId": id])
        }
        var json = JSONWriter()
        json.objectStart()
        json.field("vendorId", vendor.id)
        json.field("name", vendor.name)
        json.field("timezone", vendor.timeZone)
        json.field("revision", vendor.revision)
        json.key("rules")
        json.raw(Array(VendorRulesDocument.json(of: vendor).utf8))
        json.key("payments")
        VendorJSON.payments(payments, into: &json)
        json.key("createdAt"); json.instant(vendor.createdAtMillis / 1000)
        json.key("updatedAt"); json.instant(vendor.updatedAtMillis / 1000)
        json.objectEnd()
        return HTTPResponse(status: 200, json: json.bytes)
    }
}

import BookijiCore
import Coordinator
import FastCGI

extension PartnerAPIHandler {
    /// `GET /v1/vendor/reservations?state=&cursor=&limit=` with a vendor key: the vendor's own
    /// reservations, newest first, paged with the same cursors as `GET /v1/reservations`.
    func listVendorReservations(_ context: RequestContext) throws -> HTTPResponse {
        let query = try ReservationListQuery(context.request.queryParameters)
        let records = try VendorReservations(database: database).list(
            vendorID: context.vendorID!, state: query.state, after: query.cursor, limit: query.limit + 1, now: SystemTime.epochSeconds())
        return HTTPResponse(status: 200, json: APIRendering.reservationPage(records, limit: query.limit, vendorView: true))
    }
}

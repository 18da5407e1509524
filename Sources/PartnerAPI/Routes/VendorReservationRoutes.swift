import BookijiCore
import Coordinator
import FastCGI

extension PartnerAPIHandler {
    /// `GET /v1/vendor/reservations?state=&cursor=&limit=` with a vendor key: the vendor's own
    /// reservations, newest first, paged with the same cursors as `GET /v1/reservations`.
    func listVendorReservations(_ context: RequestContext) throws -> HTTPResponse {
        let parameters = context.request.queryParameters
        var state: ReservationState?
        if let text = parameters["state"], !text.isEmpty {
            guard let parsed = ReservationState(rawValue: text) else {
                throw BookijiError(
                    .invalidParameter, "state must be one of \(ReservationState.allCases.map(\.rawValue).joined(separator: ", "))",
                    details: ["parameter": "state"])
            }
            state = parsed
        }
        var limit = 50
        if let text = parameters["limit"], !text.isEmpty {
            guard let value = Int(text), (1...200).contains(value) else {
                throw BookijiError(.invalidParameter, "limit must be 1 to 200", details: ["parameter": "limit"])
            }
            limit = value
        }
        var cursor: (createdAt: String, id: String)?
        if let text = parameters["cursor"], !text.isEmpty {
            guard let decoded = ReservationCursor.decode(text) else {
                throw BookijiError(
                    .invalidParameter, "cursor is not one this API returned; pass nextCursor from the previous page as it was",
                    details: ["parameter": "cursor"])
            }
            cursor = decoded
        }
        let records = try VendorReservations(database: database).list(
            vendorID: context.vendorID!, state: state, after: cursor, limit: limit + 1, now: SystemTime.epochSeconds())
        return HTTPResponse(status: 200, json: APIRendering.reservationPage(records, limit: limit, vendorView: true))
    }
}

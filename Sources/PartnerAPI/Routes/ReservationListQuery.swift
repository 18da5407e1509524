import BookijiCore

/// What both reservation lists (`GET /v1/reservations`, `GET /v1/vendor/reservations`) take to
/// filter and page: `state`, `limit` and `cursor`, read and checked in one place so the two
/// refuse the same input in the same words.
struct ReservationListQuery {
    var state: ReservationState?
    var limit = 50
    var cursor: (createdAt: String, id: String)?

    init(_ parameters: [String: String]) throws {
        if let text = parameters["state"], !text.isEmpty {
            guard let parsed = ReservationState(rawValue: text) else {
                throw BookijiError(
                    .invalidParameter, "state must be one of \(ReservationState.allCases.map(\.rawValue).joined(separator: ", "))",
                    details: ["parameter": "state"])
            }
            state = parsed
        }
        if let text = parameters["limit"], !text.isEmpty {
            guard let value = Int(text), (1...200).contains(value) else {
                throw BookijiError(.invalidParameter, "limit must be 1 to 200", details: ["parameter": "limit"])
            }
            limit = value
        }
        if let text = parameters["cursor"], !text.isEmpty {
            guard let decoded = ReservationCursor.decode(text) else {
                throw BookijiError(
                    .invalidParameter, "cursor is not one this API returned; pass nextCursor from the previous page as it was",
                    details: ["parameter": "cursor"])
            }
            cursor = decoded
        }
    }
}

import BookijiCore
import Coordinator
import Foundation
import Integrations

/// What a vendor is sent about one confirmation request: the email's subject and text, and the
/// webhook's JSON body. Both carry the link to the confirmation page when the worker can make
/// one (``VendorNotifier/Settings/publicURL`` and a page key), and say how to answer through
/// the vendor API otherwise.
struct VendorNotice {
    var request: ConfirmationRequest
    /// `https://…/v/r/{token}`, or nil when links are not configured.
    var link: String?

    var reservation: ReservationRecord { request.reservation }

    var subject: String {
        let start = LocalWording.instant(reservation.slot.start, zone: request.vendorTimeZone)
        return "Please confirm: booking request for \(start.date), \(start.time)"
    }

    var text: String {
        var lines = [
            "Hello \(request.vendorName),",
            "",
            "\(request.partnerName) asks to book you:",
            "",
            "  When:       \(request.slotText)",
            "  Requester:  \(reservation.requesterID)",
        ]
        if let price = request.priceText { lines.append("  Price:      \(price)") }
        if let deposit = request.depositText { lines.append("  Deposit:    \(deposit), authorized by you once you confirm") }
        lines += ["  Reference:  \(reservation.id)", ""]
        if let link {
            lines.append("Confirm or decline here:")
            lines.append(link)
        } else {
            lines.append("Confirm or decline with your vendor key through the Bookiji API:")
            lines.append("POST /v1/vendor/reservations/\(reservation.id)/confirm (or /decline)")
        }
        if let deadline = request.deadlineText {
            lines += ["", "Please answer before \(deadline); after that the request lapses and the time is free again."]
        }
        lines += ["", "This message was sent automatically by Bookiji."]
        return lines.joined(separator: "\n")
    }

    /// The webhook body: `{id, event, timestamp, data}` like the partners' events, with what
    /// the page shows and the link in `data`.
    func webhookBody(eventID: String, now: Int64) -> [UInt8] {
        var data: [String: Any] = [
            "reservationId": reservation.id, "vendorId": reservation.vendorID, "state": reservation.state.rawValue,
            "slotStartTime": RFC3339.format(reservation.slot.start), "slotEndTime": RFC3339.format(reservation.slot.end),
            "timeZone": request.vendorTimeZone, "slotLocal": request.slotText, "requesterId": reservation.requesterID,
            "partnerName": request.partnerName,
        ]
        if let deadline = reservation.deadline { data["expiresAt"] = RFC3339.format(deadline) }
        if let price = reservation.price {
            data["price"] = ["amount": price.amount, "currency": price.currency, "deposit": price.deposit]
        }
        data["confirmationUrl"] = link ?? NSNull()
        let body: [String: Any] = [
            "id": eventID, "event": VendorNotifications.topic, "timestamp": RFC3339.format(now), "data": data,
        ]
        return Array((try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}

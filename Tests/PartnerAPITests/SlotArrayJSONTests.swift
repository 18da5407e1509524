import Availability
import BookijiCore
import Foundation
@testable import PartnerAPI
import Testing

/// The hand-written slot array must be exactly the JSON the spec's slot shape describes.
@Suite struct SlotArrayJSONTests {
    static let reasons = [
        SlotReason(code: "outside_working_hours", message: "Outside working hours."),
        SlotReason(code: "calendar_busy", message: "The calendar is busy."),
    ]

    /// Slots across a day boundary (so the date part is redone), before 1970 too, with no, one
    /// and two reasons and every confidence of the table plus one outside it.
    static let slots: [AvailabilitySlot] = {
        var slots: [AvailabilitySlot] = []
        let confidences = [1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.75]
        for (index, start) in stride(from: Int64(1_764_543_600), to: 1_764_558_000, by: 1800).enumerated() {
            slots.append(AvailabilitySlot(
                start: start, end: start + 1800, isAvailable: index % 3 == 0,
                confidence: confidences[index % confidences.count], reasons: Array(reasons.prefix(index % 3))))
        }
        slots.append(AvailabilitySlot(start: -90_000, end: -86_400, isAvailable: false, confidence: 0.0, reasons: [reasons[1]]))
        return slots
    }()

    @Test(arguments: [false, true])
    func everySlotCarriesItsFieldsAndTheStamp(includeConfidence: Bool) throws {
        let writer = SlotArrayJSON(computedAt: 1_764_540_000, computedVersion: "ungWv48Bz-pBQUDeXa4iIw", includeConfidence: includeConfidence)
        let (json, catalog) = writer.render(Self.slots)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])
        #expect(parsed.count == Self.slots.count)
        for (object, slot) in zip(parsed, Self.slots) {
            #expect(object["startTime"] as? String == RFC3339.format(slot.start))
            #expect(object["endTime"] as? String == RFC3339.format(slot.end))
            #expect(object["isAvailable"] as? Bool == slot.isAvailable)
            #expect(object["reasons"] as? [String] == slot.reasons.map(\.code))
            #expect(object["computedAt"] as? String == "2025-11-30T22:00:00Z")
            #expect(object["computedVersion"] as? String == "ungWv48Bz-pBQUDeXa4iIw")
            if includeConfidence {
                #expect(object["confidence"] as? Double == slot.confidence)
            } else {
                #expect(object["confidence"] == nil)
            }
        }
        #expect(catalog.map(\.code) == ["outside_working_hours", "calendar_busy"])
    }

    @Test func noSlotsIsAnEmptyArray() {
        let (json, catalog) = SlotArrayJSON(computedAt: 0, computedVersion: "v", includeConfidence: true).render([])
        #expect(json == Array("[]".utf8))
        #expect(catalog.isEmpty)
    }
}

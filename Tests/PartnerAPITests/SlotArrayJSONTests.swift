import Availability
import BookijiCore
import Foundation
@testable import PartnerAPI
import Testing

/// The hand-written slot array must be exactly the JSON the spec's slot shape describes.
@Suite struct SlotArrayJSONTests {
    /// Candidates across a day boundary (so the date part is redone) and before 1970, with no,
    /// one and several reasons, and every code (so every confidence of the table).
    static let result: AvailabilityResult = {
        let sets: [SlotReasonSet] = [
            [], [.init(.outsideWorkingHours)], [.init(.calendarBusy), .init(.outsideWorkingHours)], [.init(.reserved)],
            [.init(.calendarTentative)], [.init(.minNotice)], [.init(.beyondHorizon)], [.init(.bufferConflict)],
        ]
        var candidates: [AvailabilityResult.Candidate] = []
        for (index, start) in stride(from: Int64(1_764_543_600), to: 1_764_558_000, by: 1800).enumerated() {
            candidates.append(.init(start: start, reasons: sets[index % sets.count]))
        }
        candidates.append(.init(start: -90_000, reasons: [.init(.calendarBusy)]))
        var messages: [SlotReasonCode: String] = [:]
        for code in SlotReasonCode.allCases { messages[code] = "text of \(code.rawValue)" }
        return AvailabilityResult(candidates: candidates, messages: messages, computedVersion: "ungWv48Bz-pBQUDeXa4iIw", slotMinutes: 30)
    }()

    @Test(arguments: [false, true])
    func everySlotCarriesItsFieldsAndTheStamp(includeConfidence: Bool) throws {
        let writer = SlotArrayJSON(computedAt: 1_764_540_000, computedVersion: "ungWv48Bz-pBQUDeXa4iIw", includeConfidence: includeConfidence)
        let (json, catalog) = writer.render(Self.result)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])
        let slots = Self.result.slots
        #expect(parsed.count == slots.count)
        for (object, slot) in zip(parsed, slots) {
            #expect(object["startTime"] as? String == RFC3339.format(slot.start))
            #expect(object["endTime"] as? String == RFC3339.format(slot.start + 1800))
            #expect(object["isAvailable"] as? Bool == slot.reasons.isEmpty)
            #expect(object["reasons"] as? [String] == slot.reasons.map(\.code))
            #expect(object["computedAt"] as? String == "2025-11-30T22:00:00Z")
            #expect(object["computedVersion"] as? String == "ungWv48Bz-pBQUDeXa4iIw")
            if includeConfidence {
                #expect(object["confidence"] as? Double == slot.confidence)
            } else {
                #expect(object["confidence"] == nil)
            }
            #expect(object.count == (includeConfidence ? 7 : 6), "no other fields: \(object.keys.sorted())")
        }
        // Every code occurs, each once in the catalog, most severe first, with its text.
        #expect(catalog.map(\.code) == SlotReasonCode.allCases.map(\.rawValue))
        #expect(catalog.allSatisfy { $0.message == "text of \($0.code)" })
    }

    /// The reasons of a slot are listed most severe first, and its confidence is the lowest.
    @Test func reasonsAreInSeverityOrderWithTheLowestConfidence() throws {
        let set: SlotReasonSet = [.init(.bufferConflict), .init(.outsideWorkingHours), .init(.calendarTentative)]
        let result = AvailabilityResult(
            candidates: [.init(start: 0, reasons: set)], messages: [:], computedVersion: "v", slotMinutes: 60)
        let (json, _) = SlotArrayJSON(computedAt: 0, computedVersion: "v", includeConfidence: true).render(result)
        let object = try #require((try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])?.first)
        #expect(object["reasons"] as? [String] == ["calendar_tentative", "outside_working_hours", "buffer_conflict"])
        #expect(object["confidence"] as? Double == 0.2)
        #expect(object["isAvailable"] as? Bool == false)
    }

    /// Bits that stand for no code are dropped from a set.
    @Test func unknownReasonBitsAreIgnored() throws {
        let odd = AvailabilityResult(
            candidates: [.init(start: 0, reasons: SlotReasonSet(rawValue: 0x80)), .init(start: 3600, reasons: SlotReasonSet(rawValue: 0xFF))],
            messages: [:], computedVersion: "v", slotMinutes: 60)
        #expect(SlotReasonSet(rawValue: 0x80).isEmpty)
        let (json, catalog) = SlotArrayJSON(computedAt: 0, computedVersion: "v", includeConfidence: true).render(odd)
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])
        #expect(objects[0]["isAvailable"] as? Bool == true)
        #expect(objects[0]["confidence"] as? Double == 1.0)
        #expect(objects[1]["reasons"] as? [String] == SlotReasonCode.allCases.map(\.rawValue))
        #expect(objects[1]["confidence"] as? Double == 0.0)
        #expect(catalog.count == SlotReasonCode.allCases.count)
    }

    /// A reason set is one byte, and the slot JSON has a part for each of its 256 values: a
    /// ninth code would not fit and would silently vanish from every answer.
    @Test func everyReasonCodeFitsTheSet() {
        #expect(SlotReasonCode.allCases.count <= 8)
        #expect(SlotReasonCode.allCases.allSatisfy { SlotReasonSet($0).codes == [$0] })
    }

    @Test func noSlotsIsAnEmptyArray() {
        let empty = AvailabilityResult(candidates: [], messages: [:], computedVersion: "v", slotMinutes: 60)
        let (json, catalog) = SlotArrayJSON(computedAt: 0, computedVersion: "v", includeConfidence: true).render(empty)
        #expect(json == Array("[]".utf8))
        #expect(catalog.isEmpty)
    }
}

import Availability
import BookijiCore
import Foundation
import Store
import Synchronization

/// Decoded rules by their stored JSON text. Decoding and validating a document costs far more
/// than computing a week of availability, and a vendor's rules change rarely.
private let decodedRules = Mutex<[String: VendorRules]>([:])

/// The default rules' JSON by zone: vendors without rules of their own share it.
private let defaultRulesJSON = Mutex<[String: String]>([:])

/// Reading and writing a vendor's rules document (JSON) with errors that name the field.
public enum VendorRulesDocument {
    /// The rules a vendor has before any are set: Monday to Friday 09:00-17:00 in its zone,
    /// 60-minute slots, no buffers, no notice, a 365-day horizon.
    public static func defaults(timeZone: String) -> VendorRules {
        VendorRules(
            timeZone: timeZone,
            weeklyHours: WeeklyHours([LocalTimeRange("09:00", "17:00")], on: [.monday, .tuesday, .wednesday, .thursday, .friday]),
            slotMinutes: 60)
    }

    /// The vendor's rules: the stored document, or the defaults for its zone.
    public static func rules(of vendor: Vendor) throws -> VendorRules {
        guard let json = vendor.rulesJSON else { return defaults(timeZone: vendor.timeZone) }
        if let known = decodedRules.withLock({ $0[json] }) { return known }
        let rules = try decode(Array(json.utf8))
        decodedRules.withLock { cache in
            if cache.count >= 10_000 { cache.removeAll(keepingCapacity: true) }
            cache[json] = rules
        }
        return rules
    }

    /// The rules document as stored (canonical JSON), or the defaults' JSON.
    public static func json(of vendor: Vendor) -> String {
        if let json = vendor.rulesJSON { return json }
        if let known = defaultRulesJSON.withLock({ $0[vendor.timeZone] }) { return known }
        let json = encode(defaults(timeZone: vendor.timeZone))
        defaultRulesJSON.withLock { $0[vendor.timeZone] = json }
        return json
    }

    /// Decodes and validates a rules document. Errors are `invalid_parameter` naming the field.
    public static func decode(_ bytes: [UInt8]) throws -> VendorRules {
        let rules: VendorRules
        do {
            rules = try JSONDecoder().decode(VendorRules.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw BookijiError(.invalidParameter, "rules: \(describe(error))")
        }
        do {
            try rules.validate()
        } catch {
            throw BookijiError(.invalidParameter, "rules.\(error.field): \(error.message)", details: ["field": error.field])
        }
        return rules
    }

    /// Canonical JSON of a rules document (sorted keys), as stored and as shown.
    public static func encode(_ rules: VendorRules) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(rules)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return names.isEmpty ? "document" : String(names.drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing required field '\(parent == "document" ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type): \(context.debugDescription)"
        case .valueNotFound(_, let context):
            return "\(path(context)): value is null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

import Availability
import BookijiCore
import Postgres
import Store

/// A computed availability answer with what the cache needs to know about it.
public struct VendorAvailability: Sendable {
    public var vendorID: String
    public var revision: Int64
    public var result: AvailabilityResult
    public var computedAt: Int64
    public var computationNanos: UInt64
    /// When this answer stops being true even if nothing is written: the earliest deadline of a
    /// hold it counts as reserved (a hold stops blocking at its deadline, before any sweeper runs).
    public var validUntil: Int64?
}

/// Loads a vendor's availability inputs in one consistent snapshot and runs the engine.
public struct AvailabilityService {
    let connection: PGConnection
    let engine = AvailabilityEngine()

    public init(connection: PGConnection) {
        self.connection = connection
    }

    /// Computes availability for `query` (its `now` is the caller's clock).
    /// Throws `vendor_not_found`, or `invalid_parameter` for a query the engine refuses.
    public func compute(vendorID: String, query: AvailabilityQuery) throws -> VendorAvailability {
        let started = SystemTime.monotonicNanos()
        // One snapshot: the revision read here matches the inputs read here.
        let inputs = try connection.transaction(isolation: .repeatableRead) { conn -> Inputs in
            guard let vendor = try VendorStore(connection: conn).find(id: vendorID) else {
                throw BookijiError(.vendorNotFound, "no vendor with id '\(vendorID)'", details: ["vendorId": vendorID])
            }
            return try Self.inputs(of: vendor, around: UTCInterval(start: query.start, end: query.end), now: query.now, on: conn)
        }
        let result: AvailabilityResult
        do {
            result = try engine.compute(
                rules: inputs.rules, busy: inputs.busy, reserved: inputs.holds.map(\.interval), query: query)
        } catch {
            throw BookijiError(.invalidParameter, error.message, details: ["field": error.field])
        }
        return VendorAvailability(
            vendorID: vendorID, revision: inputs.vendor.revision, result: result, computedAt: query.now,
            computationNanos: SystemTime.monotonicNanos() - started,
            validUntil: inputs.holds.compactMap(\.deadline).min())
    }

    /// Why a requested slot cannot be held, or nil when it can: the slot must be one the engine
    /// offers (on the vendor's grid) and available, counting every blocking reservation except
    /// `excluding` (the reservation being revalidated). Runs on the caller's transaction.
    public func unavailability(
        of slot: UTCInterval, vendor: Vendor, excluding reservationID: String? = nil, now: Int64
    ) throws -> [SlotReason]? {
        let inputs = try Self.inputs(of: vendor, around: slot, now: now, on: connection)
        let rules = inputs.rules, busy = inputs.busy
        let holds = inputs.holds.filter { $0.id != reservationID }
        let minutes = Int(slot.duration / 60)
        guard slot.duration % 60 == 0, minutes > 0 else {
            return [SlotReason(code: "not_offered", message: "The slot must be a whole number of minutes long.")]
        }
        let result: AvailabilityResult
        do {
            result = try engine.compute(
                rules: rules, busy: busy, reserved: holds.map(\.interval),
                query: AvailabilityQuery(start: slot.start, end: slot.end, slotMinutes: minutes, now: now))
        } catch {
            return [SlotReason(code: "not_offered", message: error.message)]
        }
        guard let offered = result.slots.first(where: { $0.start == slot.start && $0.end == slot.end }) else {
            return [SlotReason(
                code: "not_offered",
                message: "The vendor does not offer a \(minutes)-minute slot starting at \(RFC3339.format(slot.start)); pick one from the availability endpoint.")]
        }
        return offered.isAvailable ? nil : offered.reasons
    }

    struct Inputs {
        var vendor: Vendor
        var rules: VendorRules
        var busy: [BusyInterval]
        var holds: [BlockingReservation]
    }

    /// The vendor's rules, and the busy time and blocking reservations that can touch `span`:
    /// the span widened by the buffers and a granule, since time near a slot affects it.
    static func inputs(of vendor: Vendor, around span: UTCInterval, now: Int64, on conn: PGConnection) throws -> Inputs {
        let rules = try VendorRulesDocument.rules(of: vendor)
        let margin = Int64(max(rules.bufferBeforeMinutes, rules.bufferAfterMinutes) + rules.granuleMinutes) * 60
        let window = UTCInterval(start: span.start - margin, end: span.end + margin)
        return Inputs(
            vendor: vendor, rules: rules,
            busy: try CalendarStore(connection: conn).intervals(vendorID: vendor.id, overlapping: window),
            holds: try ReservationStore(connection: conn).blockingIntervals(vendorID: vendor.id, overlapping: window, now: now))
    }
}

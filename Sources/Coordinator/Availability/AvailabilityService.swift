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
        let started = MonotonicClock.nanos()
        // One snapshot: the revision read here matches the inputs read here.
        let inputs = try connection.transaction(isolation: .repeatableRead) { conn -> Inputs in
            guard let vendor = try VendorStore(connection: conn).find(id: vendorID) else {
                throw BookijiError(.vendorNotFound, "no vendor with id '\(vendorID)'", details: ["vendorId": vendorID])
            }
            let rules = try VendorRulesDocument.rules(of: vendor)
            let margin = Int64(max(rules.bufferBeforeMinutes, rules.bufferAfterMinutes) + rules.granuleMinutes) * 60
            let window = UTCInterval(start: query.start - margin, end: query.end + margin)
            let busy = try CalendarStore(connection: conn).intervals(vendorID: vendorID, overlapping: window)
            let holds = try ReservationStore(connection: conn).blockingIntervals(vendorID: vendorID, overlapping: window, now: query.now)
            return Inputs(vendor: vendor, rules: rules, busy: busy, holds: holds)
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
            computationNanos: MonotonicClock.nanos() - started,
            validUntil: inputs.holds.compactMap(\.deadline).min())
    }

    struct Inputs {
        var vendor: Vendor
        var rules: VendorRules
        var busy: [BusyInterval]
        var holds: [BlockingReservation]
    }
}

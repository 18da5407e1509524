import Availability
import BookijiCore
import Store
import Synchronization

/// A computed availability answer with what the cache needs to know about it.
public struct VendorAvailability: Sendable {
    public var vendorID: String
    public var revision: Int64
    public var result: AvailabilityResult
    public var computedAt: Int64
    public var computationNanos: UInt64
    /// When this answer stops being true even if nothing is written: the earliest deadline of a
    /// hold it counts as reserved (a hold stops blocking at its deadline, before any sweeper runs)
    /// or the instant minimum notice or the horizon moves past a slot, whichever comes first.
    public var validUntil: Int64?
}

/// Loads a vendor's availability inputs in one consistent snapshot and runs the engine.
public struct AvailabilityService {
    let database: Database
    static let engine = AvailabilityEngine()

    public init(database: Database) {
        self.database = database
    }

    /// The vendor's current revision (every change to an input of its availability bumps it), or
    /// nil for an unknown vendor: the one indexed lookup a cached answer costs. On the read
    /// replica when it is fresh enough (``Database/readPreferringReplica(_:acceptable:onPrimary:)``),
    /// unless it gives less than `minimumRevision` (one this process knows was reached).
    public func revision(of vendorID: String, minimumRevision: Int64? = nil) throws -> Int64? {
        try database.readPreferringReplica(
            { try VendorStore($0).revision(id: vendorID) }, acceptable: { ($0 ?? -1) >= (minimumRevision ?? 0) })
    }

    /// Computes availability for `query` (its `now` is the caller's clock), on the read replica
    /// when it is fresh enough; an answer the replica gives at a revision below
    /// `minimumRevision` (one this process knows was reached) is computed again on the primary.
    /// Throws `vendor_not_found`, or `invalid_parameter` for a query the engine refuses.
    public func compute(vendorID: String, query: AvailabilityQuery, minimumRevision: Int64? = nil) throws -> VendorAvailability {
        let started = SystemTime.monotonicNanos()
        // One statement, so one snapshot: the revision read matches the inputs read with it.
        guard let inputs = try database.readPreferringReplica({ conn in
            try Self.inputs(of: vendorID, around: UTCInterval(start: query.start, end: query.end), now: query.now, on: conn)
        }, acceptable: { inputs in
            // An unknown vendor on the replica may be one created a moment ago: the primary says.
            guard let inputs else { return false }
            return inputs.vendor.revision >= (minimumRevision ?? 0)
        }) else {
            throw BookijiError(.vendorNotFound, "no vendor with id '\(vendorID)'", details: ["vendorId": vendorID])
        }
        let result: AvailabilityResult
        do {
            result = try Self.engine.compute(
                rules: inputs.rules, busy: inputs.busy, reserved: inputs.holds.map(\.interval), query: query)
        } catch {
            // The engine names its query's fields; the partner sent the API's query parameters.
            let parameter = ["slotMinutes": "slotDuration", "start": "startTime", "end": "endTime"][error.field] ?? error.field
            throw BookijiError(.invalidParameter, "\(parameter): \(error.message)", details: ["parameter": parameter])
        }
        return VendorAvailability(
            vendorID: vendorID, revision: inputs.vendor.revision, result: result, computedAt: query.now,
            computationNanos: SystemTime.monotonicNanos() - started,
            validUntil: (inputs.holds.compactMap(\.deadline) + [result.changesAt].compactMap { $0 }).min())
    }

    /// Why a requested slot cannot be held, or nil when it can: the slot must be one the engine
    /// offers (on the vendor's grid) and available, counting every blocking reservation except
    /// `excluding` (the reservation being revalidated). Runs on the caller's transaction.
    static func unavailability(
        of slot: UTCInterval, inputs: Inputs, excluding reservationID: String? = nil, now: Int64
    ) throws -> [SlotReason]? {
        let holds = inputs.holds.filter { $0.id != reservationID }
        let minutes = Int(slot.duration / 60)
        guard slot.duration % 60 == 0, minutes > 0 else {
            return [SlotReason(code: "not_offered", message: "The slot must be a whole number of minutes long.")]
        }
        let result: AvailabilityResult
        do {
            result = try Self.engine.compute(
                rules: inputs.rules, busy: inputs.busy, reserved: holds.map(\.interval),
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

    /// A vendor, its decoded rules, and what occupies its time around a span (see
    /// ``VendorOccupancy``).
    struct Inputs {
        /// The vendor's row. Its `rulesJSON` is nil when the rules were not read again (the
        /// responder held them for this revision): use `rules`, not `rulesJSON`.
        var vendor: Vendor
        var rules: VendorRules
        var busy: [BusyInterval]
        var holds: [BlockingReservation]
        var stale: [BlockingReservation]
    }

    /// The vendor with its rules, and the busy time and reservations that can touch `span`, or
    /// nil for an unknown vendor, read in one statement. Time near a span affects it, so the span
    /// is widened by the margin the rules need: the longer buffer plus a granule. That margin is
    /// only known once the rules are read, so the read uses the margin this vendor's rules needed
    /// last time (the widest any rules can need, for a vendor not seen before) and is repeated in
    /// the rare case that the rules just read need more. The rules themselves are read only when
    /// the revision differs from the one they were last decoded at.
    static func inputs(of vendorID: String, around span: UTCInterval, now: Int64, on conn: Session) throws -> Inputs? {
        var known = knownVendors.withLock { $0[vendorID] }
        var margin = known?.margin ?? widestMargin
        while true {
            let window = UTCInterval(start: span.start - margin, end: span.end + margin)
            guard let occupancy = try VendorStore(conn).occupancy(
                id: vendorID, overlapping: window, now: now, knownRulesRevision: known?.revision)
            else {
                return nil
            }
            let rules: VendorRules
            if occupancy.rulesOmitted {
                // Left out only when the revision is the one passed, whose rules `known` holds;
                // should that ever not hold, read again with the rules.
                guard let known, known.revision == occupancy.vendor.revision else {
                    known = nil
                    continue
                }
                rules = known.rules
            } else {
                rules = try VendorRulesDocument.rules(of: occupancy.vendor)
            }
            let needed = Int64(max(rules.bufferBeforeMinutes, rules.bufferAfterMinutes) + rules.granuleMinutes) * 60
            if known?.revision != occupancy.vendor.revision || known?.margin != needed {
                knownVendors.withLock { vendors in
                    if vendors.count >= 100_000 { vendors.removeAll(keepingCapacity: true) }
                    vendors[vendorID] = KnownVendor(revision: occupancy.vendor.revision, rules: rules, margin: needed)
                }
            }
            if needed <= margin {
                return Inputs(
                    vendor: occupancy.vendor, rules: rules, busy: occupancy.busy, holds: occupancy.holds,
                    stale: occupancy.stale)
            }
            margin = needed
        }
    }

    /// The margin the longest buffer and the coarsest granule the rules allow would need.
    static let widestMargin = Int64(VendorRules.maximumSlotMinutes + (VendorRules.allowedGranules.max() ?? 60)) * 60
}

/// A vendor's rules as decoded at a revision, and the margin around a span they need.
private struct KnownVendor {
    var revision: Int64
    var rules: VendorRules
    var margin: Int64
}

/// What each vendor's rules were when last read, by vendor id.
private let knownVendors = Mutex<[String: KnownVendor]>([:])

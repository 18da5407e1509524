import BookijiCore
import Postgres
import Store
import Testing

/// Migration 0019: a vendor's new revision is announced on ``VendorStore/revisionChannel`` at the
/// commit of the transaction that changed it, once per revision, and never for a change rolled
/// back or an update that leaves the revision alone.
struct VendorRevisionNotifyTests {
    /// The payloads heard on the channel within `seconds` (or until `count` arrived).
    private func heard(_ listener: PGConnection, count: Int, seconds: Double = 1) throws -> [String] {
        var payloads: [String] = []
        let deadline = Double(SystemTime.monotonicNanos()) / 1e9 + seconds
        while payloads.count < count {
            let left = deadline - Double(SystemTime.monotonicNanos()) / 1e9
            if left <= 0 { break }
            payloads += try listener.waitForNotifications(timeout: left)
                .filter { $0.channel == VendorStore.revisionChannel }.map(\.payload)
        }
        return payloads
    }

    @Test func everyNewRevisionIsAnnouncedAtCommit() throws {
        let database = try TestDatabase(migrated: true)
        let listener = try database.connect()
        try listener.listen(VendorStore.revisionChannel)
        let connection = try database.connect()
        let store = VendorStore(Session(connection))
        let vendor = try store.create(name: "Clinic", timeZone: "UTC")
        #expect(try heard(listener, count: 1, seconds: 0.2).isEmpty, "a new vendor has nothing cached anywhere")

        _ = try store.setRules(id: vendor.id, rulesJSON: #"{"slotMinutes":30,"timeZone":"UTC"}"#, timeZone: "UTC")
        #expect(try heard(listener, count: 1) == ["\(vendor.id):2"])

        // Two bumps in one transaction: both announced, and only once it commits.
        let session = Session(connection)
        try session.transaction { session in
            try VendorStore(session).bumpRevision(id: vendor.id)
            try VendorStore(session).bumpRevision(id: vendor.id)
            #expect(try heard(listener, count: 1, seconds: 0.2).isEmpty, "nothing before the commit")
        }
        #expect(try heard(listener, count: 2) == ["\(vendor.id):3", "\(vendor.id):4"])

        struct Abandoned: Error {}
        #expect(throws: Abandoned.self) {
            try session.transaction { session in
                try VendorStore(session).bumpRevision(id: vendor.id)
                throw Abandoned()
            }
        }
        try connection.query("UPDATE vendors SET name = 'Renamed' WHERE id = $1::uuid", [vendor.id])
        #expect(try heard(listener, count: 1, seconds: 0.3).isEmpty, "a rollback and an unchanged revision announce nothing")
        try store.bumpRevision(id: vendor.id)
        #expect(try heard(listener, count: 1) == ["\(vendor.id):5"])
        #expect(try store.revision(id: vendor.id) == 5)
    }
}


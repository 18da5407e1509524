import BookijiCore
import Postgres
import Store
import Testing

/// Partners and their API keys: the key is returned once, only its hash is stored.
struct PartnerStoreTests {
    private func makeStore() throws -> (PartnerStore, PGConnection) {
        let connection = try TestDatabase(migrated: true).connect()
        return (PartnerStore(Session(connection)), connection)
    }

    @Test func keyIsReturnedOnceAndOnlyItsHashIsStored() throws {
        let (store, connection) = try makeStore()
        let (partner, key) = try store.create(name: "  Acme Booking  ")
        #expect(partner.name == "Acme Booking")
        #expect(key.hasPrefix("bk_"))
        #expect(key.count == 43)
        #expect(partner.keyPrefix == String(key.prefix(9)))
        #expect(partner.revokedAt == nil)

        // No column of the stored row holds the key or its secret part, in any rendering.
        let row = try #require(try connection.query(
            "SELECT p::text, row_to_json(p)::text FROM partners p WHERE id = $1::uuid", [partner.id]).first)
        for text in [try row.string(0), try row.string(1)] {
            #expect(!text.contains(key))
            #expect(!text.contains(String(key.dropFirst(9))))
        }
        let hash = try connection.query(
            "SELECT encode(api_key_hash, 'hex') FROM partner_api_keys WHERE partner_id = $1::uuid", [partner.id]).first?.string(0)
        #expect(hash == SHA256.hash(Array(key.utf8)).hexString)
        // What the store can read back has no key at all.
        #expect(try store.find(id: partner.id) == partner)
    }

    /// Names are limited as the database's CHECK counts them (code points), so a name of 200
    /// characters whose accents are combining marks is refused by us, not by PostgreSQL (which
    /// would answer a bare constraint error), and a NUL never reaches the database.
    @Test func namesAreLimitedInCodePointsAndRefuseNUL() throws {
        let (store, _) = try makeStore()
        let accented = String(repeating: "e\u{301}", count: 101)  // 101 characters, 202 code points
        #expect(accented.count == 101)
        for name in [accented, "Acme\u{0}Booking"] {
            #expect {
                _ = try store.create(name: name)
            } throws: { error in
                (error as? BookijiError)?.code == .invalidParameter
            }
        }
        let fits = String(repeating: "e\u{301}", count: 100)  // 200 code points: the limit
        #expect(try store.create(name: fits).partner.name == fits)
    }

    @Test func everyPartnerGetsADifferentKey() throws {
        let (store, _) = try makeStore()
        let keys = try (0..<5).map { try store.create(name: "Partner \($0)").apiKey }
        #expect(Set(keys).count == 5)
        #expect(try store.list().count == 5)
    }

    @Test func authenticateFindsOnlyTheExactKey() throws {
        let (store, _) = try makeStore()
        let (partner, key) = try store.create(name: "Acme")
        #expect(try store.authenticate(apiKey: key)?.id == partner.id)

        let lastChanged = String(key.dropLast()) + (key.last == "a" ? "b" : "a")
        for wrong in [lastChanged, String(key.prefix(9)), "", key + " ", key.uppercased(), "' OR '1'='1",
                      String(repeating: "k", count: 5000)] {
            #expect(try store.authenticate(apiKey: wrong) == nil, "\(wrong.prefix(20))")
        }
    }

    @Test func revokedKeyNoLongerAuthenticates() throws {
        let (store, _) = try makeStore()
        let (partner, key) = try store.create(name: "Acme")
        let (other, otherKey) = try store.create(name: "Other")

        #expect(try store.revoke(id: partner.id))
        #expect(try store.authenticate(apiKey: key) == nil)
        let revokedAt = try #require(try store.find(id: partner.id)?.revokedAt)
        #expect(revokedAt.hasSuffix("Z"))

        // Revoking again keeps the first revocation time.
        #expect(try store.revoke(id: partner.id))
        #expect(try store.find(id: partner.id)?.revokedAt == revokedAt)
        // Other partners are untouched.
        #expect(try store.authenticate(apiKey: otherKey)?.id == other.id)
    }

    @Test func revokeOfUnknownOrMalformedIdIsFalse() throws {
        let (store, _) = try makeStore()
        #expect(try store.revoke(id: "00000000-0000-0000-0000-000000000000") == false)
        #expect(try store.revoke(id: "not-a-uuid") == false)
        #expect(try store.revoke(id: "'; DROP TABLE partners; --") == false)
        #expect(try store.list().isEmpty)
    }

    @Test(arguments: ["", "   ", String(repeating: "n", count: 201)])
    func invalidNameIsRefused(_ name: String) throws {
        let (store, _) = try makeStore()
        let error = #expect(throws: BookijiError.self) { try store.create(name: name) }
        #expect(error?.code == .invalidParameter)
        #expect(try store.list().isEmpty)
    }

    @Test func nameOfTwoHundredCharactersIsAccepted() throws {
        let (store, _) = try makeStore()
        let name = String(repeating: "é", count: 200)
        #expect(try store.create(name: name).partner.name == name)
    }
}

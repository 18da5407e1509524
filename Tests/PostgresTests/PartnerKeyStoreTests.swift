import BookijiCore
import Foundation
import Postgres
import Store
import Testing

/// A partner's several keys (migration 0017): the keys partners held before move over and keep
/// working, a rolled key works until its time, and revoking one key leaves the others.
struct PartnerKeyStoreTests {
    @Test func keysHeldBeforeMigration0017MoveOverAndKeepWorking() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        let all = try Migration.load(directory: TestCluster.repositoryRoot + "/migrations")
        let migrator = Migrator(Session(connection))
        _ = try migrator.migrate(all.filter { $0.version < 17 })
        let live = "bk_" + String(repeating: "L", count: 40), revoked = "bk_" + String(repeating: "R", count: 40)
        for (name, key, revokedAt) in [("Live", live, "NULL"), ("Gone", revoked, "now()")] {
            try connection.query("""
                INSERT INTO partners (name, api_key_hash, api_key_prefix, revoked_at)
                VALUES ($1, sha256(convert_to($2, 'UTF8')), left($2, 9), \(revokedAt))
                """, [name, key])
        }
        _ = try migrator.migrate(all)

        let store = PartnerStore(Session(connection))
        let partner = try #require(try store.authenticate(apiKey: live))
        #expect(partner.name == "Live")
        #expect(partner.keyPrefix == String(live.prefix(9)))
        #expect(try store.authenticate(apiKey: revoked) == nil)
        let keys = PartnerKeyStore(Session(connection))
        #expect(try keys.list(partnerID: partner.id).map(\.status) == ["active"])
        // The key's hash left the partners table with the column.
        let columns = try connection.query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'partners'").map { try $0.string(0) }
        #expect(!columns.contains("api_key_hash"))
    }

    @Test func aRolledKeyWorksUntilItsTimeAndRevokingOneKeyLeavesTheOthers() throws {
        let connection = try TestDatabase(migrated: true).connect()
        let store = PartnerStore(Session(connection)), keys = PartnerKeyStore(Session(connection))
        let (partner, first) = try store.create(name: "Acme")
        let now = Int64(Date().timeIntervalSince1970)

        let rolled = try #require(try keys.roll(partnerID: partner.id, oldValidUntil: now + 3600))
        #expect(rolled.rolled.map(\.status) == ["expiring"])
        let old = try #require(try store.authenticateKey(apiKey: first))
        #expect(old.expiresAtMillis == (now + 3600) * 1000)
        #expect(try store.authenticateKey(apiKey: rolled.apiKey)?.expiresAtMillis == nil)
        // The partner shows its newest live key's prefix.
        #expect(try store.find(id: partner.id)?.keyPrefix == rolled.key.prefix)

        // A later --at never extends an earlier end; an --at in the past revokes now.
        let oldID = try #require(rolled.rolled.first?.id)
        #expect(try keys.revoke(partnerID: partner.id, keyID: oldID, at: now + 7200)?.expiresAt == rolled.rolled.first?.expiresAt)
        try connection.query("UPDATE partner_api_keys SET expires_at = now() - interval '1 second' WHERE id = $1::uuid", [oldID])
        #expect(try store.authenticate(apiKey: first) == nil)
        #expect(try keys.list(partnerID: partner.id).map(\.status) == ["expired", "active"])

        let (thirdKey, third) = try #require(try keys.create(partnerID: partner.id))
        #expect(try keys.revoke(partnerID: partner.id, keyID: thirdKey.id, at: now - 60)?.status == "revoked")
        #expect(try store.authenticate(apiKey: third) == nil)
        #expect(try store.authenticate(apiKey: rolled.apiKey)?.id == partner.id)

        // Another partner's key is not this one's to revoke; unknown partners get nothing.
        let (other, _) = try store.create(name: "Other")
        #expect(try keys.revoke(partnerID: other.id, keyID: rolled.key.id, at: nil) == nil)
        #expect(try store.authenticate(apiKey: rolled.apiKey) != nil)
        #expect(try keys.create(partnerID: UUID().uuidString.lowercased()) == nil)
        #expect(try keys.roll(partnerID: "not-a-uuid", oldValidUntil: now + 60) == nil)
        // Revoking the partner refuses all of its keys.
        try store.revoke(id: partner.id)
        #expect(try store.authenticate(apiKey: rolled.apiKey) == nil)
    }
}

import BookijiCore
import Testing

/// The vendor page link's token: what it binds, and every way a changed or stale one is refused.
struct VendorPageTokenTests {
    static let key = VendorPageKey(bytes: Array(repeating: 42, count: 32))!
    static let token = VendorPageToken(
        reservationID: "0b0e6c1a-2f4d-4c8e-9a51-3d2f1e0c9b7a", vendorID: "7f3c2b1a-0e9d-4c8b-a7f6-5e4d3c2b1a09", expiresAt: 1_800_000_000)

    @Test func aSignedTokenReadsBackWhatItBinds() throws {
        let text = try #require(Self.token.signed(with: Self.key))
        #expect(text.count == 76)
        #expect(text.utf8.allSatisfy { $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") })
        #expect(try VendorPageToken.verify(text, key: Self.key, now: 1_799_999_999) == Self.token)
    }

    @Test func upperCaseIdsAreTheSameToken() throws {
        var upper = Self.token
        upper.reservationID = upper.reservationID.uppercased()
        let text = try #require(upper.signed(with: Self.key))
        #expect(try VendorPageToken.verify(text, key: Self.key, now: 0) == Self.token)
    }

    @Test func everyChangedCharacterIsTampering() throws {
        let text = Array(try #require(Self.token.signed(with: Self.key)))
        for index in text.indices {
            var changed = text
            changed[index] = changed[index] == "A" ? "B" : "A"
            #expect(throws: VendorPageToken.VerifyError.tampered) {
                try VendorPageToken.verify(String(changed), key: Self.key, now: 0)
            }
        }
    }

    @Test(arguments: ["", "abc", "not a token!", String(repeating: "A", count: 76), String(repeating: "A", count: 500)])
    func malformedTextIsTampering(_ text: String) {
        #expect(throws: VendorPageToken.VerifyError.tampered) { try VendorPageToken.verify(text, key: Self.key, now: 0) }
    }

    @Test func anotherKeysTokenIsTampering() throws {
        let other = try #require(VendorPageKey(bytes: Array(repeating: 43, count: 32)))
        let text = try #require(Self.token.signed(with: other))
        #expect(throws: VendorPageToken.VerifyError.tampered) { try VendorPageToken.verify(text, key: Self.key, now: 0) }
    }

    @Test func aTokenExpiresAtItsInstant() throws {
        let text = try #require(Self.token.signed(with: Self.key))
        #expect(throws: VendorPageToken.VerifyError.expired(Self.token)) {
            try VendorPageToken.verify(text, key: Self.key, now: Self.token.expiresAt)
        }
    }

    @Test func idsThatAreNotUUIDsAreNotSigned() {
        #expect(VendorPageToken(reservationID: "r1", vendorID: Self.token.vendorID, expiresAt: 1).signed(with: Self.key) == nil)
    }

    @Test func csrfTokensAreBoundToTheLinkAndTheNonce() {
        let csrf = Self.key.csrfToken(link: "link-a", nonce: "nonce-1")
        #expect(Self.key.checkCSRF(csrf, link: "link-a", nonce: "nonce-1"))
        #expect(!Self.key.checkCSRF(csrf, link: "link-b", nonce: "nonce-1"))
        #expect(!Self.key.checkCSRF(csrf, link: "link-a", nonce: "nonce-2"))
        #expect(!Self.key.checkCSRF(csrf, link: "link-a", nonce: ""))
        #expect(!Self.key.checkCSRF("", link: "link-a", nonce: "nonce-1"))
    }

    @Test func theKeyComesFromThePageKeyOrIsDerivedFromTheTokenKey() throws {
        let page = "dGVzdCBwYWdlIGtleSBmb3IgdmVuZG9yIGxpbmtzISE="
        let tokenKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        #expect(try VendorPageKey.fromEnvironment([:]) == nil)
        let fromPage = try #require(try VendorPageKey.fromEnvironment(["BOOKIJI_PAGE_KEY": page, "BOOKIJI_TOKEN_KEY": tokenKey]))
        let derived = try #require(try VendorPageKey.fromEnvironment(["BOOKIJI_TOKEN_KEY": tokenKey]))
        let signed = try #require(Self.token.signed(with: fromPage))
        #expect(try VendorPageToken.verify(signed, key: fromPage, now: 0) == Self.token)
        #expect(throws: VendorPageToken.VerifyError.tampered) { try VendorPageToken.verify(signed, key: derived, now: 0) }
        #expect(throws: BookijiError.self) { try VendorPageKey.fromEnvironment(["BOOKIJI_PAGE_KEY": "c2hvcnQ="]) }
    }

    @Test(arguments: ["bookings@example.com", "a.b+c@sub.example.org", "x@localhost"])
    func plainMailboxesAreAccepted(_ address: String) throws {
        #expect(try EmailAddress.check(address, field: "email") == address)
    }

    @Test(arguments: ["", "a", "a@", "@b.com", "a@b", "a b@c.com", "a@b.com\r\nBcc: x@y.com", "<a@b.com>", "a@@b.com", "a@.com",
                      "ü@example.com"])
    func otherAddressesAreRefused(_ address: String) {
        #expect(throws: BookijiError.self) { try EmailAddress.check(address, field: "email") }
    }
}

import Integrations
import Foundation
import Testing

@Suite("Token sealing at rest")
struct TokenSealerTests {
    static let key = Data((0..<32).map { UInt8(($0 * 7 + 3) % 256) }).base64EncodedString()
    static let otherKey = Data((0..<32).map { UInt8(($0 * 11 + 1) % 256) }).base64EncodedString()

    @Test func sealedTokenOpensToTheSameTextAndHidesIt() throws {
        let sealer = try TokenSealer.fromEnvironment([TokenSealer.environmentVariable: Self.key])
        let token = "1//0gLrefresh-token-é✓"

        let sealed = sealer.seal(token, context: "vendor:42/google/refresh")

        #expect(sealed.hasPrefix("bk1."))
        #expect(!sealed.contains("refresh-token"))
        #expect(try sealer.open(sealed, context: "vendor:42/google/refresh") == token)
        #expect(sealer.seal(token, context: "vendor:42/google/refresh") != sealed, "fresh nonce every time")
    }

    /// Sealed by the hand-written ChaCha20-Poly1305 that swift-crypto replaced (commit 5575839's
    /// `TokenSealer.seal(_:context:nonce:)`, key = `key` above, nonce = 5, 22, 39, ... (i·17+5),
    /// and checked independently with Python's `cryptography` ChaCha20Poly1305). Tokens stored
    /// before the change must keep opening: the layout is unchanged, so no migration re-seals them.
    static let legacySealed = "bk1.AT1EblwFFic4SVprfI2er8Beyjh6NjglRrL/lXi7d4vBXUspP9sKtj1wNJdh3mhs4PAasC6rJYLj/pbYNobZVA=="
    static let legacyContext = "calendar-source:00000000-0000-4000-8000-000000000042/refreshToken"
    static let legacyToken = "1//0gLegacy-refresh-token-é✓"

    @Test func tokenSealedByTheHandWrittenAEADStillOpens() throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        #expect(try sealer.open(Self.legacySealed, context: Self.legacyContext) == Self.legacyToken)
    }

    @Test func sealingWithTheLegacyNonceReproducesTheLegacyBytes() throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        let nonce = (0..<12).map { UInt8($0 * 17 + 5) }
        #expect(sealer.seal(Self.legacyToken, context: Self.legacyContext, nonce: nonce) == Self.legacySealed)
    }

    @Test func legacyTokenRefusesAnotherContextOrKey() throws {
        do {
            _ = try TokenSealer(base64Key: Self.key).open(Self.legacySealed, context: Self.legacyContext + "x")
            Issue.record("opened under another context")
        } catch {
            #expect(error.code == .authenticationFailed)
        }
        do {
            _ = try TokenSealer(base64Key: Self.otherKey).open(Self.legacySealed, context: Self.legacyContext)
            Issue.record("opened with another key")
        } catch {
            #expect(error.code == .wrongKey)
        }
    }

    /// The context binds a sealed value to one field of one source: neither can be swapped.
    @Test(arguments: [
        ("calendar-source:a/refreshToken", "calendar-source:b/refreshToken"),
        ("calendar-source:a/refreshToken", "calendar-source:a/clientSecret"),
        ("calendar-source:a/accessToken", ""),
    ])
    func contextBindsTheSealedValue(sealedFor: String, openedAs: String) throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        let sealed = sealer.seal("secret", context: sealedFor)
        #expect(try sealer.open(sealed, context: sealedFor) == "secret")
        do {
            _ = try sealer.open(sealed, context: openedAs)
            Issue.record("a value sealed for \(sealedFor) opened as \(openedAs)")
        } catch {
            #expect(error.code == .authenticationFailed)
        }
    }

    @Test func alteredHeaderIsRefused() throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        let bytes = Array(Data(base64Encoded: String(sealer.seal("t", context: "c").dropFirst(4)))!)
        for (index, expected) in [(0, TokenSealingError.Code.malformed), (1, .wrongKey), (4, .wrongKey)] {
            var altered = bytes
            altered[index] ^= 0x01
            do {
                _ = try sealer.open("bk1." + Data(altered).base64EncodedString(), context: "c")
                Issue.record("altered header byte \(index) was accepted")
            } catch {
                #expect(error.code == expected, "byte \(index)")
            }
        }
    }

    @Test func keyFromTheEnvironmentToleratesATrailingNewline() throws {
        let a = try TokenSealer.fromEnvironment([TokenSealer.environmentVariable: Self.key + "\n"])
        let b = try TokenSealer(base64Key: Self.key)
        #expect(a.keyID == b.keyID)
        #expect(try b.open(a.seal("t")) == "t")
    }

    @Test func tamperingAnywhereIsDetected() throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        let sealed = sealer.seal("access-token-value", context: "c", nonce: Array(repeating: 9, count: 12))
        var bytes = Array(Data(base64Encoded: String(sealed.dropFirst(4)))!)
        // Every byte after the 5-byte header: nonce, ciphertext, tag.
        for index in 5..<bytes.count {
            bytes[index] ^= 0x01
            let altered = "bk1." + Data(bytes).base64EncodedString()
            bytes[index] ^= 0x01
            do {
                _ = try sealer.open(altered, context: "c")
                Issue.record("altered byte \(index) was accepted")
            } catch {
                #expect(error.code == .authenticationFailed, "byte \(index)")
            }
        }
    }

    @Test func wrongContextFailsAuthentication() throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        let sealed = sealer.seal("t", context: "vendor:1/google/refresh")
        do {
            _ = try sealer.open(sealed, context: "vendor:2/google/refresh")
            Issue.record("opened under the wrong context")
        } catch {
            #expect(error.code == .authenticationFailed)
        }
    }

    @Test func wrongKeyIsReportedAsSuch() throws {
        let sealed = try TokenSealer(base64Key: Self.key).seal("t")
        let other = try TokenSealer(base64Key: Self.otherKey)
        do {
            _ = try other.open(sealed)
            Issue.record("opened with another key")
        } catch {
            #expect(error.code == .wrongKey)
            #expect(error.message.contains(other.keyID))
        }
    }

    @Test func missingKeyNamesTheVariable() {
        for environment in [[:], [TokenSealer.environmentVariable: "  "]] {
            do {
                _ = try TokenSealer.fromEnvironment(environment)
                Issue.record("no key, yet a sealer")
            } catch {
                #expect(error.code == .missingKey)
                #expect(error.message.contains("BOOKIJI_TOKEN_KEY"))
            }
        }
    }

    @Test(arguments: ["not base64!", Data(repeating: 1, count: 16).base64EncodedString()])
    func invalidKeyIsRefusedWithTheVariableNamed(value: String) {
        do {
            _ = try TokenSealer.fromEnvironment([TokenSealer.environmentVariable: value])
            Issue.record("accepted an invalid key")
        } catch {
            #expect(error.code == .invalidKey)
            #expect(error.message.contains("BOOKIJI_TOKEN_KEY"))
        }
    }

    @Test(arguments: ["", "plain-token", "bk1.", "bk1.!!!", "bk1." + Data([1, 2, 3]).base64EncodedString()])
    func malformedInputIsRefused(text: String) throws {
        let sealer = try TokenSealer(base64Key: Self.key)
        do {
            _ = try sealer.open(text)
            Issue.record("opened \(text)")
        } catch {
            #expect(error.code == .malformed)
        }
    }

    @Test func generatedKeysWork() throws {
        let key = TokenSealer.generateKey()
        #expect(Data(base64Encoded: key)?.count == 32)
        let sealer = try TokenSealer(base64Key: key)
        #expect(try sealer.open(sealer.seal("x")) == "x")
        #expect(TokenSealer.generateKey() != key)
    }
}

import CalendarConnectors
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

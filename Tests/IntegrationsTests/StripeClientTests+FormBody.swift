import Foundation
import Integrations
import Testing

extension StripeClientTests {
    /// ``PaymentIntentParameters/formBody`` and the JSON the caller stores it as.
    @Suite("form body")
    struct FormBodyTests {
        static let awkward = PaymentIntentParameters(
            amount: 5000, currency: "usd",
            metadata: ["note": "a b&c=d", "name": "Zoë 東京", "odd[key]": "x[y]"],
            description: "50% off + tax")

        @Test func spacesAmpersandsEqualsUnicodeAndBracketsArePercentEncoded() {
            #expect(
                Self.awkward.formBody
                    == "amount=5000&capture_method=manual&currency=usd&description=50%25%20off%20%2B%20tax"
                    + "&metadata[name]=Zo%C3%AB%20%E6%9D%B1%E4%BA%AC&metadata[note]=a%20b%26c%3Dd"
                    + "&metadata[odd%5Bkey%5D]=x%5By%5D")
        }

        /// Decoding as a form parser does gives back every value: nothing leaks across `&` or `=`.
        @Test func aFormParserReadsBackEveryValue() throws {
            var decoded: [String: String] = [:]
            for pair in Self.awkward.formBody.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding }
                let name = try #require(parts.first ?? nil), value = try #require(parts.last ?? nil)
                #expect(decoded[name] == nil, "\(name) twice")
                decoded[name] = value
            }
            #expect(
                decoded == [
                    "amount": "5000", "capture_method": "manual", "currency": "usd", "description": "50% off + tax",
                    "metadata[name]": "Zoë 東京", "metadata[note]": "a b&c=d", "metadata[odd[key]]": "x[y]",
                ])
        }

        @Test func everyParameterInByteOrderOfItsName() {
            let parameters = PaymentIntentParameters(
                amount: 7000, currency: "eur", captureMethod: "automatic", metadata: ["b": "2", "a": "1"],
                transferDestination: "acct_1", applicationFeeAmount: 700, paymentMethod: "pm_card_visa", confirm: true,
                description: "d")

            #expect(
                parameters.formBody
                    == "amount=7000&application_fee_amount=700&capture_method=automatic&confirm=true&currency=eur"
                    + "&description=d&metadata[a]=1&metadata[b]=2&payment_method=pm_card_visa&transfer_data[destination]=acct_1")
        }

        @Test func whatIsAbsentIsNotSent() {
            #expect(PaymentIntentParameters(amount: 100, currency: "usd").formBody == "amount=100&capture_method=manual&currency=usd")
        }

        @Test func theStoredJSONGivesBackTheSameRequest() throws {
            let full = PaymentIntentParameters(
                amount: 7000, currency: "eur", metadata: ["reservation_id": "res_1"], transferDestination: "acct_1",
                applicationFeeAmount: 700, paymentMethod: "pm_card_visa", confirm: true, description: "d")

            let stored = try JSONEncoder().encode(full)
            let read = try JSONDecoder().decode(PaymentIntentParameters.self, from: stored)

            #expect(read == full)
            #expect(read.formBody == full.formBody)
        }

        @Test func storedJSONWithoutTheDefaultedFieldsStillReads() throws {
            let read = try JSONDecoder().decode(PaymentIntentParameters.self, from: Data(#"{"amount":100,"currency":"usd"}"#.utf8))

            #expect(read == PaymentIntentParameters(amount: 100, currency: "usd"))
            #expect(read.captureMethod == "manual" && read.confirm == false && read.metadata.isEmpty)
        }
    }
}

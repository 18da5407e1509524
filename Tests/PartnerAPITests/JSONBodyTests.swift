import BookijiCore
import Foundation
import PartnerAPI
import Testing

/// Request bodies: what is wrong with them is said with the right code, and where.
struct JSONBodyTests {
    private func parseError(_ text: String) -> BookijiError? {
        #expect(throws: BookijiError.self) { try JSONBody(Array(text.utf8)) }
    }

    @Test func emptyBodyIsMalformedJSON() {
        let error = parseError("")
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("empty") == true)
    }

    @Test(arguments: [#"{"name":"#, #"{"name" "x"}"#, "{name: 1}", "{\"a\":\"\u{1}\"}", "{\"a\":1}x", "{\"a\":tru}"])
    func syntaxErrorIsMalformedJSONSayingWhere(_ text: String) {
        let error = parseError(text)
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.hasPrefix("request body is not valid JSON") == true)
        // The parser's own words say where: a line/column or character offset, or the end.
        let message = error?.message.lowercased() ?? ""
        #expect(["line", "column", "character", "offset", "end of file"].contains { message.contains($0) },
                "no position in: \(message)")
    }

    /// Foundation's parser on Linux accepts a trailing comma, which strict JSON (RFC 8259) does not.
    @Test(arguments: [#"{"a":1,}"#, #"{"a":[1,2,]}"#])
    func trailingCommaIsRefused(_ text: String) {
        let error = parseError(text)
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("trailing comma") == true, "\(error?.message ?? "accepted")")
    }

    /// Text that is not RFC 8259 JSON, each refused with what is wrong and where.
    @Test(arguments: [
        (#"{"a":01}"#, "start with 0"), (#"{"a":1.}"#, "after '.'"), (#"{"a":.5}"#, "expected a value"),
        (#"{"a":+1}"#, "expected a value"), (#"{'a':1}"#, "field name"), (#"{"a":1} x"#, "after the JSON value"),
        ("{\"a\":\"x\ty\"}", "control character"), (#"{"a":"\x"}"#, "invalid escape"), (#"{"a":"\u12"}"#, "four hexadecimal"),
        (#"{"a":tru}"#, "expected a value"), (#"{"a":1"#, "',' or '}'"), (#"{"a""#, "':'"), (#"{"a":"b"#, "unterminated"),
        (#"{"a":NaN}"#, "expected a value"),
    ])
    func invalidJSONIsRefusedSayingWhatAndWhere(_ text: String, _ expected: String) {
        let error = parseError(text)
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "accepted")")
        #expect(error?.message.contains("at line 1, column") == true)
    }

    @Test func positionCountsLinesAndColumns() {
        let error = parseError("{\n  \"a\": 1,\n  \"b\": 01\n}")
        #expect(error?.message.hasSuffix("at line 3, column 9") == true, "\(error?.message ?? "accepted")")
    }

    @Test func deepNestingIsRefusedWithoutRecursingFar() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = parseError(#"{"a":"# + deep + "}")
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("nested deeper than 64") == true)
    }

    @Test func validJSONOfEveryKindPasses() throws {
        let body = try JSONBody(Array(#" { "s":"a\"\\\/\b\f\n\r\t\u00e9" , "n":[0,-1,2.5,1e3,-0.5E-2], "b":[true,false], "z":null, "o":{} } "#.utf8))
        #expect(try body.string("s") == "a\"\\/\u{8}\u{c}\n\r\té")
    }

    @Test func invalidUTF8IsMalformedJSON() {
        #expect(throws: BookijiError.self) { try JSONBody([UInt8(ascii: "{"), 0xFF, UInt8(ascii: "}")]) }
    }

    @Test(arguments: [("[1,2]", "an array"), ("\"text\"", "a string"), ("42", "a number"), ("null", "null")])
    func bodyThatIsNotAnObjectIsRefused(_ text: String, _ kind: String) {
        let error = parseError(text)
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("object") == true)
        if text == "[1,2]" {
            #expect(error?.message == "request body must be a JSON object, not an array")
        }
    }

    @Test func missingFieldIsInvalidRequestNamingIt() throws {
        let body = try JSONBody(Array(#"{"other":"x"}"#.utf8))
        let error = #expect(throws: BookijiError.self) { try body.string("vendorId") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "missing required field 'vendorId'")
        #expect(error?.details == ["field": "vendorId"])
    }

    @Test(arguments: [(#"{"f":5}"#, "a number"), (#"{"f":[]}"#, "an array"), (#"{"f":{}}"#, "an object"),
                      (#"{"f":null}"#, "null"), (#"{"f":1.5}"#, "a number")])
    func wrongTypeIsInvalidRequestNamingFieldAndType(_ text: String, _ kind: String) throws {
        let body = try JSONBody(Array(text.utf8))
        let error = #expect(throws: BookijiError.self) { try body.string("f") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "field 'f' must be a string, not \(kind)")
        #expect(error?.details == ["field": "f"])
    }

    /// JSON `true` is reported as "a number": Foundation hands booleans over as NSNumber, and
    /// `kind` tests `is NSNumber` without telling booleans apart.
    @Test func booleanIsNamedABoolean() throws {
        let body = try JSONBody(Array(#"{"f":true}"#.utf8))
        let error = #expect(throws: BookijiError.self) { try body.string("f") }
        #expect(error?.message == "field 'f' must be a string, not a boolean")
    }

    @Test func optionalFieldsAcceptAbsenceAndNull() throws {
        let body = try JSONBody(Array(#"{"note":null,"meta":{"k":"v"},"name":"Z\u00fcrich \"q\""}"#.utf8))
        #expect(try body.optionalString("note") == nil)
        #expect(try body.optionalString("absent") == nil)
        #expect(try body.optionalObject("absent") == nil)
        #expect(try body.optionalObject("meta")?["k"] as? String == "v")
        #expect(try body.string("name") == "Zürich \"q\"")
        let error = #expect(throws: BookijiError.self) { try body.optionalObject("name") }
        #expect(error?.message == "field 'name' must be an object, not a string")
        #expect(throws: BookijiError.self) { try body.optionalString("meta") }
    }
}

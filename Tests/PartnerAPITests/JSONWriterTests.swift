import Foundation
import PartnerAPI
import Testing

/// The byte-level JSON writer: escaping, commas and nesting, numbers, instants.
struct JSONWriterTests {
    private func text(_ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        build(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private func parsed(_ build: (inout JSONWriter) -> Void) -> Any? {
        var writer = JSONWriter()
        build(&writer)
        return try? JSONSerialization.jsonObject(with: Data(writer.bytes), options: [.fragmentsAllowed])
    }

    @Test func quotesBackslashesAndControlCharactersAreEscaped() {
        let value = "a\"b\\c/d\n\r\t\u{0}\u{1}\u{8}\u{C}\u{1F}"
        #expect(text { $0.string(value) } == #""a\"b\\c/d\n\r\t\u0000\u0001\u0008\u000c\u001f""#)
        #expect(parsed { $0.string(value) } as? String == value)
    }

    @Test func unicodeIsWrittenAsUTF8AndRoundTrips() {
        let value = "Zürich 東京 🙂 \u{7F} \u{2028}\u{2029}"
        var writer = JSONWriter()
        writer.string(value)
        #expect(writer.bytes == [UInt8(ascii: "\"")] + Array(value.utf8) + [UInt8(ascii: "\"")])
        #expect(parsed { $0.string(value) } as? String == value)
    }

    @Test func keysAreEscapedToo() {
        #expect(text { w in w.objectStart(); w.field("we\"ird\n", 1); w.objectEnd() } == #"{"we\"ird\n":1}"#)
    }

    @Test func nestingAndCommas() {
        let json = text { w in
            w.objectStart()
            w.field("a", 1)
            w.key("b")
            w.arrayStart()
            w.int(1)
            w.int(Int64(-2))
            w.objectStart()
            w.key("c"); w.null()
            w.key("d"); w.arrayStart(); w.arrayEnd()
            w.objectEnd()
            w.arrayEnd()
            w.key("e"); w.objectStart(); w.objectEnd()
            w.field("f", true)
            w.field("g", "x")
            w.field("h", nil as String?)
            w.field("i", Int64.min)
            w.objectEnd()
        }
        #expect(json == #"{"a":1,"b":[1,-2,{"c":null,"d":[]}],"e":{},"f":true,"g":"x","h":null,"i":-9223372036854775808}"#)
        #expect(parsed { _ in } == nil)  // nothing written is not JSON
    }

    @Test func arrayOfObjectsAndRawValues() {
        let json = text { w in
            w.arrayStart()
            for i in 0..<3 { w.objectStart(); w.field("i", i); w.objectEnd() }
            w.raw(Array(#"{"stored":[1,2]}"#.utf8))
            w.bool(false)
            w.arrayEnd()
        }
        #expect(json == #"[{"i":0},{"i":1},{"i":2},{"stored":[1,2]},false]"#)
    }

    @Test(arguments: [
        (1.5, "1.5"), (2.0, "2.0"), (-3.0, "-3.0"), (0.1, "0.1"), (0.0, "0.0"), (123456.789, "123456.789"),
        (1e-7, "1e-07"), (1e15, "1000000000000000.0"), (1e16, "1e+16"), (-2.5e300, "-2.5e+300"),
        (0.30000000000000004, "0.30000000000000004"),
    ])
    func doublesUseTheShortestRoundTrippingForm(_ value: Double, _ expected: String) {
        let written = text { $0.double(value) }
        #expect(written == expected)
        #expect(Double(written) == value)
        // Valid JSON: a JSON parser reads it as a number.
        #expect(parsed { $0.double(value) } is NSNumber)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteDoublesBecomeNull(_ value: Double) {
        #expect(text { $0.double(value) } == "null")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (951_868_799, "2000-02-29T23:59:59Z"),
        (951_868_800, "2000-03-01T00:00:00Z"), (1_772_355_600, "2026-03-01T09:00:00Z"),
        (4_133_980_799, "2100-12-31T23:59:59Z"), (-2_203_891_200, "1900-03-01T00:00:00Z"),
    ])
    func instantsAreRFC3339UTC(_ epoch: Int64, _ expected: String) {
        #expect(text { $0.instant(epoch) } == "\"\(expected)\"")
        #expect(text { w in w.arrayStart(); w.instant(epoch); w.instant(epoch); w.arrayEnd() }
            == "[\"\(expected)\",\"\(expected)\"]")
    }
}

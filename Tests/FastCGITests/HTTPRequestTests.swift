import FastCGI
import Testing

/// Query-string and path decoding, and header lookup, without a server.
struct HTTPRequestTests {
    @Test func queryParametersAreFormDecodedAndTheLastValueWins() {
        let request = HTTPRequest(method: "GET", path: "/", query: "a=1&b=two+words&c=%C3%A9%2B&a=3&flag&=empty&&d=")
        #expect(request.queryParameters == ["a": "3", "b": "two words", "c": "é+", "flag": "", "": "empty", "d": ""])
    }

    @Test func percentDecodingKeepsInvalidEscapesLiterally() {
        #expect(PercentDecoding.decode("a%20b") == "a b")
        #expect(PercentDecoding.decode("100%") == "100%")
        #expect(PercentDecoding.decode("%zz%4") == "%zz%4")
        #expect(PercentDecoding.decode("%e2%82%ac") == "€")
        #expect(PercentDecoding.decode("a+b") == "a+b")
        #expect(PercentDecoding.decode("a+b", plusAsSpace: true) == "a b")
        #expect(PercentDecoding.decode("%2F") == "/")
    }

    @Test func headerLookupIgnoresCase() {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["if-none-match": "\"x\""])
        #expect(request.header("If-None-Match") == "\"x\"")
        let response = HTTPResponse(status: 200, headers: [("Retry-After", "5")])
        #expect(response.header("retry-after") == "5")
        #expect(response.header("etag") == nil)
    }
}

/// RFC 8259 syntax, checked before Foundation parses a request body.
///
/// Foundation's parser on Linux accepts some text that is not JSON (a trailing comma, `{"a":1,}`),
/// and a partner whose client sends such text should hear so, not have it accepted here and
/// refused by a stricter server later. The check also bounds nesting, so no body can make a
/// recursive parser run deep. It only validates; Foundation still builds the values.
///
/// It also bounds what a body may cost before anything is built from it: members per object,
/// values in all, bytes per string (``Limits``), and it refuses a NUL character (`\u0000`),
/// which no PostgreSQL text or jsonb value can hold. Both refusals name the field, as a path
/// such as `metadata.note` or `events[2]`. A 1 MiB body of 80,000 metadata keys cost over two
/// seconds of a responder thread (sorting the keys to store them); it now stops at the 257th.
enum StrictJSON {
    struct SyntaxError: Error {
        var message: String
        var offset: Int

        /// "line L, column C" (1-based; columns count bytes), as a partner's editor shows it.
        func position(in bytes: [UInt8]) -> String {
            let before = bytes.prefix(offset)
            let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            let column = offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            return "line \(line), column \(column)"
        }
    }

    /// A value the syntax allows and this API does not: what is wrong, the field, and the limit
    /// it broke (nil for a NUL).
    struct Refusal: Error {
        var message: String
        var field: String
        var limit: Int?
    }

    enum Failure: Error {
        case syntax(SyntaxError)
        case refused(Refusal)
    }

    static let maximumDepth = 64

    /// What one request body may hold. No route takes more than a few dozen values, and the
    /// largest field (metadata) has tighter limits of its own.
    struct Limits {
        var membersPerObject = 256
        var values = 4096
        var stringBytes = 16_384
    }

    static func validate(_ bytes: [UInt8], limits: Limits = Limits()) throws(Failure) {
        var scanner = Scanner(bytes: bytes, limits: limits)
        do throws(SyntaxError) {
            scanner.skipWhitespace()
            try scanner.value(depth: 0)
            scanner.skipWhitespace()
            guard scanner.index == bytes.count else { throw scanner.error("unexpected text after the JSON value") }
        } catch {
            throw scanner.refusal.map(Failure.refused) ?? .syntax(error)
        }
    }

    private struct Scanner {
        enum Segment {
            case key(Range<Int>)
            case index(Int)
        }

        let bytes: [UInt8]
        let limits: Limits
        var index = 0
        var values = 0
        /// Where the scanner is: the keys and indexes from the top down to the current value.
        var path: [Segment] = []
        /// Set with the first value refused; the scan then stops (as a syntax error would) and
        /// ``validate(_:limits:)`` reports it.
        var refusal: Refusal?

        init(bytes: [UInt8], limits: Limits) {
            self.bytes = bytes
            self.limits = limits
        }

        func error(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: index) }

        /// Records the refusal and stops the scan; the stop is thrown as a syntax error that
        /// ``validate(_:limits:)`` never shows, since ``refusal`` is set.
        mutating func refuse(_ message: (String) -> String, limit: Int?) -> SyntaxError {
            let field = fieldPath
            refusal = Refusal(message: message(field), field: field, limit: limit)
            return error("refused")
        }

        /// `metadata.note`, `events[2]`; the key as written (escapes not decoded).
        var fieldPath: String {
            var text = ""
            for segment in path {
                switch segment {
                case .key(let range):
                    if !text.isEmpty { text += "." }
                    text += String(decoding: bytes[range], as: UTF8.self)
                case .index(let index):
                    text += "[\(index)]"
                }
            }
            return text.isEmpty ? "(the body)" : text
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
            guard current == byte else { throw error("expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws(SyntaxError) {
            guard depth < StrictJSON.maximumDepth else { throw error("nested deeper than \(StrictJSON.maximumDepth) levels") }
            guard let byte = current else { throw error("unexpected end of the body; expected a value") }
            values += 1
            let maximumValues = limits.values
            guard values <= maximumValues else {
                throw refuse({ "the body has more than \(maximumValues) values (at '\($0)'); send less" }, limit: maximumValues)
            }
            switch byte {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): try string(isKey: false)
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw error("expected a value")
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) {
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "}") { index += 1; return }
            var members = 0
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else {
                    throw error(current == UInt8(ascii: "}") ? "trailing comma before '}'" : "expected a field name in double quotes")
                }
                members += 1
                let maximumMembers = limits.membersPerObject
                guard members <= maximumMembers else {
                    throw refuse({ "'\($0)' has more than \(maximumMembers) members; send fewer" }, limit: maximumMembers)
                }
                let keyStart = index + 1
                path.append(.key(keyStart..<keyStart))
                try string(isKey: true)
                path[path.count - 1] = .key(keyStart..<(index - 1))
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after the field name")
                skipWhitespace()
                try value(depth: depth + 1)
                path.removeLast()
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) {
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return }
            var count = 0
            while true {
                skipWhitespace()
                if current == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
                path.append(.index(count))
                defer { path.removeLast() }
                count += 1
                try value(depth: depth + 1)
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return
            }
        }

        /// A string; a key's path segment is set by the caller, so a NUL in a key names the key
        /// being read (as written so far).
        mutating func string(isKey: Bool) throws(SyntaxError) {
            let start = index
            index += 1
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    let maximumBytes = limits.stringBytes
                    guard index - start - 2 <= maximumBytes else {
                        let what = isKey ? "a field name in" : "field"
                        throw refuse({ "\(what) '\($0)' is longer than \(maximumBytes) bytes" }, limit: maximumBytes)
                    }
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = current else { break }
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        index += 1
                        for _ in 0..<4 {
                            guard let hex = current, Self.isHex(hex) else { throw error("\\u needs four hexadecimal digits") }
                            index += 1
                        }
                        if bytes[(index - 4)..<index].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                            // A key's segment holds the key up to the NUL.
                            if isKey { path[path.count - 1] = .key((start + 1)..<(index - 6)) }
                            let what = isKey ? "the field name '\(fieldPath)…'" : "field '\(fieldPath)'"
                            throw refuse({ _ in "\(what) contains a NUL character (\\u0000), which no text may hold" }, limit: nil)
                        }
                    default:
                        throw error("invalid escape in a string")
                    }
                case 0..<0x20:
                    throw error("control character in a string (escape it)")
                default:
                    index += 1
                }
            }
            throw error("unterminated string")
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count,
                  bytes[index..<(index + count)].elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: count))
            else { throw error("expected a value") }
            index += count
        }

        mutating func number() throws(SyntaxError) {
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, Self.isDigit(first) else { throw error("expected a digit") }
            index += 1
            if first != UInt8(ascii: "0") { digits() } else if let next = current, Self.isDigit(next) {
                throw error("numbers do not start with 0")
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard let digit = current, Self.isDigit(digit) else { throw error("expected a digit after '.'") }
                digits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let digit = current, Self.isDigit(digit) else { throw error("expected a digit in the exponent") }
                digits()
            }
        }

        mutating func digits() {
            while let byte = current, Self.isDigit(byte) { index += 1 }
        }

        static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        static func isHex(_ byte: UInt8) -> Bool {
            isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
    }
}

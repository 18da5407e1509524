/// Splits raw bytes into unfolded content lines, keeping the physical line number where each one
/// starts, and checks the RFC 5545 content-line syntax that libical's lenient parser would
/// silently repair or drop.
///
/// Accepted line endings are CRLF, LF and a lone CR; a line starting with a space or tab
/// continues the previous one. Blank lines are ignored (many exporters end files with them).
///
/// A content line that does not parse is returned as ``Line/unparsable(_:)`` for the
/// ``ComponentTreeBuilder`` to judge (skipped inside a calendar, fatal outside one). Damage that
/// leaves nothing to trust fails here in every mode: a NUL byte (binary data, or UTF-16) and a
/// continuation line with no content line before it.
struct ContentLineReader {
    enum Line: Sendable {
        case content(ContentLine)
        /// The content line starting at `error.line` does not parse; `error` says why.
        case unparsable(ICalendarError)
    }

    static func read(_ bytes: [UInt8]) throws(ICalendarError) -> [Line] {
        var lines: [Line] = []
        lines.reserveCapacity(bytes.count / 40)
        var logical: [UInt8] = []
        logical.reserveCapacity(256)
        var logicalLine = 0
        var haveLogical = false
        var lineNumber = 0
        var i = 0
        let n = bytes.count
        // Skip a UTF-8 byte order mark.
        if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }

        while i < n {
            lineNumber += 1
            let start = i
            while i < n, bytes[i] != 0x0A, bytes[i] != 0x0D {
                if bytes[i] == 0 {
                    throw ICalendarError(
                        .notACalendar, line: lineNumber,
                        "a NUL byte: this is binary data (or UTF-16 text), not an iCalendar stream in UTF-8")
                }
                i += 1
            }
            let end = i
            if i < n {
                if bytes[i] == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 2 } else { i += 1 }
            }
            // Whitespace-only physical lines carry nothing: skip them.
            var blank = true
            for k in start..<end where bytes[k] != 0x20 && bytes[k] != 0x09 {
                blank = false
                break
            }
            if blank { continue }
            if bytes[start] == 0x20 || bytes[start] == 0x09 {
                guard haveLogical else {
                    throw ICalendarError(
                        .malformedLine, line: lineNumber,
                        "continuation line (starting with whitespace) without a content line before it")
                }
                logical.append(contentsOf: bytes[(start + 1)..<end])
                continue
            }
            if haveLogical {
                lines.append(parseOrReport(logical, line: logicalLine))
            }
            logical.removeAll(keepingCapacity: true)
            logical.append(contentsOf: bytes[start..<end])
            logicalLine = lineNumber
            haveLogical = true
        }
        if haveLogical {
            lines.append(parseOrReport(logical, line: logicalLine))
        }
        return lines
    }

    static func parseOrReport(_ b: [UInt8], line: Int) -> Line {
        do {
            return .content(try parse(b, line: line))
        } catch {
            return .unparsable(error)
        }
    }

    @inline(__always)
    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D
    }

    static func upperASCII(_ bytes: ArraySlice<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { buffer in
            var k = 0
            for c in bytes {
                buffer[k] = (c >= 0x61 && c <= 0x7A) ? c - 32 : c
                k += 1
            }
            return k
        }
    }

    /// Parses `name *(";" param) ":" value`.
    static func parse(_ b: [UInt8], line: Int) throws(ICalendarError) -> ContentLine {
        var i = 0
        let n = b.count
        while i < n, isNameByte(b[i]) { i += 1 }
        guard i > 0 else {
            throw ICalendarError(
                .malformedLine, line: line,
                "expected a property name (letters, digits, '-') at the start of the line, found \(describe(b.first))")
        }
        let name = upperASCII(b[0..<i])
        var parameters: [ContentLine.Parameter] = []
        while i < n, b[i] == UInt8(ascii: ";") {
            i += 1
            let ps = i
            while i < n, isNameByte(b[i]) { i += 1 }
            guard i > ps else {
                throw ICalendarError(.malformedLine, line: line, "\(name): expected a parameter name after ';'")
            }
            let pname = upperASCII(b[ps..<i])
            guard i < n, b[i] == UInt8(ascii: "=") else {
                throw ICalendarError(.malformedLine, line: line, "\(name): parameter \(pname) has no '=' and value")
            }
            i += 1
            var values: [String] = []
            while true {
                if i < n, b[i] == UInt8(ascii: "\"") {
                    i += 1
                    let vs = i
                    while i < n, b[i] != UInt8(ascii: "\"") {
                        guard b[i] >= 0x20 || b[i] == 0x09 else {
                            throw ICalendarError(.malformedLine, line: line, "\(name): control character inside quoted parameter \(pname)")
                        }
                        i += 1
                    }
                    guard i < n else {
                        throw ICalendarError(.malformedLine, line: line, "\(name): unterminated quoted value of parameter \(pname)")
                    }
                    values.append(String(decoding: b[vs..<i], as: UTF8.self))
                    i += 1
                } else {
                    let vs = i
                    while i < n {
                        let c = b[i]
                        if c == UInt8(ascii: ";") || c == UInt8(ascii: ":") || c == UInt8(ascii: ",") { break }
                        guard c != UInt8(ascii: "\""), c >= 0x20 || c == 0x09, c != 0x7F else {
                            throw ICalendarError(.malformedLine, line: line, "\(name): invalid character in parameter \(pname)")
                        }
                        i += 1
                    }
                    values.append(String(decoding: b[vs..<i], as: UTF8.self))
                }
                if i < n, b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                break
            }
            parameters.append(.init(name: pname, values: values))
        }
        guard i < n, b[i] == UInt8(ascii: ":") else {
            throw ICalendarError(
                .malformedLine, line: line,
                "\(name): expected ':' before the value, found \(describe(i < n ? b[i] : nil))")
        }
        i += 1
        let value = String(decoding: b[i..<n], as: UTF8.self)
        return ContentLine(name: name, parameters: parameters, value: value, line: line)
    }

    static func describe(_ c: UInt8?) -> String {
        guard let c else { return "end of line" }
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }
}

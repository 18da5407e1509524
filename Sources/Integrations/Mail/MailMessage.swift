import Foundation
import BookijiCore

/// A plain-text email as RFC 5322 and MIME (RFC 2045, 2047) write it: headers with any
/// non-ASCII text as encoded words and no line breaks a value could smuggle in, and a UTF-8 body
/// in quoted-printable, so it passes relays that do not offer 8BITMIME and no line is longer
/// than 76 characters.
public struct MailMessage: Sendable, Hashable {
    public var from: String
    /// Shown beside the From address (`Bookiji <bookings@example.com>`).
    public var fromName: String?
    public var to: [String]
    public var subject: String
    public var text: String
    /// `<unique@domain>`; stable across retries of one notification.
    public var messageID: String
    /// Unix seconds for the Date header.
    public var date: Int64
    /// More headers (name, value), e.g. `Auto-Submitted: auto-generated`.
    public var headers: [(name: String, value: String)]

    public init(
        from: String, fromName: String? = nil, to: [String], subject: String, text: String, messageID: String, date: Int64,
        headers: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.text = text
        self.messageID = messageID
        self.date = date
        self.headers = headers
    }

    public static func == (a: MailMessage, b: MailMessage) -> Bool { a.rendered() == b.rendered() }
    public func hash(into hasher: inout Hasher) { hasher.combine(rendered()) }

    /// The message as sent after DATA (before dot-stuffing), with CRLF line ends.
    public func rendered() -> [UInt8] {
        var lines: [String] = []
        let fromField = fromName.map { "\(Self.phrase($0)) <\(from)>" } ?? from
        lines.append("From: " + fromField)
        lines.append("To: " + to.joined(separator: ", "))
        lines.append("Subject: " + Self.encodedWords(Self.singleLine(subject)))
        lines.append("Date: " + Self.dateText(date))
        lines.append("Message-ID: " + Self.singleLine(messageID))
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        for (name, value) in headers { lines.append("\(Self.singleLine(name)): \(Self.singleLine(value))") }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + Self.quotedPrintable(text)).utf8)
    }

    /// Header text on one line: CR and LF become spaces.
    static func singleLine(_ text: String) -> String {
        String(text.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    /// A display name: as it is when plain ASCII words, else encoded words.
    static func phrase(_ name: String) -> String {
        let single = singleLine(name)
        let plain = single.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 32 }
        return plain ? single : encodedWords(single, always: true)
    }

    /// RFC 2047 `=?UTF-8?B?…?=` words (each under 75 characters, split between characters)
    /// joined by folding whitespace; ASCII text that fits one line is left as it is.
    static func encodedWords(_ text: String, always: Bool = false) -> String {
        if !always && text.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) && text.utf8.count <= 900 { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 42 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Quoted-printable of UTF-8 text: lines end in CRLF, `=` and bytes outside printable ASCII
    /// are escaped, as is a space or tab ending a line, and soft breaks keep lines at 76.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            var current = ""
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let last = position == bytes.count - 1
                var piece: String
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last) {
                    piece = String(UnicodeScalar(byte))
                } else {
                    piece = "=" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
                }
                if current.utf8.count + piece.utf8.count > 75 {
                    out += current + "=\r\n"
                    current = ""
                }
                current += piece
            }
            out += current
            if index < lines.count - 1 { out += "\r\n" }
        }
        return out
    }

    /// RFC 5322 date in UTC: `Tue, 15 Dec 2026 09:00:00 +0000`.
    static func dateText(_ epochSeconds: Int64) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : -((-epochSeconds + 86_399) / 86_400)
        let seconds = Int(epochSeconds - days * 86_400)
        let (year, month, day) = RFC3339.civilFromDays(days)
        let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][Int(((days + 3) % 7 + 7) % 7)]
        let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(weekday), \(day) \(monthName) \(year) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)) +0000"
    }
}

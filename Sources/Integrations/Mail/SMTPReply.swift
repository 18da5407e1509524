/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text lines (one line, or several
/// for a multiline reply such as EHLO's list of extensions).
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<400).contains(code) }
    /// 4xx: the server may accept the same later.
    public var isTransient: Bool { (400..<500).contains(code) }

    public var description: String { "\(code) \(lines.joined(separator: " / "))" }

    /// The extension keywords of an EHLO reply (every line after the greeting), upper-cased.
    var extensions: Set<String> {
        Set(lines.dropFirst().compactMap { $0.split(separator: " ").first.map { $0.uppercased() } })
    }
}

/// Reads replies from the server's bytes: lines end with CRLF (a bare LF is tolerated); a
/// reply's last line has a space (or nothing) after its code, the others a hyphen. Refuses
/// lines over 2,048 bytes and replies over 100 lines, so a hostile server cannot make the
/// client buffer without end.
struct SMTPReplyParser {
    static let maximumLineBytes = 2048
    static let maximumLines = 100

    private var buffer: [UInt8] = []
    private var pending: [String] = []
    private var pendingCode: Int?

    enum ParseError: Error, Hashable {
        case malformed(String)
        case tooLong
    }

    /// Feeds bytes; returns the replies they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(ParseError) -> [SMTPReply] {
        buffer.append(contentsOf: bytes)
        var replies: [SMTPReply] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if let reply = try take(line) { replies.append(reply) }
        }
        if buffer.count > Self.maximumLineBytes { throw .tooLong }
        return replies
    }

    /// Bytes received but not yet part of a whole line (must be none when TLS starts).
    var hasBufferedBytes: Bool { !buffer.isEmpty || !pending.isEmpty }

    private mutating func take(_ line: [UInt8]) throws(ParseError) -> SMTPReply? {
        guard line.count >= 3, line.count <= Self.maximumLineBytes, line[0..<3].allSatisfy({ (48...57).contains($0) }),
              line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-")
        else { throw .malformed(String(decoding: line.prefix(80), as: UTF8.self)) }
        let code = Int(line[0] - 48) * 100 + Int(line[1] - 48) * 10 + Int(line[2] - 48)
        guard pendingCode == nil || pendingCode == code else { throw .malformed("reply code changed inside a multiline reply") }
        pendingCode = code
        pending.append(line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : "")
        guard pending.count <= Self.maximumLines else { throw .tooLong }
        guard line.count == 3 || line[3] == UInt8(ascii: " ") else { return nil }
        defer { pending = []; pendingCode = nil }
        return SMTPReply(code: code, lines: pending)
    }
}

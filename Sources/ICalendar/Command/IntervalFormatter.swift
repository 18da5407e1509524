import BookijiCore

/// Renders intervals for `bookiji ics expand`.
enum IntervalFormatter {
    /// One JSON array of `{"start","end","status","uid"}` objects, one object per line;
    /// `uid` is omitted when the interval has none.
    static func json(_ intervals: [BusyInterval]) -> String {
        guard !intervals.isEmpty else { return "[]\n" }
        // Bytes rather than String appends: a year of a busy calendar is 100k+ lines.
        var out: [UInt8] = Array("[\n".utf8)
        out.reserveCapacity(intervals.count * 100)
        var stamp = [UInt8](repeating: 0, count: 20)
        for (i, b) in intervals.enumerated() {
            out.append(contentsOf: "  {\"start\":\"".utf8)
            RFC3339.write(b.interval.start, into: &stamp, at: 0)
            out.append(contentsOf: stamp)
            out.append(contentsOf: "\",\"end\":\"".utf8)
            RFC3339.write(b.interval.end, into: &stamp, at: 0)
            out.append(contentsOf: stamp)
            out.append(contentsOf: "\",\"status\":\"".utf8)
            out.append(contentsOf: b.status.rawValue.utf8)
            out.append(UInt8(ascii: "\""))
            if let uid = b.uid {
                out.append(contentsOf: ",\"uid\":".utf8)
                out.append(contentsOf: jsonString(uid).utf8)
            }
            out.append(contentsOf: (i + 1 < intervals.count ? "},\n" : "}\n").utf8)
        }
        out.append(contentsOf: "]\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// `START  END  STATUS  UID` per line.
    static func text(_ intervals: [BusyInterval]) -> String {
        var out = ""
        for b in intervals {
            out += RFC3339.format(b.interval.start) + "  " + RFC3339.format(b.interval.end) + "  " + b.status.rawValue
            if let uid = b.uid { out += "  " + uid }
            out += "\n"
        }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// One unfolded content line: `NAME;PARAM=VALUE:VALUE`, with the line number where it starts.
struct ContentLine: Sendable {
    struct Parameter: Sendable {
        /// Upper-cased parameter name.
        var name: String
        /// Values with surrounding double quotes removed.
        var values: [String]
    }

    /// Upper-cased property name.
    var name: String
    var parameters: [Parameter]
    var value: String
    /// 1-based physical line on which this content line begins.
    var line: Int

    /// First value of the named parameter (names are compared upper-cased).
    func parameter(_ name: String) -> String? {
        for p in parameters where p.name == name { return p.values.first }
        return nil
    }

    /// Re-serialises the line (used to hand VTIMEZONE blocks to libical).
    var serialized: String {
        var out = name
        for p in parameters {
            out += ";" + p.name + "="
            out += p.values.map { v in
                v.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ",") })
                    ? "\"" + v + "\"" : v
            }.joined(separator: ",")
        }
        return out + ":" + value
    }
}

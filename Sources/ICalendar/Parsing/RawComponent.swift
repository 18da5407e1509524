/// A component as written in the file (`BEGIN:NAME` ... `END:NAME`), before interpretation.
struct RawComponent: Sendable {
    /// Upper-cased component name, e.g. `VEVENT`.
    var name: String
    var beginLine: Int
    var endLine: Int
    var properties: [ContentLine]
    var children: [RawComponent]

    func first(_ property: String) -> ContentLine? {
        for p in properties where p.name == property { return p }
        return nil
    }

    func all(_ property: String) -> [ContentLine] {
        properties.filter { $0.name == property }
    }
}

/// Builds the component tree and checks that BEGIN and END pair up.
enum ComponentTreeBuilder {
    /// Returns the top-level VCALENDAR components (a file may concatenate several).
    static func build(_ lines: [ContentLine]) throws(ICalendarError) -> [RawComponent] {
        guard !lines.isEmpty else {
            throw ICalendarError(.notACalendar, line: nil, "the input is empty: expected BEGIN:VCALENDAR")
        }
        var calendars: [RawComponent] = []
        var stack: [RawComponent] = []
        for line in lines {
            switch line.name {
            case "BEGIN":
                let name = line.value.uppercased()
                guard !name.isEmpty, name.utf8.allSatisfy(ContentLineReader.isNameByte) else {
                    throw ICalendarError(.malformedLine, line: line.line, "BEGIN needs a component name, found '\(line.value)'")
                }
                if stack.isEmpty, name != "VCALENDAR" {
                    throw ICalendarError(
                        .notACalendar, line: line.line,
                        "expected BEGIN:VCALENDAR at top level, found BEGIN:\(name)")
                }
                guard stack.count < 32 else {
                    throw ICalendarError(.unbalancedComponents, line: line.line, "components nested more than 32 deep")
                }
                stack.append(RawComponent(name: name, beginLine: line.line, endLine: 0, properties: [], children: []))
            case "END":
                let name = line.value.uppercased()
                guard var top = stack.popLast() else {
                    throw ICalendarError(.unbalancedComponents, line: line.line, "END:\(name) without a matching BEGIN")
                }
                guard top.name == name else {
                    throw ICalendarError(
                        .unbalancedComponents, line: line.line,
                        "END:\(name) does not close BEGIN:\(top.name) from line \(top.beginLine)")
                }
                top.endLine = line.line
                if stack.isEmpty {
                    calendars.append(top)
                } else {
                    stack[stack.count - 1].children.append(top)
                }
            default:
                guard !stack.isEmpty else {
                    throw ICalendarError(
                        calendars.isEmpty ? .notACalendar : .unbalancedComponents, line: line.line,
                        calendars.isEmpty
                            ? "\(line.name) before BEGIN:VCALENDAR: this is not an iCalendar file"
                            : "\(line.name) after END:VCALENDAR")
                }
                stack[stack.count - 1].properties.append(line)
            }
        }
        if let open = stack.last {
            throw ICalendarError(
                .unbalancedComponents, line: lines[lines.count - 1].line,
                "the file ends inside \(open.name) begun at line \(open.beginLine) (missing END:\(open.name); truncated file?)")
        }
        return calendars
    }
}

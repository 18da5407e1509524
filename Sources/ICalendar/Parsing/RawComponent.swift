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
///
/// Inside a calendar, a line that does not parse is skipped and an `END:` that names no open
/// component closes the innermost one, each recorded in the ``RepairLog`` (errors when strict).
/// The calendar itself is never closed by a repair, and nothing outside it is repaired: content
/// before `BEGIN:VCALENDAR` or after its `END`, an `END` naming nothing open while only the
/// calendar is, and a file cut short inside a component are refused in every mode.
enum ComponentTreeBuilder {
    /// Returns the top-level VCALENDAR components (a file may concatenate several).
    static func build(_ lines: [ContentLineReader.Line], repairs: inout RepairLog) throws(ICalendarError) -> [RawComponent] {
        guard let lastLine = lines.last else {
            throw ICalendarError(.notACalendar, line: nil, "the input is empty: expected BEGIN:VCALENDAR")
        }
        var calendars: [RawComponent] = []
        var stack: [RawComponent] = []
        for item in lines {
            let line: ContentLine
            switch item {
            case .content(let l):
                line = l
            case .unparsable(let error):
                // Outside a calendar there is no context to skip it in: the file is not one.
                guard let open = stack.last, let errorLine = error.line else { throw error }
                try repairs.repair(
                    .unparsableLine, line: errorLine, "skipped a line inside \(open.name) that does not parse (\(error.message))",
                    else: error)
                continue
            }
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
                guard let top = stack.last else {
                    throw ICalendarError(.unbalancedComponents, line: line.line, "END:\(name) without a matching BEGIN")
                }
                if top.name != name {
                    let refusal = ICalendarError(
                        .unbalancedComponents, line: line.line,
                        "END:\(name) does not close BEGIN:\(top.name) from line \(top.beginLine)")
                    if let outer = stack.lastIndex(where: { $0.name == name }) {
                        // A missing END (BEGIN:VALARM never closed before END:VEVENT): close down to the named one.
                        for open in stack[(outer + 1)...].reversed() {
                            try repairs.repair(
                                .mismatchedEnd, line: line.line,
                                "END:\(name) closes BEGIN:\(name) from line \(stack[outer].beginLine), so BEGIN:\(open.name) from line \(open.beginLine), which has no END, was closed with it",
                                else: refusal)
                            close(&stack, at: line.line, into: &calendars)
                        }
                    } else if stack.count == 1 {
                        // Only the calendar is open: a stray END, or END:VCALENDAR cut short. A
                        // calendar is never closed by guesswork, so a truncated file stays refused.
                        throw ICalendarError(
                            .unbalancedComponents, line: line.line, "END:\(name) without a matching BEGIN (only \(top.name) is open)")
                    } else {
                        try repairs.repair(
                            .mismatchedEnd, line: line.line,
                            "END:\(name) does not close BEGIN:\(top.name) from line \(top.beginLine): closed \(top.name)",
                            else: refusal)
                        close(&stack, at: line.line, into: &calendars)
                        continue
                    }
                }
                close(&stack, at: line.line, into: &calendars)
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
            let last: Int
            switch lastLine {
            case .content(let l): last = l.line
            case .unparsable(let e): last = e.line ?? 0
            }
            throw ICalendarError(
                .unbalancedComponents, line: last,
                "the file ends inside \(open.name) begun at line \(open.beginLine) (missing END:\(open.name); truncated file?)")
        }
        return calendars
    }

    /// Pops the innermost open component, ended at `line`, into its parent (or `calendars`).
    private static func close(_ stack: inout [RawComponent], at line: Int, into calendars: inout [RawComponent]) {
        guard var top = stack.popLast() else { return }
        top.endLine = line
        if stack.isEmpty {
            calendars.append(top)
        } else {
            stack[stack.count - 1].children.append(top)
        }
    }
}

/// Collects the repairs of a lenient read; in a strict read every repair is the error it replaces.
///
/// Readers call ``repair(_:line:_:else:)`` where they would have refused the file, passing the
/// error a strict read reports, so lenient and strict reads take the same path through the file.
struct RepairLog: Sendable {
    let strict: Bool
    private(set) var items: [RepairedItem] = []

    init(strict: Bool) {
        self.strict = strict
    }

    /// Records a repair, or in a strict read throws `refusal`.
    mutating func repair(
        _ kind: RepairKind, line: Int, _ message: String, else refusal: ICalendarError
    ) throws(ICalendarError) {
        if strict { throw refusal }
        items.append(RepairedItem(line: line, kind: kind, message: message))
    }
}

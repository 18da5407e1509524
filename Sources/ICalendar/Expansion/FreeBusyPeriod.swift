/// One FREEBUSY period of a VFREEBUSY component.
struct FreeBusyPeriod: Sendable {
    var status: BusyStatusOrFree
    var period: PeriodValue
    var line: Int

    enum BusyStatusOrFree: Sendable { case busy, tentative, free }

    static func read(_ c: RawComponent) throws(ICalendarError) -> [FreeBusyPeriod] {
        var out: [FreeBusyPeriod] = []
        for p in c.properties where p.name == "FREEBUSY" {
            let status: BusyStatusOrFree
            switch p.parameter("FBTYPE")?.uppercased() ?? "BUSY" {
            case "FREE": status = .free
            case "BUSY-TENTATIVE": status = .tentative
            // BUSY, BUSY-UNAVAILABLE, and (RFC 5545 3.2.9) any unknown type count as busy.
            default: status = .busy
            }
            for part in p.value.split(separator: ",") {
                let period = try PeriodValue.parse(part.trimmingSpaces, tzid: nil, property: p.name, line: p.line)
                out.append(FreeBusyPeriod(status: status, period: period, line: p.line))
            }
        }
        return out
    }
}

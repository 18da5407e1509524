import BookijiCore
import ICalendar
import Store

/// Imports iCalendar files or one feed URL into a named calendar source of a vendor
/// (`bookiji import-ics`).
///
/// - Atomic: every input is read and expanded before anything is written; a malformed file or
///   an unreadable input writes nothing and names the file and line. The source's intervals are
///   then replaced inside the window in one transaction, which also bumps the vendor's revision.
/// - Idempotent: the content digest covers the window, the zone and every input's bytes; when it
///   matches the source's digest (and the source still covers the window) only the sync time is
///   recorded and the revision stays, so cached availability stays valid.
/// - Feeds: the Coordinator never calls out. ``feedRequest(for:now:)`` says what to fetch (the URL
///   and the `If-None-Match` / `If-Modified-Since` of the last import); the caller fetches it
///   (through Integrations) and hands the answer to ``run(_:now:feed:progress:)``. A `304` is
///   "unchanged"; a failed fetch is recorded on the source (status `error`, last error) and nothing else.
///
/// ```swift
/// let report = try CalendarImport(database: db).run(
///     .init(vendorID: id, sourceName: "work", inputs: ["calendars/"]), now: nowEpoch)
/// ```
public struct CalendarImport {
    /// What to import, and how.
    public struct Request: Sendable {
        public var vendorID: String
        public var sourceName: String
        /// `FILE|DIR|URL` arguments (see ``ICSImportInputs/resolve(_:)``).
        public var inputs: [String]
        /// The span to import; `nil` means ``CalendarImport/defaultWindow(now:)``.
        public var window: UTCInterval?
        /// Zone for floating times in files without X-WR-TIMEZONE; `nil` means the vendor's zone.
        public var timeZone: String?
        public var limits: ExpansionLimits
        /// Refuse a file, naming the line, where the default repairs it and reports the repair.
        public var strict: Bool

        public init(
            vendorID: String, sourceName: String, inputs: [String], window: UTCInterval? = nil,
            timeZone: String? = nil, limits: ExpansionLimits = ExpansionLimits(), strict: Bool = false
        ) {
            self.vendorID = vendorID
            self.sourceName = sourceName
            self.inputs = inputs
            self.window = window
            self.timeZone = timeZone
            self.limits = limits
            self.strict = strict
        }
    }

    /// Reported before each input is read and once more before writing.
    public struct Progress: Sendable, Hashable {
        public enum Phase: String, Sendable, Hashable {
            case fetching, reading, writing
        }

        public var phase: Phase
        public var inputsDone: Int
        public var inputsTotal: Int
        public var bytesDone: Int64
        public var bytesTotal: Int64
        /// The file or URL being read.
        public var current: String?

        public init(phase: Phase, inputsDone: Int, inputsTotal: Int, bytesDone: Int64, bytesTotal: Int64, current: String?) {
            self.phase = phase
            self.inputsDone = inputsDone
            self.inputsTotal = inputsTotal
            self.bytesDone = bytesDone
            self.bytesTotal = bytesTotal
            self.current = current
        }
    }

    /// A feed the caller must fetch before ``run(_:now:feed:progress:)``: the URL, and the
    /// validators to send (both nil when the body is needed whatever the server holds).
    public struct FeedRequest: Sendable, Hashable {
        public var url: String
        public var ifNoneMatch: String?
        public var ifModifiedSince: String?

        public init(url: String, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil) {
            self.url = url
            self.ifNoneMatch = ifNoneMatch
            self.ifModifiedSince = ifModifiedSince
        }

        /// Whether validators are sent, i.e. whether a `304` is an acceptable answer.
        public var isConditional: Bool { ifNoneMatch != nil || ifModifiedSince != nil }
    }

    /// How the server answered a ``FeedRequest``.
    public enum FeedAnswer: Sendable, Hashable {
        /// `200`: the (decompressed) body and its validators.
        case content(body: [UInt8], etag: String?, lastModified: String?)
        /// `304`: the validators sent still match.
        case notModified(etag: String?, lastModified: String?)
        /// No usable answer; the message says why (it is recorded as the source's last error).
        case failed(String)
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// From 30 days before today to 365 days after it, at midnight UTC: whole days, so the same
    /// file imported twice on one day has the same digest and the second import changes nothing.
    public static func defaultWindow(now: Int64) -> UTCInterval {
        let day: Int64 = 86_400
        let today = now >= 0 ? now / day * day : (now - day + 1) / day * day
        return UTCInterval(start: today - 30 * day, end: today + 365 * day)
    }

    /// The digest stored with the source: the window, the zone, and the SHA-256 of each input's
    /// bytes in order (per-input digests let a feed's `304` be checked without its body).
    public static func contentDigest(window: UTCInterval, timeZone: String, inputDigests: [String]) -> String {
        var hasher = SHA256()
        // Bump the tag when the expander starts reading the same bytes differently.
        hasher.update("bookiji-ics-import/1\n")
        hasher.update(int64: window.start)
        hasher.update(int64: window.end)
        hasher.update(int64: Int64(timeZone.utf8.count))
        hasher.update(timeZone)
        hasher.update(int64: Int64(inputDigests.count))
        for digest in inputDigests { hasher.update(digest) }
        return hasher.finalize().hexString
    }

    /// What to fetch before importing `request`, or nil when its inputs are local files.
    /// - Throws: what ``run(_:now:feed:progress:)`` would throw before reading anything (unknown
    ///   vendor, empty window, unknown zone, bad inputs, a source of another kind).
    public func feedRequest(for request: Request, now: Int64) throws -> FeedRequest? {
        let plan = try prepare(request, now: now)
        guard case .url(let url) = plan.inputs else { return nil }
        let previous = try plan.existing.map { existing in
            try database.read { try CalendarStore($0).feedState(sourceID: existing.id) }
        } ?? ICSFeedState()
        // Validators only when a 304 would mean "nothing to do": same URL, and the stored digest
        // is what this window and zone give for the last body. Otherwise fetch the body again.
        if let existing = plan.existing, previous.url == url, let body = previous.bodyDigest,
            previous.etag != nil || previous.lastModified != nil,
            existing.contentDigest == Self.contentDigest(window: plan.window, timeZone: plan.zone, inputDigests: [body]),
            Self.covers(existing.covered, plan.window)
        {
            return FeedRequest(url: url, ifNoneMatch: previous.etag, ifModifiedSince: previous.lastModified)
        }
        return FeedRequest(url: url)
    }

    private struct Plan {
        var vendor: Vendor
        var window: UTCInterval
        var zone: String
        var inputs: ICSImportInputs
        var kind: CalendarSource.Kind
        var existing: CalendarSource?
    }

    private func prepare(_ request: Request, now: Int64) throws -> Plan {
        guard let vendor = try database.read({ try VendorStore($0).find(id: request.vendorID) }) else {
            throw CalendarImportError(.vendorNotFound, "no vendor with id '\(request.vendorID)'")
        }
        let window = request.window ?? Self.defaultWindow(now: now)
        guard window.end > window.start else {
            throw CalendarImportError(.invalidArgument, "the window \(window) is empty: --to must be after --from")
        }
        let zone = request.timeZone ?? vendor.timeZone
        try Self.checkZone(zone, window: window)
        let inputs = try ICSImportInputs.resolve(request.inputs)
        let kind: CalendarSource.Kind
        if case .url = inputs { kind = .icsURL } else { kind = .icsFile }
        let existing = try database.read { try CalendarStore($0).source(vendorID: vendor.id, name: request.sourceName) }
        if let existing, existing.kind != kind {
            throw CalendarImportError(
                .sourceKindMismatch,
                "source '\(request.sourceName)' is an \(existing.kind.rawValue) source; import \(kind == .icsURL ? "files" : "a URL") into it, or use another --source")
        }
        return Plan(vendor: vendor, window: window, zone: zone, inputs: inputs, kind: kind, existing: existing)
    }

    /// Runs the import.
    /// - Parameters:
    ///   - now: the current time in epoch seconds, for the default window.
    ///   - feed: for a URL input, the ``feedRequest(for:now:)`` the caller fetched and the answer.
    ///   - progress: called on the calling thread as inputs are read and written.
    /// - Returns: what was done, for the summary.
    /// - Throws: ``CalendarImportError`` when nothing could be imported (nothing is written,
    ///   except a failed feed's status); ``BookijiError`` from the database.
    public func run(
        _ request: Request, now: Int64, feed: (request: FeedRequest, answer: FeedAnswer)? = nil,
        progress: (Progress) -> Void = { _ in }
    ) throws -> CalendarImportReport {
        let plan = try prepare(request, now: now)
        let (window, zone, kind, existing) = (plan.window, plan.zone, plan.kind, plan.existing)
        switch plan.inputs {
        case .files(let files):
            let total = files.reduce(Int64(0)) { $0 + $1.size }
            var expanded = ExpandedContent(strict: request.strict)
            var bytesDone: Int64 = 0
            for (i, file) in files.enumerated() {
                progress(Progress(phase: .reading, inputsDone: i, inputsTotal: files.count, bytesDone: bytesDone, bytesTotal: total, current: file.path))
                let bytes: [UInt8]
                switch IcsExpandCommand.readWholeFile(file.path) {
                case .success(let b): bytes = b
                case .failure(let error): throw CalendarImportError(.unreadableInput, input: file.path, error.message)
                }
                try expanded.add(bytes, name: file.path, window: window, zone: zone, limits: request.limits)
                bytesDone += Int64(bytes.count)
            }
            progress(Progress(phase: .writing, inputsDone: files.count, inputsTotal: files.count, bytesDone: bytesDone, bytesTotal: max(total, bytesDone), current: nil))
            return try store(expanded, feed: nil, request: request, kind: kind, window: window, zone: zone)
        case .url(let url):
            guard let feed, feed.request.url == url else {
                throw CalendarImportError(
                    .invalidArgument, input: url, "the feed must be fetched first: ask feedRequest(for:now:) what to fetch")
            }
            return try importFeed(
                url, answer: feed.answer, conditional: feed.request.isConditional, existing: existing, request: request,
                window: window, zone: zone, progress: progress)
        }
    }

    private func importFeed(
        _ url: String, answer: FeedAnswer, conditional: Bool, existing: CalendarSource?, request: Request,
        window: UTCInterval, zone: String, progress: (Progress) -> Void
    ) throws -> CalendarImportReport {
        let previous = try existing.map { existing in
            try database.read { try CalendarStore($0).feedState(sourceID: existing.id) }
        } ?? ICSFeedState()
        switch answer {
        case .failed(let message):
            try recordFeedFailure(CalendarImportError(.fetchFailed, input: url, message), url: url, request: request, previous: previous)
        case .notModified(let etag, let lastModified):
            guard conditional else {
                try recordFeedFailure(
                    CalendarImportError(.fetchFailed, input: url, "the server answered 304 Not Modified to a request without validators"),
                    url: url, request: request, previous: previous)
            }
            let state = ICSFeedState(
                url: url, etag: etag ?? previous.etag, lastModified: lastModified ?? previous.lastModified,
                bodyDigest: previous.bodyDigest)
            let (source, revision) = try database.transaction { conn in
                let store = CalendarStore(conn)
                let created = try store.findOrCreateSource(vendorID: request.vendorID, name: request.sourceName, kind: .icsURL)
                let locked = try store.lockSource(id: created.id) ?? created
                try store.recordUnchanged(source: locked)
                try store.setFeedState(sourceID: locked.id, state)
                return (try store.source(vendorID: request.vendorID, name: request.sourceName) ?? locked,
                        try VendorStore(conn).revision(id: request.vendorID) ?? 0)
            }
            var report = CalendarImportReport(outcome: .notModified, source: source, window: window, timeZone: zone)
            report.revision = revision
            report.contentDigest = source.contentDigest
            return report
        case .content(let body, let etag, let lastModified):
            progress(Progress(phase: .reading, inputsDone: 0, inputsTotal: 1, bytesDone: 0, bytesTotal: Int64(body.count), current: url))
            var expanded = ExpandedContent(strict: request.strict)
            do {
                try expanded.add(body, name: url, window: window, zone: zone, limits: request.limits)
            } catch {
                try recordFeedFailure(error, url: url, request: request, previous: previous)
            }
            progress(Progress(phase: .writing, inputsDone: 1, inputsTotal: 1, bytesDone: Int64(body.count), bytesTotal: Int64(body.count), current: nil))
            let state = ICSFeedState(url: url, etag: etag, lastModified: lastModified, bodyDigest: expanded.inputDigests[0])
            return try store(expanded, feed: state, request: request, kind: .icsURL, window: window, zone: zone)
        }
    }

    /// Marks the feed's source as failed (creating it, so `vendor sources` shows the failure)
    /// and throws `error`. The source's intervals and the vendor's revision are left alone.
    private func recordFeedFailure(
        _ error: CalendarImportError, url: String, request: Request, previous: ICSFeedState
    ) throws -> Never {
        do {
            try database.transaction { conn in
                let store = CalendarStore(conn)
                let source = try store.findOrCreateSource(vendorID: request.vendorID, name: request.sourceName, kind: .icsURL)
                try store.recordFailure(source: source, error: error.description)
                // A new URL must not inherit the old one's validators.
                if previous.url != url { try store.setFeedState(sourceID: source.id, ICSFeedState(url: url)) }
            }
        } catch let recording {
            var combined = error
            combined.message += " (the failure could not be recorded on the source: \(recording))"
            throw combined
        }
        throw error
    }

    /// Writes the content in one transaction, or records an unchanged sync when the digest matches.
    private func store(
        _ content: ExpandedContent, feed: ICSFeedState?, request: Request, kind: CalendarSource.Kind,
        window: UTCInterval, zone: String
    ) throws -> CalendarImportReport {
        let digest = Self.contentDigest(window: window, timeZone: zone, inputDigests: content.inputDigests)
        let written = content.intervals.reduce(0) { count, b in
            max(b.interval.start, window.start) < min(b.interval.end, window.end) ? count + 1 : count
        }
        let (outcome, source, revision) = try database.transaction { conn in
            let store = CalendarStore(conn)
            let created = try store.findOrCreateSource(vendorID: request.vendorID, name: request.sourceName, kind: kind)
            let locked = try store.lockSource(id: created.id) ?? created
            let outcome: CalendarImportReport.Outcome
            if locked.contentDigest == digest, Self.covers(locked.covered, window) {
                try store.recordUnchanged(source: locked)
                outcome = .unchanged
            } else {
                try store.replaceIntervals(source: locked, covered: window, intervals: content.intervals, contentDigest: digest)
                outcome = .replaced
            }
            if let feed { try store.setFeedState(sourceID: locked.id, feed) }
            return (outcome, try store.source(vendorID: request.vendorID, name: request.sourceName) ?? locked,
                    try VendorStore(conn).revision(id: request.vendorID) ?? 0)
        }
        var report = CalendarImportReport(outcome: outcome, source: source, window: window, timeZone: zone)
        report.revision = revision
        report.contentDigest = digest
        report.intervalsInWindow = written
        report.intervalsWritten = outcome == .replaced ? written : 0
        content.fill(&report)
        return report
    }

    /// Whether a source's covered span includes the whole window.
    public static func covers(_ covered: UTCInterval?, _ window: UTCInterval) -> Bool {
        guard let covered else { return false }
        return covered.start <= window.start && covered.end >= window.end
    }

    /// Rejects an unknown zone before any (possibly large) input is read, by expanding an empty
    /// calendar: ICalendar's own check, so Windows zone names are accepted as in files.
    static func checkZone(_ zone: String, window: UTCInterval) throws(CalendarImportError) {
        do {
            _ = try ICalendarDocument(text: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
                .expand(over: window, floatingTimeZone: zone)
        } catch {
            throw CalendarImportError(.invalidArgument, error.message)
        }
    }
}

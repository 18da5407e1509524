import Availability
import BookijiCore
import Coordinator
import FastCGI
import Gzip
import Telemetry

extension PartnerAPIHandler {
    /// Longest window one request may ask for.
    static let maximumAvailabilityWindowDays: Int64 = 62

    /// `GET /v1/vendors/{vendorId}/availability?startTime&endTime[&slotDuration][&includeConfidence][&onlyAvailable]`
    ///
    /// A cached answer costs at most one indexed lookup (the vendor's revision), and none while
    /// the revision read last is still trusted (see ``AvailabilityCache``). The ETag is the
    /// computed version (plus the representation), so `If-None-Match` answers 304 without a body.
    func availability(_ context: RequestContext) throws -> HTTPResponse {
        // Lowercase, as PostgreSQL prints ids: one vendor has one cache entry and one revision note.
        let vendorID = context.parameter("vendorId").lowercased()
        let gzip = Gzip.isAccepted(by: context.request.header("accept-encoding"))
        let now = SystemTime.epochSeconds()
        let cache = settings.availabilityCache
        let key = AvailabilityCache.Key(vendorID: vendorID, query: context.request.query)
        if cache.isEnabled {
            let readAt = SystemTime.monotonicNanos()
            let revision: Int64
            // A revision noted from the replica must not stand in for the caller's own change.
            if !database.callerWriteMayBeUnreplicated, let recent = cache.recentRevision(of: vendorID, at: readAt) {
                revision = recent
            } else {
                guard let read = try AvailabilityService(database: database)
                    .revision(of: vendorID, minimumRevision: cache.knownRevision(of: vendorID)) else {
                    throw BookijiError(.vendorNotFound, "no vendor with id '\(vendorID)'", details: ["vendorId": vendorID])
                }
                cache.noteRevision(read, of: vendorID, readAt: readAt)
                revision = read
            }
            let hit = cache.lookup(key, revision: revision, now: now)
            BookijiMetrics.availabilityCacheLookup(hit: hit != nil)
            if let hit {
                if gzip, hit.body.count >= Self.gzipMinimumBytes {
                    // Compressed once per cached answer, on the first request that accepts it.
                    let compressed = hit.gzipBody ?? Gzip.compress(hit.body).map { compressed in
                        cache.attachGzip(compressed, to: key, etag: hit.etag)
                        return compressed
                    }
                    if let compressed {
                        return respond(body: compressed, etag: hit.etag, gzipped: true, request: context.request)
                    }
                }
                return respond(body: hit.body, etag: hit.etag, gzipped: false, request: context.request)
            }
        }

        let query = try AvailabilityRequest(context.request.queryParameters)
        let readAt = SystemTime.monotonicNanos()
        // A revision announced by notification is one the replica must have reached to answer.
        let computed = try AvailabilityService(database: database).compute(
            vendorID: vendorID,
            query: AvailabilityQuery(
                start: query.start, end: query.end, slotMinutes: query.slotMinutes, now: now,
                onlyAvailable: query.onlyAvailable, wholeVendorSlots: true),
            minimumRevision: cache.knownRevision(of: vendorID))
        let etag = "\"\(computed.result.computedVersion)-\(query.includeConfidence ? "c" : "n")\""
        let body = AvailabilityJSON.render(computed, request: query)
        // With the cache on, the answer is stored and may be sent many times: zlib makes it
        // smallest. With the cache off it is sent once and gets the fast pass: that costs the
        // responder about what it saves nginx and the client (measured), and the partner
        // receives about a fourteenth of the bytes. zlib's level 1 cost more than it saved.
        let compressed = gzip && body.count >= Self.gzipMinimumBytes
            ? (cache.isEnabled ? Gzip.compress(body) : Gzip.compressFast(body)) : nil
        cache.noteRevision(computed.revision, of: vendorID, readAt: readAt)
        cache.store(
            key, body: body, gzipBody: compressed, etag: etag, revision: computed.revision, now: now,
            validUntil: computed.validUntil)
        return respond(body: compressed ?? body, etag: etag, gzipped: compressed != nil, request: context.request)
    }

    /// Answers smaller than this go out uncompressed: gzip would save too little to pay for itself.
    static let gzipMinimumBytes = 1024

    /// The answer, or 304 when `If-None-Match` names it. The gzipped representation has its own
    /// entity tag (`…-gzip`), as RFC 9110 asks of a different representation; either tag of
    /// the current answer makes a 304, since both stand for the same content.
    private func respond(body: [UInt8], etag: String, gzipped: Bool, request: HTTPRequest) -> HTTPResponse {
        let gzipTag = String(etag.dropLast()) + "-gzip\""
        var headers = [
            ("ETag", gzipped ? gzipTag : etag), ("Cache-Control", "private, no-cache"), ("Vary", "Accept-Encoding"),
        ]
        if let match = request.header("if-none-match"), Self.etagMatches(match, etag) || Self.etagMatches(match, gzipTag) {
            return HTTPResponse(status: 304, headers: headers)
        }
        if gzipped { headers.append(("Content-Encoding", "gzip")) }
        return HTTPResponse(status: 200, json: body, headers: headers)
    }

    /// RFC 9110 weak comparison over a list of entity tags (or `*`).
    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        let strong = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for candidate in header.split(separator: ",") {
            var tag = String(candidate).trimmingCharacters(in: Character(" "))
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            if tag == strong { return true }
        }
        return false
    }
}

/// The query parameters of an availability request, validated with errors naming the parameter.
struct AvailabilityRequest {
    var start: Int64
    var end: Int64
    /// nil: the vendor's own `slotMinutes`.
    var slotMinutes: Int?
    var includeConfidence: Bool
    var onlyAvailable: Bool

    init(_ parameters: [String: String]) throws {
        func instant(_ name: String) throws -> Int64 {
            guard let text = parameters[name], !text.isEmpty else {
                throw BookijiError(.invalidParameter, "query parameter '\(name)' is required (an RFC 3339 instant)", details: ["parameter": name])
            }
            do {
                return try RFC3339.parse(text)
            } catch {
                throw BookijiError(.invalidParameter, "\(name): \(error.message)", details: ["parameter": name])
            }
        }
        func flag(_ name: String) throws -> Bool {
            switch parameters[name]?.lowercased() {
            case nil, "", "false", "0": return false
            case "true", "1": return true
            default:
                throw BookijiError(.invalidParameter, "query parameter '\(name)' must be true or false", details: ["parameter": name])
            }
        }
        start = try instant("startTime")
        end = try instant("endTime")
        guard end > start else {
            throw BookijiError(.invalidParameter, "endTime must be after startTime", details: ["parameter": "endTime"])
        }
        let maxSeconds = PartnerAPIHandler.maximumAvailabilityWindowDays * 86_400
        guard end - start <= maxSeconds else {
            throw BookijiError(
                .invalidParameter,
                "the window from startTime to endTime is longer than the maximum of \(PartnerAPIHandler.maximumAvailabilityWindowDays) days; split it into several requests",
                details: ["parameter": "endTime", "maximumDays": .number(Int(PartnerAPIHandler.maximumAvailabilityWindowDays))])
        }
        if let text = parameters["slotDuration"], !text.isEmpty {
            guard let minutes = Int(text), (1...1440).contains(minutes) else {
                throw BookijiError(.invalidParameter, "slotDuration must be a whole number of minutes from 1 to 1440", details: ["parameter": "slotDuration"])
            }
            slotMinutes = minutes
        } else {
            slotMinutes = nil
        }
        includeConfidence = try flag("includeConfidence")
        onlyAvailable = try flag("onlyAvailable")
    }
}

/// The availability response of the spec's contract.
enum AvailabilityJSON {
    static func render(_ computed: VendorAvailability, request: AvailabilityRequest) -> [UInt8] {
        let result = computed.result
        let version = result.computedVersion
        // Every slot repeats the answer's computedAt and computedVersion (the spec's slot shape).
        let slots = SlotArrayJSON(
            computedAt: computed.computedAt, computedVersion: version, includeConfidence: request.includeConfidence)
        var json = JSONWriter(capacity: 512)
        json.objectStart()
        json.field("vendorId", computed.vendorID)
        json.key("startTime"); json.instant(request.start)
        json.key("endTime"); json.instant(request.end)
        json.key("computedAt"); json.instant(computed.computedAt)
        json.field("computedVersion", version)
        json.field("slotDuration", result.slotMinutes)
        json.key("slots")
        // Room after the slots for the reason texts (one per code) and the metadata, so the
        // buffer is not grown once it holds them: growing would copy them again.
        let catalog = slots.write(result, into: &json, thenRoomFor: 1024 + SlotReasonCode.allCases.count * 256)
        json.key("reasonDescriptions")
        json.objectStart()
        for (code, message) in catalog.sorted(by: { $0.code < $1.code }) { json.field(code, message) }
        json.objectEnd()
        json.key("metadata")
        json.objectStart()
        json.field("confidenceThreshold", 1.0)
        json.field("computationTimeMs", Double(computed.computationNanos / 1000) / 1000)
        json.field("revision", computed.revision)
        json.objectEnd()
        json.objectEnd()
        return json.bytes
    }
}

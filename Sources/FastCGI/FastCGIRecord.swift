/// The record types of FastCGI 1.0 (the specification's `FCGI_*` values, section 8).
enum FastCGIRecordType: UInt8, Sendable {
    case beginRequest = 1
    case abortRequest = 2
    case endRequest = 3
    case params = 4
    case stdin = 5
    case stdout = 6
    case stderr = 7
    case data = 8
    case getValues = 9
    case getValuesResult = 10
    case unknownType = 11
}

/// How a request ended at the protocol level: the `protocolStatus` of FCGI_END_REQUEST.
enum FastCGIProtocolStatus: UInt8, Sendable {
    case requestComplete = 0
    case cantMultiplexConnection = 1
    case overloaded = 2
    case unknownRole = 3
}

/// `FCGI_Header`: the 8 bytes in front of every record's content.
///
/// Content is padded to a multiple of 8 bytes, as the specification recommends, so the next
/// header starts aligned in the web server's buffer.
struct FastCGIRecordHeader: Sendable, Equatable {
    /// Bytes in a header.
    static let size = 8
    /// `FCGI_VERSION_1`, the only version there is.
    static let version: UInt8 = 1
    /// The most content one record carries: its length field has 16 bits.
    static let maxContentLength = 65_535

    var type: FastCGIRecordType
    var requestID: UInt16
    var contentLength: UInt16
    var paddingLength: UInt8

    /// A header for `contentLength` bytes (at most ``maxContentLength``), padded to 8.
    init(type: FastCGIRecordType, requestID: UInt16, contentLength: Int) {
        precondition((0...Self.maxContentLength).contains(contentLength), "record content of \(contentLength) bytes")
        self.type = type
        self.requestID = requestID
        self.contentLength = UInt16(contentLength)
        self.paddingLength = UInt8((8 - contentLength % 8) % 8)
    }

    /// Writes the 8 bytes (version, type, request id and content length big-endian, padding
    /// length, reserved) at `destination`.
    func write(to destination: UnsafeMutableRawPointer) {
        let bytes = destination.assumingMemoryBound(to: UInt8.self)
        bytes[0] = Self.version
        bytes[1] = type.rawValue
        bytes[2] = UInt8(requestID >> 8)
        bytes[3] = UInt8(requestID & 0xFF)
        bytes[4] = UInt8(contentLength >> 8)
        bytes[5] = UInt8(contentLength & 0xFF)
        bytes[6] = paddingLength
        bytes[7] = 0
    }
}

/// `FCGI_EndRequestBody`: the 8-byte content of FCGI_END_REQUEST.
struct FastCGIEndRequestBody: Sendable, Equatable {
    static let size = 8

    /// The application's exit status, as a CGI program's would be.
    var appStatus: UInt32
    var protocolStatus: FastCGIProtocolStatus

    /// Writes application status (big-endian), protocol status and three reserved bytes.
    func write(to destination: UnsafeMutableRawPointer) {
        let bytes = destination.assumingMemoryBound(to: UInt8.self)
        bytes[0] = UInt8(truncatingIfNeeded: appStatus >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: appStatus >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: appStatus >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: appStatus)
        bytes[4] = protocolStatus.rawValue
        bytes[5] = 0
        bytes[6] = 0
        bytes[7] = 0
    }
}

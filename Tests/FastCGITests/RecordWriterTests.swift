#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import FastCGI

/// ``FastCGIRecordWriter`` byte for byte, against the FastCGI 1.0 specification's layout.
@Suite struct RecordWriterTests {
    /// Everything the vectors would make `writev` send, in order.
    static func bytes(requestID: UInt16 = 1, stdout parts: [[UInt8]], appStatus: UInt32 = 0) -> [UInt8] {
        func gather(_ index: Int, _ buffers: [UnsafeRawBufferPointer]) -> [UInt8] {
            guard index < parts.count else {
                return FastCGIRecordWriter.withResponseRecords(requestID: requestID, stdout: buffers, appStatus: appStatus) {
                    $0.flatMap { Array(UnsafeRawBufferPointer(start: $0.iov_base, count: $0.iov_len)) }
                }
            }
            return parts[index].withUnsafeBytes { gather(index + 1, buffers + [$0]) }
        }
        return gather(0, [])
    }

    /// The empty FCGI_STDOUT record and FCGI_END_REQUEST (application status 0,
    /// FCGI_REQUEST_COMPLETE) for request 1.
    static let trailer: [UInt8] = [1, 6, 0, 1, 0, 0, 0, 0] + [1, 3, 0, 1, 0, 8, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0]

    @Test func headerFieldsAreBigEndianWithPaddingToEight() {
        var header = [UInt8](repeating: 0xEE, count: 8)
        header.withUnsafeMutableBytes {
            FastCGIRecordHeader(type: .stdout, requestID: 0x0102, contentLength: 0x0305).write(to: $0.baseAddress!)
        }
        #expect(header == [1, 6, 0x01, 0x02, 0x03, 0x05, 3, 0])
    }

    @Test(arguments: [(0, 0), (1, 7), (7, 1), (8, 0), (9, 7), (65_535, 1)])
    func paddingRoundsContentUpToEightBytes(contentLength: Int, padding: UInt8) {
        #expect(FastCGIRecordHeader(type: .stdout, requestID: 1, contentLength: contentLength).paddingLength == padding)
    }

    @Test func recordTypesHaveTheSpecificationsValues() {
        #expect(FastCGIRecordType.beginRequest.rawValue == 1)
        #expect(FastCGIRecordType.endRequest.rawValue == 3)
        #expect(FastCGIRecordType.params.rawValue == 4)
        #expect(FastCGIRecordType.stdin.rawValue == 5)
        #expect(FastCGIRecordType.stdout.rawValue == 6)
        #expect(FastCGIRecordType.unknownType.rawValue == 11)
    }

    @Test func emptyResponseIsOnlyTheEndOfStdoutAndEndRequest() {
        #expect(Self.bytes(stdout: []) == Self.trailer)
        #expect(Self.bytes(stdout: [[], []]) == Self.trailer)
    }

    @Test func shortResponseIsOnePaddedRecordThenTheEnd() {
        let expected: [UInt8] = [1, 6, 0, 1, 0, 5, 3, 0] + Array("hello".utf8) + [0, 0, 0] + Self.trailer
        #expect(Self.bytes(stdout: [Array("he".utf8), Array("llo".utf8)]) == expected)
    }

    @Test func alignedContentHasNoPadding() {
        let content = [UInt8](repeating: 7, count: 16)
        #expect(Self.bytes(stdout: [content]) == [1, 6, 0, 1, 0, 16, 0, 0] + content + Self.trailer)
    }

    /// 65,535 bytes fill one record (padded by one byte); the rest, taken across the boundary
    /// between head and body, goes in the next.
    @Test func bodyOverOneRecordIsSplitAcrossRecords() {
        let head = Array("Status: 200 OK\r\n\r\n".utf8)
        let body = (0..<(70_000 - head.count)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let stream = head + body
        let out = Self.bytes(requestID: 0x1234, stdout: [head, body])
        let second = 70_000 - 65_535  // 4,465 bytes, padded by 7
        var expected: [UInt8] = [1, 6, 0x12, 0x34, 0xFF, 0xFF, 1, 0] + stream[0..<65_535] + [0]
        expected += [1, 6, 0x12, 0x34, UInt8(second >> 8), UInt8(second & 0xFF), 7, 0] + stream[65_535...]
        expected += [UInt8](repeating: 0, count: 7)
        expected += [1, 6, 0x12, 0x34, 0, 0, 0, 0] + [1, 3, 0x12, 0x34, 0, 8, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0]
        #expect(out.count == expected.count)
        #expect(out == expected)
    }

    @Test func exactMultipleOfTheRecordSizeNeedsNoExtraRecord() {
        let body = [UInt8](repeating: 0x41, count: 2 * 65_535)
        let out = Self.bytes(stdout: [body])
        #expect(out.count == 2 * (8 + 65_535 + 1) + Self.trailer.count)
        #expect(Array(out[(8 + 65_536)..<(8 + 65_536 + 8)]) == [1, 6, 0, 1, 0xFF, 0xFF, 1, 0])
        #expect(Array(out.suffix(Self.trailer.count)) == Self.trailer)
    }

    @Test func endRequestCarriesTheApplicationStatusBigEndian() {
        let out = Self.bytes(stdout: [], appStatus: 0x0A0B_0C0D)
        #expect(Array(out.suffix(8)) == [0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 0])
        #expect(Array(out[8..<16]) == [1, 3, 0, 1, 0, 8, 0, 0])
    }
}

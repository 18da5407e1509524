#if canImport(Glibc)
import Glibc
#endif

/// Lays out one response as FastCGI records for a single `writev`: the stdout stream in records
/// of at most 65,535 bytes each, every record padded to a multiple of 8, the empty FCGI_STDOUT
/// record that ends the stream, and FCGI_END_REQUEST.
///
/// The content is never copied: the vectors point into the caller's buffers, and headers,
/// padding and the END_REQUEST body live in one small buffer beside them. A 70 KB availability
/// answer goes out as two records in one system call, where libfcgi's stream would send one
/// record per 8 KB it buffers and the end records with another write.
enum FastCGIRecordWriter {
    /// Per stdout record: its header, then zeros its padding is read from.
    private static let bytesPerRecord = FastCGIRecordHeader.size + 8
    /// The empty stdout record, FCGI_END_REQUEST's header and its body.
    private static let trailerBytes = 2 * FastCGIRecordHeader.size + FastCGIEndRequestBody.size

    /// Calls `send` with vectors that spell out `stdout` (the parts in order, as one stream) as
    /// FCGI_STDOUT records, the end of the stream and FCGI_END_REQUEST with `appStatus` and
    /// FCGI_REQUEST_COMPLETE. The vectors are valid only during the call, and only while the
    /// parts' memory is.
    static func withResponseRecords<Result>(
        requestID: UInt16, stdout parts: [UnsafeRawBufferPointer], appStatus: UInt32 = 0,
        _ send: ([iovec]) -> Result
    ) -> Result {
        let parts = parts.filter { $0.count > 0 }
        let total = parts.reduce(0) { $0 + $1.count }
        let recordCount = (total + FastCGIRecordHeader.maxContentLength - 1) / FastCGIRecordHeader.maxContentLength
        return withUnsafeTemporaryAllocation(
            byteCount: recordCount * bytesPerRecord + trailerBytes, alignment: 8
        ) { storage in
            storage.initializeMemory(as: UInt8.self, repeating: 0)
            let base = storage.baseAddress!
            var vectors: [iovec] = []
            // Header, at most two content pieces (a record may span the head and the body), padding.
            vectors.reserveCapacity(recordCount * 4 + 1)
            var part = 0, offset = 0, remaining = total
            for record in 0..<recordCount {
                let length = min(remaining, FastCGIRecordHeader.maxContentLength)
                let header = FastCGIRecordHeader(type: .stdout, requestID: requestID, contentLength: length)
                let slot = base + record * bytesPerRecord
                header.write(to: slot)
                vectors.append(iovec(iov_base: slot, iov_len: FastCGIRecordHeader.size))
                var needed = length
                while needed > 0 {
                    let piece = min(needed, parts[part].count - offset)
                    vectors.append(iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: parts[part].baseAddress! + offset), iov_len: piece))
                    needed -= piece
                    offset += piece
                    if offset == parts[part].count { part += 1; offset = 0 }
                }
                if header.paddingLength > 0 {
                    vectors.append(iovec(iov_base: slot + FastCGIRecordHeader.size, iov_len: Int(header.paddingLength)))
                }
                remaining -= length
            }
            let trailer = base + recordCount * bytesPerRecord
            FastCGIRecordHeader(type: .stdout, requestID: requestID, contentLength: 0).write(to: trailer)
            FastCGIRecordHeader(type: .endRequest, requestID: requestID, contentLength: FastCGIEndRequestBody.size)
                .write(to: trailer + FastCGIRecordHeader.size)
            FastCGIEndRequestBody(appStatus: appStatus, protocolStatus: .requestComplete)
                .write(to: trailer + 2 * FastCGIRecordHeader.size)
            vectors.append(iovec(iov_base: trailer, iov_len: trailerBytes))
            return send(vectors)
        }
    }
}

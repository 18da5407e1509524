import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension FastCGIServer {
    /// Unlinks `path` when it is a socket nobody listens on; throws when it is anything else
    /// (a live socket, a regular file, a directory). No file there: nothing to do.
    static func removeStaleSocket(at path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw FastCGIError(message: "\(path) exists and is not a socket; refusing to replace it")
        }
        switch probe(unixPath: path) {
        case 0:
            throw FastCGIError(message: """
                \(path) is in use: a process accepts connections on it (another bookiji serve?); \
                stop that process or choose another --socket
                """)
        case ECONNREFUSED:
            guard unlink(path) == 0 || errno == ENOENT else {
                throw FastCGIError(message: "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
            }
        case let error:
            throw FastCGIError(message: "cannot tell whether \(path) is in use (connecting failed: \(String(cString: strerror(error)))); refusing to replace it")
        }
    }

    /// Connects to a unix socket and hangs up: 0 when something accepted, else the errno.
    static func probe(unixPath path: String) -> Int32 {
        guard var address = try? socketAddress(path) else { return EINVAL }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return connected == 0 ? 0 : errno
    }

    /// Binds and listens on a unix socket. Not `FCGX_OpenSocket`: on a bind or listen failure it
    /// calls `exit()` (a bad `--socket` path would end the process with only "bind/listen: …"),
    /// and it takes any path containing ':' for a TCP `host:port`.
    static func listen(unixPath path: String, backlog: Int32) throws -> Int32 {
        var address = try socketAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw FastCGIError(message: "cannot create a unix socket: \(String(cString: strerror(errno)))")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw FastCGIError(message: "cannot listen on \(path): \(reason)")
        }
        return fd
    }

    static func socketAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw FastCGIError(message: "socket path '\(path)' must be 1 to \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}

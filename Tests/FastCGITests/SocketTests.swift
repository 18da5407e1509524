import FastCGI
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FastCGIServerTests {
    /// The listening socket: its file mode (so nginx's worker user can connect) and what happens
    /// to whatever is already at its path.
    @Suite struct Socket {
        @Test(arguments: [0o600, 0o660, 0o666] as [mode_t])
        func socketFileHasTheConfiguredMode(_ mode: mode_t) throws {
            let server = try TestServer(socketMode: mode)
            defer { server.shutDown() }
            var status = stat()
            try #require(stat(server.socketPath, &status) == 0)
            #expect(status.st_mode & S_IFMT == S_IFSOCK)
            #expect(status.st_mode & 0o777 == mode)
            #expect(try server.send(path: "/echo").status == 200)
        }

        @Test func existingFileThatIsNotASocketIsNeverReplaced() throws {
            let directory = try makeTemporaryDirectory("bookiji-fcgi")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/responder.sock"
            try "precious".write(toFile: path, atomically: false, encoding: .utf8)
            let error = #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(socketPath: path))
            }
            #expect(error?.message.contains(path) == true)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        }

        /// A socket file left behind by a crashed responder is replaced.
        @Test func staleSocketFileIsReplaced() throws {
            let directory = try makeTemporaryDirectory("bookiji-fcgi")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/stale.sock"
            try bindAndAbandon(path)
            #expect(throws: FastCGIClientError.self) { try FastCGIClient.connect(path) }

            let server = try FastCGIServer(configuration: FastCGIConfiguration(socketPath: path, threads: 1))
            let recorder = Recorder()
            let run = Background { server.run { EchoHandler(worker: $0, recorder: recorder) } }
            let response = try FastCGIClient.send(socketPath: path, params: FastCGIClient.params(path: "/echo"))
            #expect(response.status == 200)
            server.stop()
            #expect(run.wait(seconds: 5) != nil)
        }

        /// Another server answers on the path: refused naming it, and the first keeps its socket.
        @Test func socketThatAnswersIsNeverTakenOver() throws {
            let first = try TestServer()
            defer { first.shutDown() }
            var before = stat()
            try #require(stat(first.socketPath, &before) == 0)
            let error = #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(socketPath: first.socketPath))
            }
            #expect(error?.message.contains("\(first.socketPath) is in use") == true)
            var after = stat()
            try #require(stat(first.socketPath, &after) == 0)
            #expect(after.st_ino == before.st_ino)
            #expect(try first.send(path: "/echo").status == 200)
        }

        /// Stopping removes the socket the server made, and only that: a socket bound at the
        /// same path by someone else since stays.
        @Test func stoppingRemovesOnlyTheSocketItMade() throws {
            let directory = try makeTemporaryDirectory("bookiji-fcgi")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/responder.sock"
            let recorder = Recorder()

            let own = try FastCGIServer(configuration: FastCGIConfiguration(socketPath: path, threads: 1))
            let ownRun = Background { own.run { EchoHandler(worker: $0, recorder: recorder) } }
            own.stop()
            #expect(ownRun.wait(seconds: 5) != nil)
            #expect(!FileManager.default.fileExists(atPath: path))

            let old = try FastCGIServer(configuration: FastCGIConfiguration(socketPath: path, threads: 1))
            let oldRun = Background { old.run { EchoHandler(worker: $0, recorder: recorder) } }
            unlink(path)
            try bindAndAbandon(path)
            var replacement = stat()
            try #require(stat(path, &replacement) == 0)
            old.stop()
            #expect(oldRun.wait(seconds: 5) != nil)
            var after = stat()
            #expect(stat(path, &after) == 0 && after.st_ino == replacement.st_ino)
        }

        /// A file that is not a socket, named by a symbolic link: neither is touched.
        @Test func symbolicLinkToAFileIsNeverReplaced() throws {
            let directory = try makeTemporaryDirectory("bookiji-fcgi")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try "precious".write(toFile: directory + "/target", atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: directory + "/link.sock", withDestinationPath: directory + "/target")
            #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(socketPath: directory + "/link.sock"))
            }
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link.sock") == directory + "/target")
            #expect(try String(contentsOfFile: directory + "/target", encoding: .utf8) == "precious")
        }

        @Test func unwritableSocketDirectoryIsAnError() {
            let error = #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(socketPath: "/nonexistent-dir/x.sock"))
            }
            #expect(error?.message.contains("/nonexistent-dir/x.sock") == true)
        }

        @Test func overlongSocketPathIsAnError() {
            let path = "/tmp/" + String(repeating: "s", count: 120) + ".sock"
            let error = #expect(throws: FastCGIError.self) {
                try FastCGIServer(configuration: FastCGIConfiguration(socketPath: path))
            }
            #expect(error?.message.contains("bytes") == true)
        }

        /// A path with a colon is still a unix socket path (libfcgi's own opener reads it as TCP).
        @Test func pathWithAColonIsAUnixSocket() throws {
            let directory = try makeTemporaryDirectory("bookiji-fcgi")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/a:9000"
            let server = try FastCGIServer(configuration: FastCGIConfiguration(socketPath: path, threads: 1))
            let recorder = Recorder()
            let run = Background { server.run { EchoHandler(worker: $0, recorder: recorder) } }
            #expect(try FastCGIClient.send(socketPath: path, params: FastCGIClient.params(path: "/echo")).status == 200)
            server.stop()
            #expect(run.wait(seconds: 5) != nil)
        }

        /// Leaves a socket file with no listener behind, as a killed process would.
        private func bindAndAbandon(_ path: String) throws {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
        }
    }
}

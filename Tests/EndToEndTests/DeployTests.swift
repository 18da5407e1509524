import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What an operator does with the built `bookiji` (issue 17, points 1-3): copy it to a machine
/// without the Swift toolchain, run it from anywhere, migrate with what it carries, and start
/// responders on a socket without ever taking over a live one.
struct DeployTests {
    /// The toolchain's root (`/opt/swift` for `/opt/swift/usr/bin/swiftc` on PATH).
    static let toolchainRoot: String = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("swiftc")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            var root = candidate.resolvingSymlinksInPath()
            for _ in 0..<3 { root.deleteLastPathComponent() }
            return root.path
        }
        return "/opt/swift"
    }()

    /// Runs `bookiji ARGS` from `/` in a mount namespace where an empty tmpfs covers the
    /// toolchain's folder, as on a server that never had it.
    static func bookijiWithoutToolchain(_ arguments: [String]) throws -> CommandOutput {
        let quoted = ([Paths.bookiji] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return try capture("/usr/bin/unshare", [
            "--mount", "--propagation", "private", "/bin/sh", "-c",
            "mount -t tmpfs toolchain-hidden '\(toolchainRoot)' && test -z \"$(ls -A '\(toolchainRoot)')\" && cd / && LD_LIBRARY_PATH= exec "
                + quoted.joined(separator: " "),
        ])
    }

    @Test func binaryNeedsNothingFromTheToolchain() throws {
        let ldd = try capture("/usr/bin/ldd", [Paths.bookiji])
        #expect(ldd.exitCode == 0)
        #expect(!ldd.stdout.contains(Self.toolchainRoot), "linked against the toolchain:\n\(ldd.stdout)")
        #expect(!ldd.stdout.contains("not found"), "\(ldd.stdout)")

        let version = try Self.bookijiWithoutToolchain(["--version"])
        #expect(version.exitCode == 0, "\(version.stderr)")
        let match = try #require(version.stdout.firstMatch(of: /^bookiji (\d+\.\d+\.\d+) \(commit ([0-9a-f]{40})(-dirty)?\)\n$/),
                                 "--version printed \(version.stdout)")
        // The commit is one of this repository's and the checkout has it (HEAD or a commit before it).
        let commit = String(match.output.2)
        let ancestor = try capture("/usr/bin/git", ["-c", "safe.directory=*", "-C", Paths.repositoryRoot, "merge-base", "--is-ancestor", commit, "HEAD"])
        #expect(ancestor.exitCode == 0, "\(commit) is not HEAD or an ancestor of it: \(ancestor.stderr)")
    }

    /// What the build records as its commit: a fresh clone (as CI builds) names its HEAD, clean;
    /// a tree without git says so; BOOKIJI_COMMIT overrides both.
    @Test func buildRecordsTheCloneCommit() throws {
        let directory = try Paths.scratchDirectory("clone")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clone = directory + "/clone"
        try run("/usr/bin/git", ["-c", "safe.directory=*", "clone", "-q", "--no-hardlinks", Paths.repositoryRoot, clone])
        let head = try capture("/usr/bin/git", ["-C", clone, "rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func recorded(_ tree: String, environment: [String: String] = [:]) throws -> String {
            try run("/bin/sh", [Paths.script("build-info"), tree, directory + "/out"], environment: environment)
            let text = try String(contentsOfFile: directory + "/out/BuildInfo.swift", encoding: .utf8)
            return String(try #require(text.firstMatch(of: /static let commit = "([^"]*)"/)).output.1)
        }
        #expect(try recorded(clone) == head)
        try "edited\n".write(toFile: clone + "/README.md", atomically: true, encoding: .utf8)
        #expect(try recorded(clone) == head + "-dirty")
        try FileManager.default.removeItem(atPath: clone + "/.git")
        #expect(try recorded(clone) == "unknown")
        #expect(try recorded(clone, environment: ["BOOKIJI_COMMIT": "v1.2.3"]) == "v1.2.3")
    }

    /// From `/`, without the toolchain or a checkout: the migrations come from the binary.
    @Test func migratesFromTheBinaryWithoutACheckout() throws {
        let cluster = PostgresCluster.shared
        let url = cluster.url(database: try cluster.createDatabase())
        let files = try FileManager.default.contentsOfDirectory(atPath: Paths.repositoryRoot + "/migrations")
            .filter { $0.hasSuffix(".sql") }.sorted()
        try #require(!files.isEmpty)

        let before = try Self.bookijiWithoutToolchain(["migrate", "--status", "--database", url])
        #expect(before.exitCode == 0, "\(before.stderr)")
        #expect(before.stdout.contains("migrations: 0 applied, \(files.count) pending, 0 unknown, 0 changed"), "\(before.stdout)")

        let migrate = try Self.bookijiWithoutToolchain(["migrate", "--database", url])
        #expect(migrate.exitCode == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.hasSuffix("migrations: \(files.count) applied, 0 already applied\n"), "\(migrate.stdout)")

        let after = try Self.bookijiWithoutToolchain(["migrate", "--status", "--database", url])
        let applied = after.stdout.split(separator: "\n").filter { $0.hasPrefix("applied ") }.map { String($0.split(separator: " ")[1]) }
        #expect(applied == files)
        // The same database through --dir: nothing left to do.
        let again = try capture(Paths.bookiji, ["migrate", "--database", url, "--dir", Paths.repositoryRoot + "/migrations"])
        #expect(again.stdout == "migrations: 0 applied, \(files.count) already applied\n", "\(again.stderr)")

        // --json, in the CLI's one convention: every migration with its state.
        let status = try capture(Paths.bookiji, ["migrate", "--status", "--json", "--database", url])
        #expect(status.exitCode == 0, "\(status.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let listed = try #require(object["migrations"] as? [[String: Any]])
        #expect(listed.compactMap { $0["name"] as? String } == files)
        #expect(Set(listed.compactMap { $0["state"] as? String }) == ["applied"])
        #expect(listed.allSatisfy { $0["appliedAt"] is String })
    }

    /// sysexits: an unreachable database is 69 (unavailable), a folder without migrations 66
    /// (no input); neither prints PostgreSQL's text.
    @Test func migrateExitCodesFollowTheCLIConvention() throws {
        let unreachable = try capture(Paths.bookiji, ["migrate", "--database", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"])
        #expect(unreachable.exitCode == 69, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot reach the database"), "\(unreachable.stderr)")
        let cluster = PostgresCluster.shared
        let url = cluster.url(database: try cluster.createDatabase())
        let missing = try capture(Paths.bookiji, ["migrate", "--database", url, "--dir", "/nonexistent/migrations"])
        #expect(missing.exitCode == 66, "\(missing.stderr)")
    }

    @Test(arguments: ["empty", "missing"])
    func wrongMigrationsFolderIsAnError(_ kind: String) throws {
        let directory = try Paths.scratchDirectory("migrations-\(kind)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = kind == "empty" ? directory : directory + "/nope"
        let cluster = PostgresCluster.shared
        let url = cluster.url(database: try cluster.createDatabase())
        _ = try capture(Paths.bookiji, ["migrate", "--database", url])
        let result = try capture(Paths.bookiji, ["migrate", "--database", url, "--dir", folder])
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains(folder), "\(result.stderr)")
        #expect(!result.stdout.contains("0 applied"))
    }
}

extension DeployTests {
    /// `bookiji serve --socket PATH` as PostgreSQL and nginx treat their sockets: never over a live
    /// one, over a stale one, and on exit removing only the socket it made. Through nginx, which
    /// is what answers 502 when a responder loses its socket.
    @Suite(.serialized) struct ResponderSocket {
        private func isSocket(_ path: String) -> Bool {
            var status = stat()
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK
        }

        private func inode(_ path: String) -> ino_t? {
            var status = stat()
            return lstat(path, &status) == 0 ? status.st_ino : nil
        }

        @Test func secondResponderOnALiveSocketExitsAndTheFirstKeepsServing() throws {
            let service = try Service()
            defer { service.stop() }
            let first = try #require(service.responder)
            let socketBefore = inode(service.socketPath)

            let second = try Daemon(Paths.bookiji, [
                "serve", "--socket", service.socketPath, "--database", service.databaseURL, "--threads", "1",
            ], logPath: service.directoryPath("second.log"))
            let code = second.waitForExit(seconds: 10)
            #expect(code != nil && code != 0, "the second responder must exit non-zero; log:\n\(second.log)")
            #expect(second.log.contains("\(service.socketPath) is in use"), "\(second.log)")
            #expect(first.isRunning)
            #expect(inode(service.socketPath) == socketBefore, "the live socket file was replaced")
            #expect(try service.get("/v1/health").status == 200)
        }

        @Test func socketLeftByAKilledResponderIsReplacedByTheNext() throws {
            let service = try Service()
            defer { service.stop() }
            let killed = try #require(service.responder)
            killed.signal(SIGKILL)
            #expect(killed.waitForExit(seconds: 5) == 128 + SIGKILL)
            #expect(isSocket(service.socketPath), "kill -9 leaves the socket file")
            #expect(try service.get("/v1/health").status == 502)

            try service.startResponder()
            #expect(eventually(seconds: 10) { (try? service.get("/v1/health").status) == 200 })
            #expect(try #require(service.responder).isRunning)
        }

        /// A responder whose socket path was taken over (deleted and bound again by another
        /// responder) leaves the new socket alone when it exits.
        @Test func exitingResponderLeavesASocketThatIsNotItsOwn() throws {
            let service = try Service()
            defer { service.stop() }
            let old = try #require(service.responder)
            unlink(service.socketPath)
            try service.startResponder()
            let replacement = inode(service.socketPath)
            #expect(replacement != nil)

            old.signal(SIGTERM)
            #expect(old.waitForExit(seconds: 10) == 0, "\(old.log)")
            #expect(old.log.contains("leaving it in place"), "\(old.log)")
            #expect(inode(service.socketPath) == replacement, "the exiting responder removed the new socket")
            #expect(try service.get("/v1/health").status == 200)

            // And the new one, whose socket it still is, removes it on exit.
            let current = try #require(service.responder)
            current.signal(SIGTERM)
            #expect(current.waitForExit(seconds: 10) == 0)
            #expect(!FileManager.default.fileExists(atPath: service.socketPath))
        }

        /// The start check's line, and every line of the log with a timestamp.
        @Test func responderLogsTheDatabaseAtStartWithTimestamps() throws {
            let service = try Service()
            defer { service.stop() }
            let responder = try #require(service.responder)
            #expect(eventually(seconds: 10) { responder.log.contains("database reachable") }, "\(responder.log)")
            let lines = responder.log.split(separator: "\n")
            let check = try #require(lines.first { $0.contains("database reachable") })
            let json = try #require(try JSONSerialization.jsonObject(with: Data(check.utf8)) as? [String: Any])
            #expect(json["level"] as? String == "info")
            #expect((json["schema"] as? String)?.hasSuffix(".sql") == true)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                let time = object?["time"] as? String ?? ""
                #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z/) != nil, "no RFC 3339 time: \(line)")
            }
        }

        @Test func unreachableDatabaseAtStartIsLoggedAndTheResponderServes503() throws {
            let service = try Service()
            defer { service.stop() }
            try #require(service.responder).stop()
            let port = freePort()  // nothing listens there
            try service.startResponder(extra: ["--database", "postgresql://postgres@127.0.0.1:\(port)/bookiji"])
            let responder = try #require(service.responder)
            #expect(eventually(seconds: 10) { responder.log.contains("database unreachable at start") }, "\(responder.log)")
            #expect(try service.get("/v1/health").status == 503)
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Process and port helpers shared by the test targets that start real servers (PostgreSQL,
// nginx, the responder, the fake calendar APIs).

public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Starts `executable` with stdout appended to `logPath`, stderr too (or to `errorPath` when
/// given), and stdin from /dev/null. `environment` adds to the runner's environment and
/// `removing` takes variables out of it.
///
/// posix_spawn and waitpid directly, not Foundation's `Process`: its exit monitoring can stall
/// inside lazily-initialised globals, and a pipe to a command that starts a daemon (pg_ctl) would
/// stay open for as long as the daemon lives.
public func spawn(
    _ executable: String, _ arguments: [String], logPath: String, errorPath: String? = nil,
    environment: [String: String] = [:], removing: [String] = []
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    if let errorPath {
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    } else {
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
    var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    for name in removing { merged[name] = nil }
    let env = merged.map { "\($0.key)=\($0.value)" }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    // Children start with default signal handling and nothing blocked, whatever the test runner uses.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t(), all = sigset_t()
    sigemptyset(&empty)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard status == 0 else {
        throw CommandFailure(description: "cannot start \(executable): \(String(cString: strerror(status)))")
    }
    return pid
}

/// What a finished command printed, stdout and stderr apart, and how it ended.
public struct CommandOutput: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
    /// stdout as a JSON object (empty when it is not one).
    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
}

/// Runs a command to completion, whatever its exit status (``run(_:_:environment:)`` throws on
/// failure), and returns its output.
public func capture(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = []
) throws -> CommandOutput {
    let base = NSTemporaryDirectory() + "bookiji-capture-" + UUID().uuidString
    defer { for suffix in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
    let pid = try spawn(
        executable, arguments, logPath: base + ".out", errorPath: base + ".err", environment: environment, removing: removing)
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return CommandOutput(exitCode: waitForExitCode(pid), stdout: read(base + ".out"), stderr: read(base + ".err"))
}

/// Waits for a child and returns its exit code (128 + signal when a signal ended it).
func waitForExitCode(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return exitCode(fromWaitStatus: status)
}

/// The exit code in a `waitpid` status: the process's own, or 128 + the signal that ended it.
func exitCode(fromWaitStatus status: Int32) -> Int32 {
    (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// Starts a server that prints the port it listens on as the first line of its output (the
/// Python fakes under Tests/Fakes do) and returns it with that port.
public func startReportingPort(
    _ executable: String, _ arguments: [String], logPath: String, seconds: Double = 10
) throws -> (daemon: Daemon, port: Int) {
    let daemon = try Daemon(executable, arguments, logPath: logPath)
    var port: Int?
    _ = eventually(seconds: seconds) {
        port = daemon.log.split(separator: "\n").first.flatMap { Int($0) }
        return port != nil
    }
    guard let port else {
        daemon.stop()
        throw CommandFailure(description: "\(arguments.first ?? executable) did not start:\n\(daemon.log)")
    }
    return (daemon, port)
}

/// Runs a command to completion and returns its output (stdout and stderr together).
@discardableResult
public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let logPath = NSTemporaryDirectory() + "bookiji-run-" + UUID().uuidString + ".out"
    defer { try? FileManager.default.removeItem(atPath: logPath) }
    let exitCode = waitForExitCode(try spawn(executable, arguments, logPath: logPath, environment: environment))
    let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    guard exitCode == 0 else {
        throw CommandFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(exitCode): \(output)")
    }
    return output
}

/// A long-running child process whose output goes to a log file.
public final class Daemon: @unchecked Sendable {  // state guarded by the lock
    public let pid: pid_t
    public let logPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    public init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        pid = try spawn(executable, arguments, logPath: logPath, environment: environment)
    }

    /// Reaps the child if it has exited; returns its exit code (128+signal when killed).
    private func poll() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        exitStatus = exitCode(fromWaitStatus: status)
        return exitStatus
    }

    public var isRunning: Bool { poll() == nil }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits up to `seconds` for the process to exit; returns its exit code, or nil if still running.
    public func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let code = poll() { return code }
            usleep(10_000)
        }
        return poll()
    }

    public func stop() {
        guard isRunning else { return }
        signal(SIGTERM)
        if waitForExit(seconds: 6) == nil {
            signal(SIGKILL)
            _ = waitForExit(seconds: 2)
        }
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// A free loopback TCP port (bound to port 0, then released).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ptr -> Int32 in
            _ = bind(fd, ptr, length)
            return getsockname(fd, ptr, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
public func eventually(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// python3 for the tests' Python fakes: `$BOOKIJI_PYTHON`, else the first on the PATH.
public let python3: String = {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["BOOKIJI_PYTHON"] { return explicit }
    for directory in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let candidate = "\(directory)/python3"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "/usr/bin/python3"
}()

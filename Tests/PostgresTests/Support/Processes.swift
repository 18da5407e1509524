import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Copied from Tests/EndToEndTests/Harness/Processes.swift (test targets cannot share files).

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

/// Starts `executable` with stdout and stderr appended to `logPath` and stdin from /dev/null.
///
/// posix_spawn and waitpid directly, not Foundation's `Process`: its exit monitoring can stall
/// inside lazily-initialised globals, and a pipe to a command that starts a daemon (pg_ctl) would
/// stay open for as long as the daemon lives.
func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    // Children start with default signal handling and nothing blocked, whatever the test runner
    // uses (the FastCGI tests install SIGTERM/SIGINT handlers and ignore SIGPIPE).
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

/// Runs a command to completion and returns its output (stdout and stderr together).
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let logPath = NSTemporaryDirectory() + "bookiji-run-" + UUID().uuidString + ".out"
    defer { unlink(logPath) }
    let pid = try spawn(executable, arguments, logPath: logPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    guard exitCode == 0 else {
        throw CommandFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(exitCode): \(output)")
    }
    return output
}

#if canImport(Glibc)
import Glibc
#endif

/// The write end of the self-pipe, read by the C signal handler. Set once, before the handler is
/// installed (inside ``SignalPipe/shared``'s one-time initialiser), and never changed, so the
/// unsynchronised read inside the handler is safe.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// Turns SIGTERM and SIGINT into a byte on a pipe, so a thread can wait for them with a plain
/// blocking read or `poll`. Writing to a pipe is async-signal-safe; almost nothing else is.
///
/// One per process: signal dispositions are process-wide, so the pipe and the handlers are set
/// up once, on first use, however many servers the process starts (tests start many).
struct SignalPipe: Sendable {
    let readFD: Int32

    static let shared: SignalPipe = install()

    private static func install() -> SignalPipe {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe() failed")
        signalPipeWriteFD = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(signalPipeWriteFD, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these signals blocked (the mask is inherited across
        // exec); unblock them, or a SIGTERM would stay pending forever.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return SignalPipe(readFD: fds[0])
    }

    /// Blocks until a signal has arrived or `otherFD` becomes readable (a server's stop pipe),
    /// and consumes the byte that woke it.
    func wait(orReadable otherFD: Int32) {
        var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: otherFD, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            for entry in fds where entry.revents != 0 {
                var byte: UInt8 = 0
                _ = read(entry.fd, &byte, 1)
            }
            return
        }
    }
}

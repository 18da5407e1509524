#if canImport(Glibc)
import Glibc
#endif

/// The write end of the self-pipe, read by the C signal handler. Set once before the handler is
/// installed and never changed, so the unsynchronised read inside the handler is safe.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// Turns SIGTERM and SIGINT into a byte on a pipe, so a thread can wait for them with a plain
/// blocking read. Writing to a pipe is async-signal-safe; almost nothing else is.
struct SignalPipe {
    let readFD: Int32

    static func install() -> SignalPipe {
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

    /// Blocks until a signal has arrived.
    func wait() {
        var byte: UInt8 = 0
        while read(readFD, &byte, 1) < 0 && errno == EINTR {}
    }
}

import Testing

/// Every test that starts a ``FastCGIServer`` lives in this suite, one at a time: SIGTERM and
/// SIGINT reach a process-wide handler, so the shutdown-by-signal test must own the process's only
/// running server, and the timing tests should not compete with other servers for two cores.
@Suite(.serialized) struct FastCGIServerTests {}

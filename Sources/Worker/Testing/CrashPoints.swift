import BookijiCore
import Foundation

/// Test builds only: places in the payment flow where the worker kills itself with SIGKILL, so
/// the kill tests can stop it between any recovery point and the call it guards, or between the
/// call and the recording of its result. Named `{operation}:{before|after}`, e.g.
/// `vendor-capture:after` (the capture happened at Stripe; its result was never recorded).
/// Release builds ignore them.
public struct CrashPoints: Sendable {
    public enum Moment: String, Sendable {
        /// The recovery point is committed; the call was not made.
        case beforeCall = "before"
        /// The call returned; its result is not recorded.
        case afterCall = "after"
    }

    private let points: Set<String>

    public init(_ points: [String] = []) {
        self.points = Set(points)
    }

    /// Every name a point can have.
    public static var all: [String] {
        ExternalOperation.allCases.flatMap { op in [Moment.beforeCall, .afterCall].map { "\(op.rawValue):\($0.rawValue)" } }
    }

    func reach(_ operation: ExternalOperation, _ moment: Moment) {
        #if DEBUG
        guard !points.isEmpty, points.contains("\(operation.rawValue):\(moment.rawValue)") else { return }
        FileHandle.standardError.write(Data("crash point \(operation.rawValue):\(moment.rawValue) reached; SIGKILL\n".utf8))
        kill(getpid(), SIGKILL)
        #endif
    }
}

import Foundation
import Testing

/// `fake-stripe` checked by Stripe's own Python library (Tests/Fakes/stripe_conformance.py): if
/// stripe-python reads its answers, errors and webhook signatures as Stripe's, so will our client.
@Suite(.serialized)
struct FakeStripeConformanceTests {
    /// python3 from BOOKIJI_PYTHON or the PATH.
    static let python: String = {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["BOOKIJI_PYTHON"] { return explicit }
        for directory in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/python3"
    }()

    @Test func stripePythonAcceptsTheFake() throws {
        let script = Paths.repositoryRoot + "/Tests/Fakes/stripe_conformance.py"
        let output = try capture(Self.python, [script, "--fake-stripe", Paths.fakeStripe])
        #expect(output.exitCode == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(!output.stdout.contains("FAIL"), "\(output.stdout)")
    }
}

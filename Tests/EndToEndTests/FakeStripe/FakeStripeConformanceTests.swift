import Foundation
import Testing

/// `fake-stripe` checked by Stripe's own Python library (Tests/Fakes/stripe_conformance.py): if
/// stripe-python reads its answers, errors and webhook signatures as Stripe's, so will our client.
@Suite(.serialized)
struct FakeStripeConformanceTests {

    @Test func stripePythonAcceptsTheFake() throws {
        let script = Paths.repositoryRoot + "/Tests/Fakes/stripe_conformance.py"
        let output = try capture(python3, [script, "--fake-stripe", Paths.fakeStripe])
        #expect(output.exitCode == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(!output.stdout.contains("FAIL"), "\(output.stdout)")
    }
}

import Foundation


enum Paths {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let bookiji: String = {
        if let explicit = ProcessInfo.processInfo.environment["BOOKIJI_BIN"] { return explicit }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // On Linux the runner is `<bin>/bookiji-corePackageTests.xctest`.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("bookiji").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return repositoryRoot + "/.build/debug/bookiji"
    }()

    /// The `fake-stripe` executable built beside `bookiji` (or `$FAKE_STRIPE_BIN`).
    static let fakeStripe: String = {
        if let explicit = ProcessInfo.processInfo.environment["FAKE_STRIPE_BIN"] { return explicit }
        return URL(fileURLWithPath: bookiji).deletingLastPathComponent().appendingPathComponent("fake-stripe").path
    }()

    static func script(_ name: String) -> String { repositoryRoot + "/scripts/" + name }

    /// A fresh folder for one test's clusters, sockets and logs: under `$BOOKIJI_TEST_SCRATCH`
    /// (scripts/test makes one in /tmp that the postgres and nginx users can enter), else
    /// under `.run/test` in the checkout.
    static func scratchDirectory(_ label: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["BOOKIJI_TEST_SCRATCH"] ?? repositoryRoot + "/.run/test"
        let path = base + "/\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}


import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` (the git commit the binary is built from) before every build of the
/// target that uses it, through `scripts/build-info`. A prebuild command rather than a committed
/// file, so a clean clone never carries a stale commit id, and `swift build` alone (CI, a
/// release build) needs no script run first. The script rewrites the file only when the commit
/// changes, so an unchanged tree recompiles nothing.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo")
        return [
            .prebuildCommand(
                displayName: "Recording the git commit in BuildInfo.swift",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    context.package.directoryURL.appending(path: "scripts/build-info").path,
                    context.package.directoryURL.path, output.path,
                ],
                outputFilesDirectory: output),
        ]
    }
}

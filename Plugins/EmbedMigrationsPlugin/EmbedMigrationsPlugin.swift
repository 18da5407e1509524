import Foundation
import PackagePlugin

/// Writes `EmbeddedMigrations.swift` (``Migration/embedded``: the text of every file in
/// migrations/) before every build of the target that uses it, through
/// `scripts/migrations-embed`, so the binary migrates a database without a checkout and can never
/// carry other migrations than the folder it was built from.
@main
struct EmbedMigrationsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations")
        return [
            .prebuildCommand(
                displayName: "Embedding migrations/ in EmbeddedMigrations.swift",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    context.package.directoryURL.appending(path: "scripts/migrations-embed").path,
                    context.package.directoryURL.path, output.path,
                ],
                outputFilesDirectory: output),
        ]
    }
}

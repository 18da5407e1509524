import Foundation

/// The `FILE|DIR|URL...` arguments of an import, resolved to what will be read.
///
/// A source has one kind, so an import is either local files (`ics_file`) or one feed URL
/// (`ics_url`): a feed gets its own source so that its status, last error and HTTP validators
/// describe exactly one thing.
public enum ICSImportInputs: Sendable, Hashable {
    /// Local files in the order given; a folder contributes its `.ics` files sorted by name.
    case files([ICSFile])
    /// One `http`/`https` URL (`webcal://` is read as `https://`).
    case url(String)

    /// A file to import and its size when the inputs were resolved (for the progress bar).
    public struct ICSFile: Sendable, Hashable {
        public var path: String
        public var size: Int64
    }

    /// Resolves command-line arguments.
    /// - Throws: ``CalendarImportError`` `.invalidArgument` for no inputs, a mix of URLs and
    ///   files, several URLs or an unsupported scheme; `.unreadableInput` for a missing path or a
    ///   folder without `.ics` files.
    public static func resolve(_ arguments: [String]) throws(CalendarImportError) -> ICSImportInputs {
        guard !arguments.isEmpty else {
            throw CalendarImportError(.invalidArgument, "give at least one FILE, DIR or URL to import")
        }
        let urls = arguments.filter(isURL)
        if !urls.isEmpty {
            guard urls.count == arguments.count else {
                throw CalendarImportError(
                    .invalidArgument,
                    "a source imports either files or one URL, not both: use another --source for \(urls[0])")
            }
            guard urls.count == 1 else {
                throw CalendarImportError(
                    .invalidArgument, "a URL source follows exactly one feed: import each URL into its own --source")
            }
            return .url(try normalisedURL(urls[0]))
        }
        var files: [ICSFile] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw CalendarImportError(.unreadableInput, input: argument, "no such file or folder")
            }
            if isDirectory.boolValue {
                let names: [String]
                do {
                    names = try FileManager.default.contentsOfDirectory(atPath: argument)
                } catch {
                    throw CalendarImportError(.unreadableInput, input: argument, "cannot list the folder: \(error.localizedDescription)")
                }
                let ics = names.filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".ics") }.sorted()
                guard !ics.isEmpty else {
                    throw CalendarImportError(.unreadableInput, input: argument, "the folder holds no .ics files")
                }
                let base = argument.hasSuffix("/") ? argument : argument + "/"
                for name in ics {
                    let path = base + name
                    var nested: ObjCBool = false
                    // Only regular files: a folder named x.ics is not a calendar.
                    guard FileManager.default.fileExists(atPath: path, isDirectory: &nested), !nested.boolValue else { continue }
                    files.append(ICSFile(path: path, size: size(of: path)))
                }
            } else {
                files.append(ICSFile(path: argument, size: size(of: argument)))
            }
        }
        return .files(files)
    }

    static func isURL(_ argument: String) -> Bool {
        guard let colon = argument.firstIndex(of: ":") else { return false }
        let scheme = argument[..<colon]
        // A Windows-style "C:" path or a plain file name with a colon is not a URL.
        return scheme.count > 1 && argument[colon...].hasPrefix("://")
            && scheme.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    static func normalisedURL(_ text: String) throws(CalendarImportError) -> String {
        let lower = text.lowercased()
        if lower.hasPrefix("webcal://") { return "https://" + text.dropFirst("webcal://".count) }
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw CalendarImportError(.invalidArgument, input: text, "only http, https and webcal URLs can be imported")
        }
        guard URL(string: text)?.host?.isEmpty == false else {
            throw CalendarImportError(.invalidArgument, input: text, "not a valid URL")
        }
        return text
    }

    static func size(of path: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }
}

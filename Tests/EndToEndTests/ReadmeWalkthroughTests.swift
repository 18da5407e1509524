import Foundation
import Testing

/// The README's "First booking in ten requests", run as a new partner would run it: the
/// operator's `bookiji` lines through the CLI against the test's database, every `curl` as the
/// same HTTP request through nginx, each answer checked against the `# →` line under it (status,
/// and the body's fields as shown). A README step that no longer works, or an answer that no
/// longer looks as the README says, fails here.
@Suite(.serialized)
struct ReadmeWalkthroughTests {
    static let readme = ReadmeFile.repositoryRoot + "/README.md"

    @Test func theFirstBookingWalkthroughWorksAsWritten() throws {
        let steps = try Walkthrough.steps(fromReadme: try String(contentsOfFile: Self.readme, encoding: .utf8))
        #expect(steps.filter { if case .request = $0.kind { true } else { false } }.count == 10, "ten requests")

        let world = try PaymentWorld()
        defer { world.stop() }
        var shell = Walkthrough.Shell(service: world.service)
        for step in steps {
            try shell.run(step)
        }
        #expect(shell.requestsChecked == 10)
        let reservation = try #require(shell.variables["RESERVATION"])
        let committed = try world.service.get("/v1/reservations/\(reservation)", key: shell.variables["KEY"])
        #expect(committed.json["state"] as? String == "COMMITTED")
        #expect(committed.json["bookingId"] is String)
    }

    /// The block's grammar is what the test can check, so a step written another way fails
    /// loudly here instead of being skipped.
    @Test func anUnknownKindOfLineIsAnErrorNotSkipped() {
        #expect(throws: Walkthrough.Failure.self) {
            try Walkthrough.steps(fromReadme: "### First booking in ten requests\n```sh\nwget http://x\n```\n")
        }
    }
}

enum ReadmeFile {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

/// The README block as steps, and a tiny shell that runs them against a test ``Service``.
enum Walkthrough {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Expectation {
        var status: Int
        var fields: [String: Any]
        var repeatUntil: Bool
    }

    struct Step {
        enum Kind {
            /// `NAME=value`, `NAME=$(…)`.
            case assign(String, String)
            case bookiji(String)
            case request(String)
            case file(String, String)
        }

        var kind: Kind
        var expectation: Expectation?
    }

    static func steps(fromReadme text: String) throws -> [Step] {
        guard let section = text.range(of: "### First booking in ten requests"),
              let open = text.range(of: "```sh\n", range: section.upperBound..<text.endIndex),
              let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex)
        else { throw Failure(description: "the README has no 'First booking in ten requests' sh block") }
        var lines = text[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var steps: [Step] = []
        while !lines.isEmpty {
            var line = lines.removeFirst()
            while line.hasSuffix("\\"), !lines.isEmpty { line = String(line.dropLast()) + " " + lines.removeFirst().trimmingCharacters(in: .whitespaces) }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# →") {
                guard !steps.isEmpty, case .request = steps[steps.count - 1].kind else {
                    throw Failure(description: "an answer line follows no request: \(trimmed)")
                }
                steps[steps.count - 1].expectation = try expectation(String(trimmed.dropFirst(3)))
            } else if trimmed.isEmpty || trimmed.hasPrefix("#") {
                continue
            } else if trimmed.hasPrefix("cat > "), let marker = trimmed.range(of: " <<'EOF'") {
                let name = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 6)..<marker.lowerBound])
                guard let end = lines.firstIndex(of: "EOF") else { throw Failure(description: "no EOF after \(trimmed)") }
                steps.append(Step(kind: .file(name, lines[..<end].joined(separator: "\n") + "\n")))
                lines.removeFirst(end + 1)
            } else if trimmed.hasPrefix("bookiji ") {
                steps.append(Step(kind: .bookiji(trimmed)))
            } else if trimmed.hasPrefix("curl ") {
                steps.append(Step(kind: .request(trimmed)))
            } else if let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].allSatisfy({ $0.isUppercase || $0 == "_" }) {
                let name = String(trimmed[..<equals]), value = String(trimmed[trimmed.index(after: equals)...])
                steps.append(Step(kind: value.hasPrefix("$(curl ") ? .request(trimmed) : .assign(name, value)))
            } else {
                throw Failure(description: "a line the walkthrough test cannot follow: \(trimmed)")
            }
        }
        return steps
    }

    /// `201 {"state": "HELD"} (repeat until …)`
    static func expectation(_ text: String) throws -> Expectation {
        var rest = text.trimmingCharacters(in: .whitespaces)
        let repeatUntil = rest.contains("(repeat until")
        if let note = rest.range(of: " (") { rest = String(rest[..<note.lowerBound]) }
        let status = rest.prefix { $0.isNumber }
        guard let code = Int(status) else { throw Failure(description: "no status in '# →\(text)'") }
        let json = rest.dropFirst(status.count).trimmingCharacters(in: .whitespaces)
        var fields: [String: Any] = [:]
        if !json.isEmpty {
            guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
                throw Failure(description: "not a JSON object: \(json)")
            }
            fields = object
        }
        return Expectation(status: code, fields: fields, repeatUntil: repeatUntil)
    }

    struct Shell {
        let service: Service
        var variables: [String: String] = [:]
        var files: [String: String] = [:]
        var requestsChecked = 0

        init(service: Service) {
            self.service = service
        }

        mutating func run(_ step: Step) throws {
            switch step.kind {
            case .file(let name, let content):
                let path = service.directoryPath("readme-" + name)
                try content.write(toFile: path, atomically: true, encoding: .utf8)
                files[name] = path
            case .bookiji(let line):
                try bookiji(line)
            case .assign(let name, let value):
                variables[name] = try evaluate(value)
            case .request(let line):
                var command = line, capture: (variable: String, field: String)?
                if let equals = line.range(of: "=$("), line.hasSuffix(")") {
                    let pipe = try Self.jqField(String(line[equals.upperBound...].dropLast()))
                    capture = (String(line[..<equals.lowerBound]), pipe.field)
                    command = pipe.command
                }
                let (request, response) = try curl(command, expecting: step.expectation)
                if let expected = step.expectation {
                    #expect(response.status == expected.status, "\(request): \(response.text)")
                    let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
                    #expect(Self.contains(body, expected.fields.mapValues(substitute)), "\(request): \(response.text)")
                    requestsChecked += 1
                } else {
                    Issue.record("no '# →' answer line under \(line)")
                }
                if let capture {
                    let value = try #require(response.json[capture.field] as? String, "\(capture.field) of \(response.text)")
                    variables[capture.variable] = value
                }
            }
        }

        /// `"$VENDOR"` in an answer line stands for the variable's value.
        func substitute(_ value: Any) -> Any {
            guard let text = value as? String, text.hasPrefix("$") else { return value }
            return variables[String(text.dropFirst())] ?? text
        }

        static func contains(_ actual: [String: Any], _ expected: [String: Any]) -> Bool {
            expected.allSatisfy { key, value in
                switch (actual[key], value) {
                case let (actual as [String: Any], expected as [String: Any]): contains(actual, expected)
                case (is NSNull, is NSNull): true
                case let (actual as String, expected as String): actual == expected
                case let (actual as NSNumber, expected as NSNumber): actual == expected
                default: false
                }
            }
        }

        /// `… | jq -r .field`
        static func jqField(_ text: String) throws -> (command: String, field: String) {
            guard let pipe = text.range(of: " | jq -r .", options: .backwards) else {
                throw Failure(description: "a capture other than '| jq -r .field': \(text)")
            }
            return (String(text[..<pipe.lowerBound]).trimmingCharacters(in: .whitespaces), String(text[pipe.upperBound...]))
        }

        mutating func evaluate(_ value: String) throws -> String {
            guard value.hasPrefix("$("), value.hasSuffix(")") else {
                // `API=…`: this test's nginx stands in for the README's.
                return value.hasPrefix("http://") ? "http://127.0.0.1:\(service.port)" : try words(value).joined(separator: " ")
            }
            let inner = String(value.dropFirst(2).dropLast())
            if inner.hasPrefix("date ") {
                return try TestSupport.run("/bin/sh", ["-c", inner]).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let pipe = try Self.jqField(inner)
            guard pipe.command.hasPrefix("bookiji ") else { throw Failure(description: "cannot evaluate \(value)") }
            let output = try bookiji(pipe.command)
            let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            guard let field = object?[pipe.field] as? String else {
                throw Failure(description: "`\(pipe.command)` printed no '\(pipe.field)': \(output)")
            }
            return field
        }

        @discardableResult
        func bookiji(_ line: String) throws -> String {
            let arguments = try words(line).dropFirst().map { files[$0] ?? $0 }
            return try service.bookiji(Array(arguments))
        }

        func curl(_ line: String, expecting expected: Expectation?) throws -> (String, WireResponse) {
            var arguments = try words(line).dropFirst()[...]
            var method: String?, headers: [String: String] = [:], body: [UInt8]?, url: String?
            while let argument = arguments.popFirst() {
                switch argument {
                case "-s": continue
                case "-X": method = arguments.popFirst()
                case "-H":
                    guard let header = arguments.popFirst(), let colon = header.firstIndex(of: ":") else {
                        throw Failure(description: "a -H without 'Name: value' in \(line)")
                    }
                    headers[String(header[..<colon])] = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                case "-d": body = arguments.popFirst().map { Array($0.utf8) }
                default:
                    guard argument.hasPrefix("http://"), url == nil else { throw Failure(description: "curl option '\(argument)' in \(line)") }
                    url = argument
                }
            }
            let prefix = "http://127.0.0.1:\(service.port)"
            guard let url, url.hasPrefix(prefix) else { throw Failure(description: "no URL on this test's nginx in \(line)") }
            let path = String(url.dropFirst(prefix.count))
            let verb = method ?? (body == nil ? "GET" : "POST")
            let deadline = Date().addingTimeInterval(expected?.repeatUntil == true ? 30 : 0)
            while true {
                let response = try HTTPClient.send(port: service.port, method: verb, path: path, headers: headers, body: body)
                let done = expected.map { response.status == $0.status && Self.contains(response.json, $0.fields.mapValues(substitute)) } ?? true
                if done || Date() >= deadline { return ("\(verb) \(path)", response) }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }

        /// Shell words: single quotes literal, double quotes and bare text with `$NAME` and
        /// `${NAME}` expanded, adjacent parts joined (`'{"id": "'$ID'"}'`).
        func words(_ line: String) throws -> [String] {
            var words: [String] = [], current = "", inWord = false
            var characters = Array(line)[...]
            func expand(_ text: inout ArraySlice<Character>, into word: inout String) throws {
                if text.first == "{" {
                    guard let close = text.firstIndex(of: "}") else { throw Failure(description: "unclosed ${ in \(line)") }
                    let name = String(text[text.index(after: text.startIndex)..<close])
                    word += try value(name)
                    text = text[text.index(after: close)...]
                } else {
                    let name = String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                    word += try value(name)
                    text = text.dropFirst(name.count)
                }
            }
            while let character = characters.popFirst() {
                switch character {
                case " ", "\t":
                    if inWord { words.append(current); current = ""; inWord = false }
                case "'":
                    inWord = true
                    guard let close = characters.firstIndex(of: "'") else { throw Failure(description: "unclosed ' in \(line)") }
                    current += String(characters[..<close])
                    characters = characters[characters.index(after: close)...]
                case "\"":
                    inWord = true
                    while let inner = characters.popFirst(), inner != "\"" {
                        if inner == "$" { try expand(&characters, into: &current) } else { current.append(inner) }
                    }
                case "$":
                    inWord = true
                    try expand(&characters, into: &current)
                default:
                    inWord = true
                    current.append(character)
                }
            }
            if inWord { words.append(current) }
            return words
        }

        func value(_ name: String) throws -> String {
            guard let value = variables[name] else { throw Failure(description: "$\(name) is used before it is set") }
            return value
        }
    }
}

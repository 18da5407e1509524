import Foundation
import Testing

/// One CLI convention (issue 17, point 6), tried on the built `bookiji` against a real database:
/// `--json` in the API's field names, sysexits exit codes, no PostgreSQL text, unknown ids as
/// errors, rules files' syntax errors with line and column, zone changes only on request, and
/// tzdata's aliases with a did-you-mean for a misspelt zone.
struct CLIConventionTests {
    /// Runs the CLI against the service's database, whatever its exit status.
    static func cli(_ service: Service, _ arguments: [String], database: String? = nil) throws -> CommandOutput {
        try capture(Paths.bookiji, arguments, environment: ["BOOKIJI_DATABASE_URL": database ?? service.databaseURL])
    }

    static func object(_ output: CommandOutput) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)\(output.stderr)")
    }

    /// Every command that prints a result takes `--json`: the whole command tree is walked from
    /// `bookiji --help`, so a command added later without it fails here. Only the long-running
    /// processes (`serve`, `worker run`) print logs instead of a result.
    @Test func everyCommandTakesJSON() throws {
        func subcommands(_ path: [String]) throws -> [String] {
            let help = try capture(Paths.bookiji, path + ["--help"]).stdout
            guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
            return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
                .prefix { !$0.isEmpty }
                .compactMap { line in
                    // "  name   abstract"; wrapped abstracts continue further in, and `help` (the
                    // parser's own) would lead back to the top.
                    guard line.hasPrefix("  "), line.dropFirst(2).first?.isLetter == true,
                          let first = line.split(separator: " ").first, first != "help" else { return nil }
                    return String(first)
                }
        }
        var leaves: [[String]] = []
        var pending: [[String]] = [[]]
        while let path = pending.popLast(), path.count < 5 {
            let children = try subcommands(path)
            if children.isEmpty { leaves.append(path) } else { pending += children.map { path + [$0] } }
        }
        #expect(leaves.count > 25, "the walk found the command tree: \(leaves)")
        for leaf in leaves where ![["serve"], ["worker", "run"]].contains(leaf) {
            let help = try capture(Paths.bookiji, leaf + ["--help"]).stdout
            #expect(help.contains("--json"), "bookiji \(leaf.joined(separator: " ")) has no --json")
        }
    }

    @Test func jsonOutputUsesTheAPIsFieldNames() throws {
        let service = try Service()
        defer { service.stop() }
        let partner = try Self.object(Self.cli(service, ["partner", "create", "--name", "Acme", "--json"]))
        #expect(partner["partnerId"] is String && partner["apiKey"] is String)
        #expect(partner["id"] == nil)
        let vendorOut = try Self.cli(service, ["vendor", "create", "--name", "Praxis", "--timezone", "Europe/Berlin", "--json"])
        let vendor = try Self.object(vendorOut)
        let vendorID = try #require(vendor["vendorId"] as? String)
        #expect(vendor["id"] == nil)
        #expect(vendor["timezone"] as? String == "Europe/Berlin")

        // Every field the CLI prints for a vendor is one the API's vendor has, with the same value.
        let api = try service.get("/v1/vendors/\(vendorID)", key: partner["apiKey"] as? String)
        #expect(api.status == 200)
        let shown = try Self.object(Self.cli(service, ["vendor", "show", vendorID, "--json"]))
        for (name, value) in shown where !["notify"].contains(name) {
            #expect(api.json[name] != nil, "vendor show --json has '\(name)', the API does not")
            if let text = value as? String { #expect(api.json[name] as? String == text, "\(name)") }
        }

        let vendors = try Self.object(Self.cli(service, ["vendor", "list", "--json"]))["vendors"] as? [[String: Any]]
        #expect(vendors?.map { $0["vendorId"] as? String } == [vendorID])
        let partners = try Self.object(Self.cli(service, ["partner", "list", "--json"]))["partners"] as? [[String: Any]]
        #expect(partners?.first?["partnerId"] as? String == partner["partnerId"] as? String)
        #expect(partners?.first?["status"] as? String == "active")
        let stats = try Self.object(Self.cli(service, ["partner", "stats", partner["partnerId"] as! String, "--json"]))
        let apiStats = try service.get("/v1/partner/stats", key: partner["apiKey"] as? String)
        #expect(Set(stats.keys) == Set(apiStats.json.keys))
        let limits = try Self.object(Self.cli(service, ["partner", "limits", partner["partnerId"] as! String, "--json"]))
        #expect(limits["reservationsPerHour"] as? Int == 1000)
    }

    @Test func exitCodesFollowSysexitsAndNoDatabaseTextReachesTheUser() throws {
        let service = try Service()
        defer { service.stop() }
        let unknown = UUID().uuidString.lowercased()

        // Unknown ids are errors (partner stats printed zeros and exited 0).
        let stats = try Self.cli(service, ["partner", "stats", unknown])
        #expect(stats.exitCode == 66)
        #expect(stats.stderr.contains("no partner with id '\(unknown)'"))
        #expect(stats.stdout.isEmpty)
        for arguments in [["vendor", "show", unknown], ["vendor", "key", "list", unknown], ["vendor", "reservations", unknown],
                          ["partner", "key", "list", unknown], ["vendor", "key", "revoke", unknown]] {
            let output = try Self.cli(service, arguments)
            #expect(output.exitCode == 66, "\(arguments): \(output.exitCode) \(output.stderr)")
        }

        // A malformed id: our words, not PostgreSQL's.
        let malformed = try Self.cli(service, ["vendor", "show", "x"])
        #expect(malformed.exitCode == 66)
        #expect(malformed.stderr.contains("no vendor with id 'x' (ids look like"))
        #expect(!malformed.stderr.contains("invalid input syntax"))
        for arguments in [["partner", "stats", "x"], ["partner", "limits", "x"], ["vendor", "rules", "show", "x"], ["partner", "revoke", "x"]] {
            let output = try Self.cli(service, arguments)
            #expect(output.exitCode == 66, "\(arguments)")
            #expect(!output.stderr.contains("invalid input syntax") && !output.stderr.contains("SQLSTATE"), "\(arguments): \(output.stderr)")
        }

        // Bad data 65, usage 64, unreachable database 69, no database configured 78.
        #expect(try Self.cli(service, ["vendor", "create", "--name", "", "--timezone", "UTC"]).exitCode == 65)
        #expect(try Self.cli(service, ["vendor", "create", "--name", "V"]).exitCode == 64)
        let vendor = try service.createVendor(timezone: "UTC")
        #expect(try Self.cli(service, ["vendor", "reservations", vendor, "--state", "NOPE"]).exitCode == 64)
        let down = try Self.cli(service, ["vendor", "list"], database: "postgresql://bookiji@127.0.0.1:1/none?connect_timeout=2")
        #expect(down.exitCode == 69)
        #expect(down.stderr.contains("cannot reach the database"))
        #expect(!down.stderr.contains("Connection refused") && !down.stderr.contains("connection to server"), "\(down.stderr)")
        let unconfigured = try capture(Paths.bookiji, ["vendor", "list"], removing: ["BOOKIJI_DATABASE_URL"])
        #expect(unconfigured.exitCode == 78)
        #expect(unconfigured.stderr.contains("no database"))
    }

    @Test func rulesSyntaxErrorsNameLineAndColumnAndZoneChangesNeedAFlag() throws {
        let service = try Service()
        defer { service.stop() }
        let vendor = try service.createVendor(timezone: "Europe/Berlin")
        let broken = service.directoryPath("broken.json")
        try """
            {
              "timeZone": "Europe/Berlin",
              "slotMinutes": 30,
              "weeklyHours": {"monday": [{"start": "09:00" "end": "17:00"}]}
            }
            """.write(toFile: broken, atomically: true, encoding: .utf8)
        let syntax = try Self.cli(service, ["vendor", "rules", "set", vendor, "--file", broken])
        #expect(syntax.exitCode == 65)
        #expect(syntax.stderr.contains("line 4, column"), "\(syntax.stderr)")
        #expect(try Self.cli(service, ["vendor", "rules", "set", vendor, "--file", service.directoryPath("missing.json")]).exitCode == 66)

        let moved = service.directoryPath("moved.json")
        try #"{"timeZone":"America/New_York","slotMinutes":30,"weeklyHours":{"monday":[{"start":"09:00","end":"17:00"}]}}"#
            .write(toFile: moved, atomically: true, encoding: .utf8)
        let refused = try Self.cli(service, ["vendor", "rules", "set", vendor, "--file", moved])
        #expect(refused.exitCode == 65)
        #expect(refused.stderr.contains("--change-zone"))
        #expect(try Self.object(Self.cli(service, ["vendor", "show", vendor, "--json"]))["timezone"] as? String == "Europe/Berlin")
        let changed = try Self.cli(service, ["vendor", "rules", "set", vendor, "--file", moved, "--change-zone", "--json"])
        #expect(changed.exitCode == 0)
        #expect(try Self.object(changed)["timezone"] as? String == "America/New_York")
    }

    @Test(arguments: ["CET", "EST", "US/Eastern", "Europe/Berlin", "UTC"])
    func tzdataAliasesAreAccepted(zone: String) throws {
        let service = try Service()
        defer { service.stop() }
        let created = try Self.cli(service, ["vendor", "create", "--name", "V", "--timezone", zone, "--json"])
        #expect(created.exitCode == 0, "\(created.stderr)")
        let vendor = try #require(try Self.object(created)["vendorId"] as? String)
        // The zone works where it matters: the vendor's availability is computed in it.
        let partner = try service.createPartner()
        let start = Booking.iso(Booking.day(8)), end = Booking.iso(Booking.day(9))
        let answer = try service.get("/v1/vendors/\(vendor)/availability?startTime=\(start)&endTime=\(end)", key: partner.key)
        #expect(answer.status == 200, "\(answer.text)")
    }

    @Test func aMisspeltZoneGetsADidYouMean() throws {
        let service = try Service()
        defer { service.stop() }
        let output = try Self.cli(service, ["vendor", "create", "--name", "V", "--timezone", "Europe/Berln"])
        #expect(output.exitCode == 65)
        #expect(output.stderr.contains("did you mean Europe/Berlin?"), "\(output.stderr)")
        let far = try Self.cli(service, ["vendor", "create", "--name", "V", "--timezone", "Mars/Olympus_Mons"])
        #expect(far.exitCode == 65)
        #expect(!far.stderr.contains("did you mean"))
        // The rules document's zone gets the same help.
        let vendor = try service.createVendor(timezone: "UTC")
        let file = service.directoryPath("typo.json")
        try #"{"timeZone":"America/New_Yrok","slotMinutes":30,"weeklyHours":{}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let rules = try Self.cli(service, ["vendor", "rules", "set", vendor, "--file", file, "--change-zone"])
        #expect(rules.exitCode == 65)
        #expect(rules.stderr.contains("did you mean America/New_York?"), "\(rules.stderr)")
    }
}

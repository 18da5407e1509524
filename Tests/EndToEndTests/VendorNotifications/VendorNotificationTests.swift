import BookijiCore
import Foundation
import Postgres
import Testing

/// Vendor notifications and the confirmation page end to end (issue 13, points 4 and 5): a hold
/// is told to the vendor by email (a real SMTP conversation with a local aiosmtpd sink) and by a
/// signed webhook, each with the link to the page; a vendor opens it in headless Chromium and
/// confirms; failed notifications are retried and extend the deadline once; the page refuses
/// what it must, always as a page.
@Suite(.serialized)
struct VendorNotificationTests {
    /// The one browser test: the email's link, opened in Chromium, confirms the reservation; the
    /// partner's webhook says so. Screenshots at desktop and phone widths are kept with the
    /// test's output (their paths are printed).
    @Test func theEmailedLinkConfirmsInABrowser() throws {
        let world = try VendorWorld()
        defer { world.stop() }
        let local = VendorWorld.localHour(from: world.nextSlot)
        let id = try world.hold()

        let mail = try #require(try world.waitForMails(1).first)
        #expect(mail["mailFrom"] as? String == VendorWorld.mailFrom)
        #expect(mail["rcptTos"] as? [String] == [VendorWorld.vendorEmail])
        #expect((mail["from"] as? String)?.contains("<\(VendorWorld.mailFrom)>") == true, "\(mail["from"] ?? "")")
        #expect(mail["to"] as? String == VendorWorld.vendorEmail)
        let subject = try #require(mail["subject"] as? String)
        #expect(subject.hasPrefix("Please confirm: booking request for ") && subject.hasSuffix(", \(local.start)"), "\(subject)")
        let text = try #require(mail["text"] as? String)
        #expect(text.contains("Acme Bookings asks to book you") && text.contains("Praxis Meier"), "\(text)")
        #expect(text.contains(local.span), "\(local.span) in \(text)")
        #expect(text.contains("50.00 EUR") && text.contains("req-1"))
        let link = try #require(VendorWorld.link(in: text), "\(text)")
        #expect(link.hasPrefix(world.publicURL + "/v/r/"))

        // The vendor's webhook carries the same link, signed with the vendor's own secret.
        let vendorHook = try world.waitForDeliveries(path: "/hooks/vendor") { _ in true }
        #expect(vendorHook["verifiedWith"] as? [Int] == [1], "standardwebhooks verified it: \(vendorHook["errors"] ?? "")")
        let hookBody = VendorWorld.body(vendorHook)
        #expect(hookBody["event"] as? String == "vendor.confirmation_requested")
        let data = try #require(hookBody["data"] as? [String: Any])
        #expect(data["confirmationUrl"] as? String == link)
        #expect(data["reservationId"] as? String == id && data["partnerName"] as? String == "Acme Bookings")

        // A vendor opens the link in Chromium and confirms.
        let output = world.service.directoryPath("browser")
        let run = try capture(python3, [
            Paths.repositoryRoot + "/Tests/Fakes/vendor_page_browser.py", "--url", link, "--out", Self.screenshotDirectory(output),
        ])
        try #require(run.exitCode == 0, "browser: \(run.stderr.suffix(4000))")
        let page = run.json
        #expect(page["title"] as? String == "Booking request · Bookiji")
        #expect(page["language"] as? String == "en" && page["scripts"] as? Int == 0)
        let details = page["details"] as? [String: String] ?? [:]
        #expect(details["When"]?.contains(local.span) == true, "\(details)")
        #expect(details["Requester"] == "req-1" && details["Booked through"] == "Acme Bookings" && details["Price"] == "50.00 EUR")
        #expect(page["buttons"] as? [String] == ["Confirm booking", "Decline"])
        let labels = page["labels"] as? [String] ?? []
        #expect(labels.contains("Confirm booking") && labels.contains { $0.hasPrefix("Confirm booking — after confirming") }, "\(labels)")
        let after = page["after"] as? [String: Any] ?? [:]
        #expect(after["headings"] as? [String] == ["Booking confirmed"], "\(after)")
        let shots = page["screenshots"] as? [String: [String: Any]] ?? [:]
        for (name, widths) in shots.sorted(by: { $0.key < $1.key }) {
            for (width, path) in widths.sorted(by: { $0.key < $1.key }) {
                guard let path = path as? String else {
                    Issue.record("\(name) at \(width) overflows the viewport sideways")
                    continue
                }
                #expect(FileManager.default.fileExists(atPath: path))
                print("vendor page screenshot (\(name), \(width)): \(path)")
            }
        }
        #expect(["request", "answered", "again", "tampered"].allSatisfy { shots[$0]?.count == 2 }, "\(shots)")
        #expect((page["again"] as? [String: Any])?["headings"] as? [String] == ["Already answered"])
        #expect((page["tampered"] as? [String: Any])?["headings"] as? [String] == ["This link is not valid"])

        // The reservation moved, and the partner heard of it.
        #expect(try world.reservation(id)["state"] as? String == "AWAITING_VENDOR_AUTH")
        let confirmed = try world.waitForDeliveries(path: "/hooks/partner") {
            VendorWorld.body($0)["event"] as? String == "reservation.vendor_confirmed"
        }
        #expect(confirmed["verifiedWith"] as? [Int] == [0])
        #expect((VendorWorld.body(confirmed)["data"] as? [String: Any])?["triggeredBy"] as? String == "vendor")

        // The link is spent: opening it again says so, as a page.
        let again = try world.service.get(VendorWorld.path(of: link))
        #expect(again.status == 409 && again.text.contains("Already answered") && again.text.contains("confirmed"), "\(again.text)")
        #expect(again.header("content-type") == "text/html; charset=utf-8")
    }

    /// Screenshots go under the test's scratch output, kept after the run (the service's folder
    /// is removed with the service): `$BOOKIJI_TEST_SCRATCH/screenshots/…`, else `.run/test/screenshots`.
    static func screenshotDirectory(_ fallback: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["BOOKIJI_TEST_SCRATCH"] ?? Paths.repositoryRoot + "/.run/test"
        let path = base + "/screenshots"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A relay that cannot take the message now (451) makes the notification fail: it is retried
    /// until the relay takes it, and the confirmation deadline is extended once, by 10 minutes,
    /// with the extension in `stateHistory`.
    @Test func aFailedNotificationIsRetriedAndExtendsTheDeadlineOnce() throws {
        let world = try VendorWorld(sinkArguments: ["--fail-first", "2"], webhook: false)
        defer { world.stop() }
        let id = try world.hold()
        let mails = try world.waitForMails(1, seconds: 60)
        #expect(VendorWorld.link(in: mails[0]["text"] as? String ?? "") != nil)
        #expect(world.sink.log.isEmpty || !world.sink.log.contains("Traceback"), "\(world.sink.log)")
        let after = try world.reservation(id)
        let history = after["stateHistory"] as? [[String: Any]] ?? []
        let extensions = history.filter {
            $0["fromState"] as? String == "AWAITING_VENDOR_CONFIRMATION" && $0["toState"] as? String == "AWAITING_VENDOR_CONFIRMATION"
        }
        #expect(extensions.count == 1, "two failed attempts, one extension: \(history)")
        let entry = try #require(extensions.first)
        #expect(entry["triggeredBy"] as? String == "system")
        #expect((entry["reason"] as? String)?.contains("extended by 10 minutes") == true)
        let metadata = entry["metadata"] as? [String: Any] ?? [:]
        #expect(metadata["extendedBySeconds"] as? Int == 600)
        // The hold's first deadline is its estimatedConfirmationTime (created + 10 minutes).
        let before = try RFC3339.parse(try #require(after["estimatedConfirmationTime"] as? String))
        let now = try RFC3339.parse(try #require(after["expiresAt"] as? String))
        #expect(now - before == 600, "expiresAt \(after["estimatedConfirmationTime"] ?? "") → \(after["expiresAt"] ?? "")")
        #expect(after["state"] as? String == "AWAITING_VENDOR_CONFIRMATION")
        // The link in the message that got through expires at the extended deadline.
        let link = try #require(VendorWorld.link(in: mails[0]["text"] as? String ?? ""))
        let token = try VendorPageToken.verify(
            String(VendorWorld.path(of: link).dropFirst(5)), key: try #require(VendorPageKey(bytes: Array(Data(base64Encoded: Service.pageKey)!))),
            now: Int64(Date().timeIntervalSince1970))
        #expect(token.expiresAt == now && token.reservationID == id)
        let log = world.worker?.log ?? ""
        #expect(log.contains("confirmation deadline extended") && log.contains("outbox row failed; will retry"))
    }

    /// The page's refusals, each a page in the same look and never a 500: a changed link, an
    /// expired one, a form without its cookie and CSRF token, an unknown path; and a decline
    /// through the page's form as a browser would send it.
    @Test func thePageRefusesWhatItMustAndDeclines() throws {
        let world = try VendorWorld(email: false, webhook: false)
        defer { world.stop() }
        let id = try world.hold()
        let key = try #require(VendorPageKey(bytes: Array(Data(base64Encoded: Service.pageKey)!)))
        let now = Int64(Date().timeIntervalSince1970)
        let reservation = try world.reservation(id)
        let deadline = try RFC3339.parse(try #require(reservation["expiresAt"] as? String))
        let token = try #require(VendorPageToken(reservationID: id, vendorID: world.vendor, expiresAt: deadline).signed(with: key))

        // A changed character, a made-up token, another key's token: "not valid", 404.
        var tampered = Array(token)
        tampered[10] = tampered[10] == "A" ? "B" : "A"
        let otherKey = try #require(VendorPageKey(bytes: Array(repeating: 7, count: 32)))
        let forged = try #require(VendorPageToken(reservationID: id, vendorID: world.vendor, expiresAt: deadline).signed(with: otherKey))
        for bad in [String(tampered), "nonsense", forged, String(repeating: "x", count: 400)] {
            let page = try world.service.get("/v/r/\(bad)")
            #expect(page.status == 404 && page.text.contains("This link is not valid"), "\(bad): \(page.status)")
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            #expect(page.header("content-security-policy")?.contains("default-src 'none'") == true)
            #expect(page.header("referrer-policy") == "no-referrer")
        }
        // A genuine link past its expiry.
        let stale = try #require(VendorPageToken(reservationID: id, vendorID: world.vendor, expiresAt: now - 5).signed(with: key))
        let expired = try world.service.get("/v/r/\(stale)")
        #expect(expired.status == 410 && expired.text.contains("This link has expired"), "\(expired.status) \(expired.text)")
        // Not a page.
        let unknown = try world.service.get("/v/nothing/here")
        #expect(unknown.status == 404 && unknown.text.contains("Page not found"))
        let wrongMethod = try world.service.send("DELETE", "/v/r/\(token)")
        #expect(wrongMethod.status == 405 && wrongMethod.text.contains("<!doctype html>"))

        // The open page: details, forms, the cookie.
        let open = try world.service.get("/v/r/\(token)")
        #expect(open.status == 200 && open.text.contains("Praxis Meier") && open.text.contains("Acme Bookings"))
        let cookie = try #require(open.header("set-cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"), "\(cookie)")
        let nonce = String(cookie.prefix(while: { $0 != ";" }))
        let csrf = try #require(Self.csrf(in: open.text))

        // Forms without the cookie, or with another token, are refused and change nothing.
        let form = { (decision: String, csrf: String) in Array("csrf=\(csrf)&decision=\(decision)".utf8) }
        let headers = ["Content-Type": "application/x-www-form-urlencoded"]
        let noCookie = try world.service.send("POST", "/v/r/\(token)", body: form("decline", csrf), headers: headers)
        #expect(noCookie.status == 403 && noCookie.text.contains("Please try again"))
        let wrongToken = try world.service.send(
            "POST", "/v/r/\(token)", body: form("decline", "AAAAAAAAAAAAAAAAAAAAAA"), headers: headers.merging(["Cookie": nonce]) { $1 })
        #expect(wrongToken.status == 403)
        let garbage = try world.service.send("POST", "/v/r/\(token)", body: Array("%%%&&==".utf8), headers: headers)
        #expect(garbage.status == 403)
        #expect(try world.reservation(id)["state"] as? String == "AWAITING_VENDOR_CONFIRMATION")

        // The vendor declines through the form.
        let declined = try world.service.send(
            "POST", "/v/r/\(token)", body: form("decline", csrf), headers: headers.merging(["Cookie": nonce]) { $1 })
        #expect(declined.status == 200 && declined.text.contains("Booking declined"), "\(declined.text)")
        let after = try world.reservation(id)
        #expect(after["state"] as? String == "CANCELLED" && after["failureReason"] as? String == "declined by vendor")
        // A second answer is refused.
        let twice = try world.service.send(
            "POST", "/v/r/\(token)", body: form("confirm", csrf), headers: headers.merging(["Cookie": nonce]) { $1 })
        #expect(twice.status == 409 && twice.text.contains("declined"), "\(twice.text)")
        let responderLog = world.service.responder?.log ?? ""
        #expect(!responderLog.contains("\"status\":\"500\""))
        #expect(!responderLog.contains(token), "the link's token stays out of the log")
    }

    /// The CLI sets, shows and checks the channels: the secret is printed once, unsafe URLs and
    /// malformed addresses are refused.
    @Test func theCLISetsAndShowsChannels() throws {
        let service = try Service()
        defer { service.stop() }
        let vendor = try service.createVendor()
        let set = try JSONSerialization.jsonObject(with: Data(service.bookiji([
            "vendor", "notify", "set", vendor, "--webhook-url", "https://vendor.example.com/hooks", "--email", "a@example.com", "--json",
        ]).utf8)) as? [String: Any] ?? [:]
        #expect((set["webhookSecret"] as? String)?.hasPrefix("whsec_") == true)
        #expect(set["email"] as? String == "a@example.com" && set["webhookUrl"] as? String == "https://vendor.example.com/hooks")
        let emailOnly = try JSONSerialization.jsonObject(with: Data(service.bookiji([
            "vendor", "notify", "set", vendor, "--email", "b@example.com", "--json",
        ]).utf8)) as? [String: Any] ?? [:]
        #expect(emailOnly["webhookSecret"] == nil, "the secret is shown only when the URL is set")
        #expect(emailOnly["webhookUrl"] as? String == "https://vendor.example.com/hooks")
        let shown = try service.bookiji(["vendor", "show", vendor])
        #expect(shown.contains("notify:   webhook https://vendor.example.com/hooks, email b@example.com"), "\(shown)")
        #expect(!shown.contains("whsec_"))
        for url in ["http://vendor.example.com/h", "https://127.0.0.1/h", "https://169.254.169.254/x", "https://localhost/x"] {
            let refused = try capture(Paths.bookiji, ["vendor", "notify", "set", vendor, "--webhook-url", url],
                                      environment: ["BOOKIJI_DATABASE_URL": service.databaseURL])
            #expect(refused.exitCode != 0 && refused.stderr.contains("url must"), "\(url): \(refused.stderr)")
        }
        for address in ["not-an-address", "a@b", "x@example.com\r\nBcc: y@example.com", "<a@example.com>"] {
            let refused = try capture(Paths.bookiji, ["vendor", "notify", "set", vendor, "--email", address],
                                      environment: ["BOOKIJI_DATABASE_URL": service.databaseURL])
            #expect(refused.exitCode != 0, "\(address)")
        }
        _ = try service.bookiji(["vendor", "notify", "set", vendor, "--webhook-url", "", "--email", ""])
        #expect(try service.bookiji(["vendor", "show", vendor]).contains("notify:   none"))
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix(while: { $0 != "\"" }))
    }
}
